#!/usr/bin/env python3
"""Runs a speak-lines example (examples/c or examples/python) against the tiny model.

- lines on stdin, then end of input: each line is spoken in order (its utterance-start and
  utterance-end printed), blank lines are skipped, the program exits 0 after the EOS, and the
  WAV written by its sink holds every frame the messages report;
- a bad model fails with the element's message and exit code 1;
- with --cancel (the Python example): Ctrl-C (SIGINT) cancels the utterance being spoken and
  drops the queued ones, and the program keeps speaking lines typed after it.
Usage: test_speak_lines.py [--cancel] -- COMMAND...
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading

from example_util import FRAME, MODEL, VOICE, Checks, read_wav

LINES = ["Hello there.", "", "A second line.", "   ", "The third and last line."]
START = re.compile(r'^utterance-start "(.*)" at ')
END = re.compile(r'^utterance-end "(.*)" at .*, (\d+) frames(, cancelled)?$')


def run_lines(command, checks, tmp):
    out = os.path.join(tmp, "lines.wav")
    p = subprocess.run([*command, "--model", MODEL, "--voice", VOICE,
                        "--sink", f"audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink location={out}"],
                       input="\n".join(LINES) + "\n", capture_output=True, text=True, timeout=120)
    checks.check("end of input: exits 0 after EOS", p.returncode == 0, p.stdout + p.stderr)
    lines = p.stdout.splitlines()
    starts = [m.group(1) for m in map(START.match, lines) if m]
    ends = [(m.group(1), int(m.group(2)), bool(m.group(3))) for m in map(END.match, lines) if m]
    spoken = [line for line in LINES if line.strip()]
    queued = [line[len('queued "'):-1] for line in lines if line.startswith("queued ")]
    checks.check("every non-blank line spoken in order", starts == spoken and queued == spoken
                 and [e[0] for e in ends] == spoken and not any(e[2] for e in ends), p.stdout)
    if p.returncode == 0:
        frames = sum(e[1] for e in ends)
        samples = len(read_wav(out)[3]) // 2
        checks.check("the sink got every frame spoken", frames > 0 and samples == frames * FRAME,
                     f"{samples} samples, {frames} frames")


def run_bad_model(command, checks):
    p = subprocess.run([*command, "--model", "/nonexistent/config.yaml", "--sink", "fakesink"],
                       input="Hello.\n", capture_output=True, text=True, timeout=60)
    checks.check("bad model: exit 1 with the reason", p.returncode == 1 and "nonexistent" in p.stderr
                 and "Traceback" not in p.stderr and "CRITICAL" not in p.stderr, p.stderr)


def run_cancel(command, checks):
    # A real-time sink, so the queued lines take seconds to speak and Ctrl-C comes during one.
    p = subprocess.Popen([*command, "--model", MODEL, "--voice", VOICE, "--sink", "fakesink sync=true"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    queued = [f"Queued line number {i}." for i in range(30)]
    p.stdin.write("\n".join(queued) + "\n")
    p.stdin.flush()
    out = []
    timer = threading.Timer(120, p.kill)  # bounds a hang only
    timer.start()
    try:
        # Every line queued in the element and the first one speaking: then Ctrl-C.
        seen_start, queued_count = False, 0
        for line in p.stdout:
            out.append(line.rstrip("\n"))
            seen_start |= bool(START.match(out[-1]))
            queued_count += out[-1].startswith("queued ")
            if seen_start and queued_count == len(queued):
                break
        p.send_signal(signal.SIGINT)
        for line in p.stdout:
            out.append(line.rstrip("\n"))
            if END.match(out[-1]):
                break
        # Lines typed after the cancel are spoken again; then end of input.
        p.stdin.write("After the cancel.\n")
        p.stdin.close()
        out += [line.rstrip("\n") for line in p.stdout]
        p.wait()
    finally:
        timer.cancel()
    err = p.stderr.read()
    ends = [(m.group(1), m.group(3)) for m in map(END.match, out) if m]
    checks.check("Ctrl-C cancels the utterance being spoken", bool(ends) and ends[0] == (queued[0], ", cancelled"),
                 "\n".join(out))
    starts = [m.group(1) for m in map(START.match, out) if m]
    checks.check("Ctrl-C drops the queued lines; later lines are spoken",
                 starts == [queued[0], "After the cancel."], "\n".join(out))
    checks.check("after the cancel, end of input exits 0", p.returncode == 0, err)


def main():
    argv = sys.argv[1:]
    cancel = "--cancel" in argv[: argv.index("--")]
    command = argv[argv.index("--") + 1:]
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        run_lines(command, checks, tmp)
        run_bad_model(command, checks)
        if cancel:
            run_cancel(command, checks)
    checks.finish()


if __name__ == "__main__":
    main()
