#!/usr/bin/env python3
"""Runs the RTP sender and receiver scripts of examples/rtp on 127.0.0.1.

L16: the received samples equal, bit for bit, the samples the element writes to a WAV file.
Opus (lossy): the received audio lasts as long as the sent one, within one Opus frame of
padding, and is not silence.
Usage: test_rtp.py EXAMPLES_RTP_DIR
"""
import array
import os
import signal
import subprocess
import sys
import tempfile

from example_util import RATE, TINY_PROPS, Checks, free_udp_port, read_wav, udp_port_bound, reference_wav, wait_until

TEXT = "Hello over RTP."


def loopback(checks, rtp_dir, codec, tmp, reference_samples):
    """Starts receive-CODEC, runs send-CODEC to the end, waits until the receiver has written
    at least MIN_BYTES of samples, stops it with SIGINT (EOS) and returns its WAV."""
    port = free_udp_port()
    out = os.path.join(tmp, f"received-{codec}.wav")
    receiver = subprocess.Popen([os.path.join(rtp_dir, f"receive-{codec}"), str(port), out],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        listening = wait_until(lambda: udp_port_bound(port), 30)
        if not checks.check(f"{codec}: receiver started", listening):
            return None
        sender = subprocess.run(
            [os.path.join(rtp_dir, f"send-{codec}"), "127.0.0.1", str(port), TEXT, *TINY_PROPS],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        if not checks.check(f"{codec}: sender ran to EOS", sender.returncode == 0, sender.stdout):
            return None
        # UDP has no end of stream: wait for the data, then end the receiver as a user would.
        # L16 must deliver every sample; Opus at least all but its last 20 ms frame.
        need = 44 + 2 * (reference_samples - (0 if codec == "l16" else RATE // 50))
        wait_until(lambda: os.path.getsize(out) >= need, 30)
    finally:
        receiver.send_signal(signal.SIGINT)
        try:
            log, _ = receiver.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            receiver.kill()
            log, _ = receiver.communicate()
    if not checks.check(f"{codec}: receiver ended cleanly on Ctrl-C", receiver.returncode == 0, log):
        return None
    return read_wav(out)


def main():
    rtp_dir = sys.argv[1]
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        rate, channels, width, ref = reference_wav(os.path.join(tmp, "reference.wav"), TEXT)
        ref_samples = len(ref) // 2
        checks.check("reference speech", (rate, channels, width) == (RATE, 1, 2) and ref_samples > 0,
                     f"{ref_samples} samples")

        got = loopback(checks, rtp_dir, "l16", tmp, ref_samples)
        if got:
            rate, channels, width, data = got
            checks.check("l16: 24 kHz mono 16-bit", (rate, channels, width) == (RATE, 1, 2))
            checks.check("l16: received samples equal the sent ones", data == ref,
                         f"{len(data) // 2} of {ref_samples} samples")

        got = loopback(checks, rtp_dir, "opus", tmp, ref_samples)
        if got:
            rate, channels, width, data = got
            samples = array.array("h", data)
            checks.check("opus: 24 kHz mono 16-bit", (rate, channels, width) == (RATE, 1, 2))
            # opusenc pads the last 20 ms frame; nothing else may be added or lost.
            checks.check("opus: duration of the sent audio (within one 20 ms frame)",
                         abs(len(samples) - ref_samples) <= RATE // 50,
                         f"{len(samples)} samples, sent {ref_samples}")
            checks.check("opus: not silence", max(map(abs, samples), default=0) > 100)
    checks.finish()


if __name__ == "__main__":
    main()
