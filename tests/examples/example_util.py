"""Shared helpers of the example tests: the tiny test model, WAV reading, free ports.

The tests run with GST_PLUGIN_PATH pointing at the build's plugin (meson test sets it) and
point the element at tests/data/tiny, whose random weights make noise, not words: the
pipelines are the point. eos-threshold=100 never detects an end of speech, so every
utterance runs to the reference's maximum length (ceil((tokens / 3 + 2) * 12.5) frames):
durations are known in advance and do not depend on the random weights.
"""
import os
import socket
import subprocess
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("POCKETTTS_TEST_DATA", os.path.join(HERE, "..", "data"))
TINY = os.path.join(DATA, "tiny")
MODEL = os.path.join(TINY, "config.yaml")
VOICE = os.path.join(TINY, "voice", "voice_s16.wav")
RATE = 24000
FRAME = 1920  # samples per model frame (80 ms)
# The element properties every test uses: the tiny model, deterministic, full-length speech.
TINY_PROPS = [f"model={MODEL}", f"voice={VOICE}", "temperature=0", "eos-threshold=100"]


class Checks:
    """Counts passed / failed checks and prints one line per check, as test_cli.sh does."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            short = detail and "\n" not in detail.strip()
            print(f"ok   {name}" + (f" ({detail.strip()})" if short else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_port_bound(port):
    """True when some process listens on UDP PORT: binding it without SO_REUSEADDR fails."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def read_wav(path):
    """(rate, channels, bytes per sample, raw little-endian frames) of a PCM WAV file."""
    with wave.open(path, "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())


def reference_wav(path, text, props=TINY_PROPS, timeout=120):
    """What the element says for TEXT, as 16-bit samples in a WAV file (no network)."""
    run(["gst-launch-1.0", "-q", "pockettts", f"text={text}", *props, "!",
         "audio/x-raw,format=S16LE", "!", "wavenc", "!", "filesink", f"location={path}"],
        timeout=timeout)
    return read_wav(path)


def run(argv, timeout, **kwargs):
    """Runs ARGV to completion; raises with its output when it fails or hangs."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, **kwargs)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {p.returncode}:\n{p.stdout}")
    return p.stdout


def wait_until(condition, timeout):
    """Polls CONDITION until it holds (True) or TIMEOUT seconds pass (False). The timeout only
    bounds a failure: nothing is decided by how long things take."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
