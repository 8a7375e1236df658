#!/usr/bin/env python3
"""Runs a speak-lines example (examples/c or examples/python) against the tiny model.

- lines on stdin, then end of input: each line is spoken in order (its utterance-start and
  utterance-end printed), blank lines are skipped, the program exits 0 after the EOS; the
  speech its sink gets (the element's GAP buffers left out) is every frame the messages report,
  and the rest is the element's idle silence (zeros) between the lines;
- a bad model fails with the element's message and exit code 1;
- with --cancel (the Python example): Ctrl-C (SIGINT) cancels the utterance being spoken and
  drops the queued ones, and the program keeps speaking lines typed after it.
Usage: test_speak_lines.py [--cancel] -- COMMAND...
"""
import array
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from example_util import FRAME, MODEL, RATE, VOICE, Checks, read_wav

LINES = ["Hello there.", "", "A second line.", "   ", "The third and last line."]
START = re.compile(r'^utterance-start "(.*)" at ')
# The C example prints times as H:MM:SS.nnnnnnnnn, the Python one as seconds ("1.200 s").
END = re.compile(r'^utterance-end "(.*)" at ([0-9:.]+)(?: s)?, (\d+) frames(, cancelled)?$')
IDLE_PAUSE = 0.4  # seconds of pause after the first line's speech has been played


def seconds(time):
    """Seconds in a time printed as H:MM:SS.nnnnnnnnn or as plain seconds."""
    value = 0.0
    for part in time.split(":"):
        value = value * 60 + float(part)
    return value


def samples_s16(path):
    return array.array("h", read_wav(path)[3])


def spawn(command, sink):
    """Starts the example on the tiny model; the timer kills it if it hangs (a bound only)."""
    p = subprocess.Popen([*command, "--model", MODEL, "--voice", VOICE, "--sink", sink],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(120, p.kill)
    timer.start()
    return p, timer


def run_lines(command, checks, tmp):
    # The element is live: between utterances it pushes idle silence (GAP buffers) at the
    # clock's pace. One WAV gets everything, the other only the speech (GAP buffers dropped).
    every, speech = os.path.join(tmp, "lines.wav"), os.path.join(tmp, "speech.wav")
    sink = (f"audio/x-raw,format=S16LE ! tee name=t t. ! queue ! wavenc ! filesink location={every} "
            f"t. ! queue ! identity drop-buffer-flags=gap ! wavenc ! filesink location={speech}")
    p, timer = spawn(command, sink)
    out = []
    try:
        # The first line, then a pause longer than its speech: idle silence must fill it.
        p.stdin.write(LINES[0] + "\n")
        p.stdin.flush()
        for line in p.stdout:
            out.append(line.rstrip("\n"))
            m = END.match(out[-1])
            if m:
                time.sleep(seconds(m.group(2)) + IDLE_PAUSE)
                break
        p.stdin.write("\n".join(LINES[1:]) + "\n")
        p.stdin.close()
        out += [line.rstrip("\n") for line in p.stdout]
        p.wait()
    finally:
        timer.cancel()
    err = p.stderr.read()
    checks.check("end of input: exits 0 after EOS", p.returncode == 0, "\n".join(out) + err)
    starts = [m.group(1) for m in map(START.match, out) if m]
    ends = [(m.group(1), int(m.group(3)), bool(m.group(4))) for m in map(END.match, out) if m]
    spoken = [line for line in LINES if line.strip()]
    queued = [line[len('queued "'):-1] for line in out if line.startswith("queued ")]
    checks.check("every non-blank line spoken in order", starts == spoken and queued == spoken
                 and [e[0] for e in ends] == spoken and not any(e[2] for e in ends), "\n".join(out))
    if p.returncode == 0:
        frames = sum(e[1] for e in ends)
        voiced, everything = samples_s16(speech), samples_s16(every)
        checks.check("the sink got every frame spoken", frames > 0 and len(voiced) == frames * FRAME,
                     f"{len(voiced)} samples, {frames} frames")
        # The rest is silence: the same speech with only zeros between.
        silence = len(everything) - len(voiced)
        checks.check("idle silence between the lines, zeroed",
                     silence >= (IDLE_PAUSE - 0.05) * RATE
                     and [x for x in everything if x] == [x for x in voiced if x],
                     f"{silence} samples of silence")


def run_bad_model(command, checks):
    p = subprocess.run([*command, "--model", "/nonexistent/config.yaml", "--sink", "fakesink"],
                       input="Hello.\n", capture_output=True, text=True, timeout=60)
    checks.check("bad model: exit 1 with the reason", p.returncode == 1 and "nonexistent" in p.stderr
                 and "Traceback" not in p.stderr and "CRITICAL" not in p.stderr, p.stderr)


def run_cancel(command, checks):
    # A real-time sink, so the queued lines take seconds to speak and Ctrl-C comes during one.
    p, timer = spawn(command, "fakesink sync=true")
    # Fewer than max-queued (16): a live element would drop the oldest beyond that.
    queued = [f"Queued line number {i}." for i in range(12)]
    p.stdin.write("\n".join(queued) + "\n")
    p.stdin.flush()
    out = []
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
    ends = [(m.group(1), m.group(4)) for m in map(END.match, out) if m]
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
