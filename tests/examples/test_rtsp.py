#!/usr/bin/env python3
"""Runs pockettts-rtsp-server on 127.0.0.1 and two rtspsrc clients at once.

Client 1 (L16, the server's voice) receives exactly the samples the element writes to a WAV
file; client 2 (Opus, its own voice from the URL, another text) receives audio as long as the
element's, within one 20 ms Opus frame. Both run on the one model the server loaded at
startup (the element's INFO log says "loaded" once, "sharing the loaded" for each client).
Bad requests and bad options fail with a message, and the server keeps serving.
Usage: test_rtsp.py PATH/TO/pockettts-rtsp-server
"""
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

from example_util import (MODEL, RATE, TINY, TINY_PROPS, VOICE, Checks, read_wav, reference_wav,
                          run)

TEXTS = ["Hello over RTSP.", "A second client, with a longer sentence."]
VOICE2 = os.path.join(TINY, "voice", "voice_f32.wav")
SERVER_OPTIONS = ["--model", MODEL, "--voice", VOICE, "--set", "temperature=0",
                  "--set", "eos-threshold=100"]


def client(port, out, text, codec, voice=None):
    query = {"text": text, "codec": codec}
    if voice:
        query["voice"] = voice
    url = f"rtsp://127.0.0.1:{port}/say?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    depay = ["rtpL16depay"] if codec == "l16" else ["rtpopusdepay", "!", "opusdec"]
    # rtspsrc posts EOS when the server's RTCP BYE says the stream ended.
    return subprocess.Popen(
        ["gst-launch-1.0", "rtspsrc", f"location={url}", "!", *depay, "!", "audioconvert", "!",
         "audioresample", "!", f"audio/x-raw,format=S16LE,rate={RATE},channels=1", "!", "wavenc",
         "!", "filesink", f"location={out}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc, timeout=120):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out += "\n(killed: did not end)"
    return proc.returncode, out


def main():
    server_exe = sys.argv[1]
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        refs = [reference_wav(os.path.join(tmp, "ref1.wav"), TEXTS[0])[3],
                reference_wav(os.path.join(tmp, "ref2.wav"), TEXTS[1],
                              props=TINY_PROPS[:1] + [f"voice={VOICE2}"] + TINY_PROPS[2:])[3]]
        checks.check("reference speech of two lengths", len(refs[0]) != len(refs[1]),
                     f"{len(refs[0]) // 2} and {len(refs[1]) // 2} samples")

        env = dict(os.environ, GST_DEBUG="pockettts:4", GST_DEBUG_NO_COLOR="1")
        server = subprocess.Popen(
            [server_exe, "--address", "127.0.0.1", "--port", "0", *SERVER_OPTIONS],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            line = server.stdout.readline()
            m = re.search(r"rtsp://127\.0\.0\.1:(\d+)/", line)
            if not checks.check("server listens", m is not None, line or server.stderr.read()):
                return checks.finish()
            port = int(m.group(1))

            outs = [os.path.join(tmp, "client1.wav"), os.path.join(tmp, "client2.wav")]
            clients = [client(port, outs[0], TEXTS[0], "l16"),
                       client(port, outs[1], TEXTS[1], "opus", voice=VOICE2)]
            results = [finish(c) for c in clients]
            for i, (rc, log) in enumerate(results):
                checks.check(f"client {i + 1} ran to EOS", rc == 0, log)
            if results[0][0] == 0:
                rate, channels, width, data = read_wav(outs[0])
                checks.check("client 1 (L16): the element's samples, bit for bit",
                             (rate, channels, width) == (RATE, 1, 2) and data == refs[0],
                             f"{len(data) // 2} of {len(refs[0]) // 2} samples")
            if results[1][0] == 0:
                rate, channels, width, data = read_wav(outs[1])
                got, want = len(data) // 2, len(refs[1]) // 2
                checks.check("client 2 (Opus, own voice): the element's duration within 20 ms",
                             (rate, channels, width) == (RATE, 1, 2) and abs(got - want) <= RATE // 50,
                             f"{got} samples, element {want}")

            rc, log = finish(client(port, os.path.join(tmp, "none.wav"), "", "l16"), timeout=60)
            checks.check("a URL without text is refused", rc != 0 and "400" in log, log)
            rc, log = finish(client(port, os.path.join(tmp, "bad.wav"), "Hi", "mp3"), timeout=60)
            checks.check("an unknown codec is refused", rc != 0 and "400" in log, log)
            rc, _ = finish(client(port, outs[0], TEXTS[0], "l16"))
            checks.check("the server still serves after refusals", rc == 0)
        finally:
            server.terminate()
            try:
                _, err = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                _, err = server.communicate()
        checks.check("server ends cleanly on SIGTERM", server.returncode == 0, err[-2000:])
        loads = len(re.findall(r"(?<!sharing the )loaded model '", err))
        shares = len(re.findall(r"sharing the loaded model '", err))
        checks.check("one model loaded, shared by every client", loads == 1 and shares >= 3,
                     f"loaded {loads}, shared {shares}")

        for name, options, pattern in [
            ("bad --model", ["--model", "/nonexistent/config.yaml"], r"nonexistent"),
            ("unknown --set property", SERVER_OPTIONS + ["--set", "colour=blue"], r"no property 'colour'"),
            ("bad --set value", SERVER_OPTIONS + ["--set", "temperature=hot"], r"not a valid value"),
            ("bad --precision", SERVER_OPTIONS + ["--precision", "fp7"], r"fp7"),
        ]:
            p = subprocess.run([server_exe, "--port", "0", *options], capture_output=True, text=True,
                               timeout=120)
            checks.check(f"{name} fails with a message", p.returncode == 1 and re.search(pattern, p.stderr)
                         and "CRITICAL" not in p.stderr, p.stderr.strip().splitlines()[-1:] and p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
