#!/usr/bin/env python3
"""Soak runs (docs/reliability.md): many utterances through one pockettts element, through 8
elements sharing one model at once, and through `pockettts serve` with 16 concurrent clients,
sampling the resident memory (RSS) as they go. Prints the RSS slope after warm-up, in MiB per
100 utterances, for each: a leak shows as a slope that stays above zero however long the run.

usage: soak.py --build BUILD --data TESTDATA [--utterances N] [--model CONFIG --voice VOICE]
The tiny test model by default (tests/data/tiny); --model / --voice take the real one.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A soak run speaks for a long time and watches the memory.",
    "Numbers like 42 and 1999 are read out as words.",
    "Short one.",
]


def rss_mib(pid="self"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def slope_per_100(samples):
    """Least-squares slope of RSS over utterances, after the first fifth (warm-up)."""
    samples = samples[len(samples) // 5:]
    if len(samples) < 3:
        return float("nan")
    n = len(samples)
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    var = sum((x - mean_x) ** 2 for x, _ in samples)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    return 100.0 * cov / var if var else float("nan")


def run_elements(count, utterances_each, model, voice):
    """`count` appsrc ! pockettts ! fakesink branches in one pipeline, one model between them;
    each speaks `utterances_each` lines. Returns [(utterances done, RSS MiB)]."""
    branches = " ".join(
        f"appsrc name=src{i} format=time caps=text/x-raw,format=utf8 ! "
        f"pockettts name=tts{i} model={model} voice={voice} temperature=0.7 max-queued=4 ! "
        f"fakesink sync=false"
        for i in range(count))
    pipeline = Gst.parse_launch(branches)
    done = [0]
    lock = threading.Lock()
    samples = []

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ELEMENT and \
                message.get_structure().get_name() == "pockettts-utterance-end":
            with lock:
                done[0] += 1
                if done[0] % max(1, count) == 0:
                    samples.append((done[0], rss_mib()))
        elif message.type == Gst.MessageType.ERROR:
            err, dbg = message.parse_error()
            print(f"soak: error: {err.message} ({dbg})", file=sys.stderr)
            loop.quit()
        elif message.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def feed(index):
        src = pipeline.get_by_name(f"src{index}")
        for k in range(utterances_each):
            text = SENTENCES[(k + index) % len(SENTENCES)].encode()
            buf = Gst.Buffer.new_wrapped(text)
            # Upstream blocks in push while max-queued lines wait: the feeder goes at the
            # element's pace.
            if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                return
        src.emit("end-of-stream")

    pipeline.set_state(Gst.State.PLAYING)
    feeders = [threading.Thread(target=feed, args=(i,), daemon=True) for i in range(count)]
    for f in feeders:
        f.start()
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if done[0] != count * utterances_each:
        raise RuntimeError(f"{done[0]} of {count * utterances_each} utterances spoken")
    return samples


def run_server(cli, clients, utterances, model, voice):
    """`pockettts serve` with `clients` threads each posting speech requests in turn."""
    server = subprocess.Popen(
        [cli, "serve", "--port", "0", "--config", model, "--voice", voice, "--max-concurrent", "8",
         "--max-queue", "64"], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 120
        while port is None and time.time() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            if "Listening on http://" in line:
                port = line.strip().rsplit(":", 1)[1].split("/")[0]
        if port is None:
            raise RuntimeError("the server did not start")
        threading.Thread(target=server.stderr.read, daemon=True).start()
        url = f"http://127.0.0.1:{port}/v1/audio/speech"
        done = [0]
        lock = threading.Lock()
        samples = []
        failures = []
        per_client = utterances // clients

        def client(index):
            for k in range(per_client):
                body = json.dumps({"input": SENTENCES[(k + index) % len(SENTENCES)],
                                   "response_format": "pcm"}).encode()
                request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=120) as reply:
                        reply.read()
                except Exception as e:  # noqa: BLE001 - reported below
                    failures.append(str(e))
                    return
                with lock:
                    done[0] += 1
                    if done[0] % clients == 0:
                        samples.append((done[0], rss_mib(server.pid)))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise RuntimeError(f"{len(failures)} requests failed: {failures[0]}")
        return samples
    finally:
        server.terminate()
        server.wait(timeout=60)


def report(name, samples, utterances):
    first, last = samples[len(samples) // 5][1], samples[-1][1]
    print(f"{name}: {utterances} utterances, RSS {first:.1f} MiB after warm-up, {last:.1f} MiB "
          f"at the end, slope {slope_per_100(samples):+.3f} MiB per 100 utterances", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--utterances", type=int, default=1000)
    parser.add_argument("--model")
    parser.add_argument("--voice")
    args = parser.parse_args()
    model = args.model or os.path.join(args.data, "tiny", "config.yaml")
    voice = args.voice or os.path.join(args.data, "tiny", "voice", "voice_s16.wav")
    Gst.init(None)
    n = args.utterances
    report("one element", run_elements(1, n, model, voice), n)
    report("8 elements, one model", run_elements(8, n // 8, model, voice), n // 8 * 8)
    cli = os.path.join(args.build, "examples", "pockettts")
    report("server, 16 clients", run_server(cli, 16, n, model, voice), n // 16 * 16)


if __name__ == "__main__":
    main()
