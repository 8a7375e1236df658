#!/usr/bin/env python3
"""Runs every command of docs/getting-started.md, in order, in one bash, as a reader would.

Blocks are fenced ```sh with a word after it saying how they are run:
  (none)    run as they are;
  settings  the real model (downloaded from the hub): replaced by the offline tiny model,
            and a free port for 8554, since tests never reach the network;
  offline   run (it points MODEL and VOICE at the tiny model);
  server    started in the background; the next blocks run once it prints "listening on",
            and it is stopped at the end;
  setup     scripts/setup and scripts/build: run by scripts/test before the suite, so not
            again here (checked to be those scripts).
The commands run in a scratch directory whose build/, tests/ and examples/ are the real ones,
so the files they write land there; each file the page names must then exist, not empty.
Usage: test_getting_started.py SOURCE_ROOT BUILD_ROOT PYTHON_WITH_GI
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

from example_util import Checks, free_tcp_port

BLOCK = re.compile(r"^```sh(?: +(\w+))?\n(.*?)^```$", re.M | re.S)


def main():
    source, build, python_gi = sys.argv[1:4]
    checks = Checks()
    page = open(os.path.join(source, "docs", "getting-started.md"), encoding="utf-8").read()
    blocks = BLOCK.findall(page)
    checks.check("the page has runnable blocks", len(blocks) >= 8, f"{len(blocks)} blocks")

    script = ["set -euo pipefail", "server_pid="]
    script.append('trap \'[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true\' EXIT')
    for kind, body in blocks:
        if kind == "setup":
            commands = [line.split()[0] for line in body.splitlines() if line.strip()]
            checks.check("install block: the scripts scripts/test runs",
                         commands == ["scripts/setup", "scripts/build"], body)
        elif kind == "settings":
            checks.check("settings block: the real model", "MODEL=b6369a24" in body, body)
            script.append(f"PORT={free_tcp_port()}")
        elif kind == "server":
            command = body.replace("\\\n", " ").strip()
            script += [f"echo '+ {command} &' >&2",
                       f"({command}) >server.log 2>&1 &", "server_pid=$!",
                       # Bounded wait for the server to listen (it loads the model first).
                       "for _ in $(seq 600); do grep -q 'listening on' server.log && break; "
                       "kill -0 $server_pid || { cat server.log >&2; exit 1; }; sleep 0.1; done",
                       "grep -q 'listening on' server.log || { cat server.log >&2; exit 1; }"]
        elif kind in ("", "offline"):
            script += ["set -x", body.rstrip(), "set +x"]
        else:
            checks.check(f"known block kind '{kind}'", False, body)
    script += ["kill $server_pid", "wait $server_pid || true", "server_pid="]

    with tempfile.TemporaryDirectory() as tmp:
        for name, target in [("build", build), ("tests", os.path.join(source, "tests")),
                             ("examples", os.path.join(source, "examples"))]:
            os.symlink(target, os.path.join(tmp, name))
        # "python3" is the reader's Debian python3, the one with gi.
        bindir = os.path.join(tmp, ".bin")
        os.mkdir(bindir)
        os.symlink(python_gi, os.path.join(bindir, "python3"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
        env.pop("GST_PLUGIN_PATH", None)  # the page sets it itself
        p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp, env=env,
                           capture_output=True, text=True, timeout=600)
        checks.check("every command of the page succeeds", p.returncode == 0,
                     (p.stdout + p.stderr)[-6000:])
        for name in sorted(set(re.findall(r"(?<![/\w-])[\w-]+\.(?:wav|mkv|mp4)\b", page)) - {"OUT.wav", "film.mp4"}):
            path = os.path.join(tmp, name)
            checks.check(f"{name} written", os.path.exists(path) and os.path.getsize(path) > 100)
    checks.finish()


if __name__ == "__main__":
    main()
