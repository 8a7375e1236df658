#!/usr/bin/env python3
"""A live recording with gst-launch-1.0 -e, stopped with Ctrl-C (SIGINT), gives a valid WAV.

Runs `gst-launch-1.0 -e pockettts is-live=true ... ! wavenc ! filesink` on the tiny test model,
sends SIGINT a couple of seconds after the pipeline is playing, and checks that gst-launch-1.0
ends by itself (the element ends its stream on the pipeline's EOS), that the WAV file is valid
(its RIFF and data sizes match the file) and that it is as long as the recording:

- no text: the live element covers the time with idle silence, so the file holds zeros for
  about as long as the pipeline played (before idle silence, it held no sample at all);
- a long text, played at the clock's pace (identity sync=true): the speech is cut after the
  frame being pushed when the EOS comes, and the file holds the speech up to then.

Needs GST_PLUGIN_PATH (the build's plugin) and POCKETTTS_TEST_DATA (tests/data), as meson test
sets them.
"""
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

DATA = os.environ.get("POCKETTTS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
MODEL = os.path.join(DATA, "tiny", "config.yaml")
VOICE = os.path.join(DATA, "tiny", "voice", "voice_s16.wav")
RATE = 24000
RECORD_SECONDS = 2.0
# eos-threshold=100: the model never ends the utterance early, so it lasts its maximum length
# (ceil((tokens / 3 + 2) * 12.5) frames): many seconds for this text, longer than the recording.
LONG_TEXT = ("This sentence is long enough that the recording is stopped before the speech "
             "ends, as a person would stop a live recording in the middle of a word.")

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}" + (f" ({detail})" if detail and "\n" not in detail else ""), flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", flush=True)
    return ok


def read_wav(path):
    """(format tag, channels, rate, bits per sample, sample bytes) of a WAV file, after
    checking that its RIFF structure matches the file: wavenc writes the sizes at EOS."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"not a RIFF/WAVE file ({len(data)} bytes)")
    if struct.unpack_from("<I", data, 4)[0] != len(data) - 8:
        raise ValueError(f"RIFF size {struct.unpack_from('<I', data, 4)[0]} for a {len(data)}-byte file")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", data, pos + 8)
        elif chunk == b"data":
            if fmt is None:
                raise ValueError("data chunk before the fmt chunk")
            if pos + 8 + size != len(data):
                raise ValueError(f"data chunk of {size} bytes, {len(data) - pos - 8} in the file")
            tag, channels, rate, _, _, bits = fmt
            return tag, channels, rate, bits, data[pos + 8:]
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def record(out, text=None, pace=False):
    """Runs the recording; returns (exit code, gst-launch-1.0's output, seconds from PLAYING
    being set to the end of the process)."""
    argv = ["gst-launch-1.0", "-e", "-m", "pockettts", "is-live=true", f"model={MODEL}",
            f"voice={VOICE}", "temperature=0", "eos-threshold=100"]
    if text:
        argv.append(f"text={text}")
    if pace:
        argv += ["!", "identity", "sync=true"]
    argv += ["!", "wavenc", "!", "filesink", f"location={out}"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(120, p.kill)  # bounds a hang only
    timer.start()
    lines, playing = [], None
    try:
        for line in p.stdout:
            lines.append(line)
            if line.startswith("Setting pipeline to PLAYING"):
                playing = time.monotonic()
                break
        if playing is not None:
            time.sleep(RECORD_SECONDS)
            p.send_signal(signal.SIGINT)
        lines += p.stdout.readlines()
        code = p.wait()
    finally:
        timer.cancel()
    elapsed = time.monotonic() - playing if playing is not None else 0.0
    return code, "".join(lines), elapsed


def check_recording(name, out, code, output, elapsed):
    """The process ended on its own after Ctrl-C and wrote a valid mono 24 kHz float WAV of
    plausible length; returns its samples (None when it is not valid)."""
    check(f"{name}: gst-launch-1.0 ends on EOS after Ctrl-C",
          code == 0 and "EOS received" in output and "ERROR" not in output, output)
    try:
        tag, channels, rate, bits, payload = read_wav(out)
    except (OSError, ValueError) as e:
        check(f"{name}: the WAV file is valid", False, str(e))
        return None
    check(f"{name}: the WAV file is valid", (tag, channels, rate, bits) == (3, 1, RATE, 32),
          f"format {tag}, {channels} channel(s), {rate} Hz, {bits} bits")
    samples = struct.unpack(f"<{len(payload) // 4}f", payload)
    seconds = len(samples) / RATE
    # At least half the recording (a loaded machine may start PLAYING late), at most the time
    # the process ran after PLAYING was set.
    check(f"{name}: the WAV is as long as the recording",
          RECORD_SECONDS / 2 <= seconds <= elapsed + 0.5,
          f"{seconds:.3f} s of audio, {elapsed:.3f} s from PLAYING to the end")
    return samples


def main():
    if not os.path.exists(MODEL):
        print(f"FAIL the tiny test model is missing: {MODEL}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "idle.wav")
        samples = check_recording("no text", out, *record(out))
        if samples is not None:
            check("no text: the recording is idle silence", not any(samples))

        out = os.path.join(tmp, "speech.wav")
        code, output, elapsed = record(out, text=LONG_TEXT, pace=True)
        samples = check_recording("long text", out, code, output, elapsed)
        if samples is not None:
            check("long text: the recording is speech", any(samples))
        ends = re.findall(r"pockettts-utterance-end.*cancelled=\(boolean\)(\w+)", output)
        check("long text: Ctrl-C cut the speech", ends == ["true"], output)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
