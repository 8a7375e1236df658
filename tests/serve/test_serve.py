#!/usr/bin/env python3
"""Tests of `pockettts serve` over HTTP, on the tiny test model, as clients talk to it.

Usage: test_serve.py PATH/TO/pockettts   (meson passes it; POCKETTTS_TEST_DATA is set)
Every server listens on 127.0.0.1 on a free port; a local HTTP server stands in for a voice URL.
"""
import concurrent.futures
import functools
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from serve_harness import (CONFIG, DETERMINISTIC, TIMEOUT, VOICE_WAV, Report, Server,
                           max_difference, s16, wav_parts)

cli = sys.argv[1]
report = Report()
check = report.check
tmp = tempfile.mkdtemp(prefix="pockettts-serve-test-")
TEXT = "Hello there, friend"
RATE = 24000


def cli_audio(text, *extra):
    """The CLI's WAV for `text` with the server's voice and options."""
    path = os.path.join(tmp, "cli.wav")
    subprocess.run([cli, "generate", "--config", CONFIG, "--voice", VOICE_WAV, *DETERMINISTIC,
                    *extra, "--text", text, "-q", "-o", path], check=True, timeout=TIMEOUT)
    with open(path, "rb") as f:
        return f.read()


def gst_decode(data, suffix):
    """Decodes compressed audio back to 24 kHz mono s16 with a GStreamer pipeline."""
    source = os.path.join(tmp, "encoded" + suffix)
    target = os.path.join(tmp, "decoded.raw")
    with open(source, "wb") as f:
        f.write(data)
    result = subprocess.run(
        ["gst-launch-1.0", "-q", "filesrc", f"location={source}", "!", "decodebin", "!",
         "audioconvert", "!", "audioresample", "!",
         f"audio/x-raw,format=S16LE,rate={RATE},channels=1", "!", "filesink", f"location={target}"],
        capture_output=True, timeout=TIMEOUT)
    if result.returncode != 0:
        return None
    with open(target, "rb") as f:
        return f.read()


# --- the CLI's audio, the reference for every comparison ----------------------------------
cli_wav = cli_audio(TEXT)
cli_fmt, _, cli_samples = wav_parts(cli_wav)
silence = 2 * int(RATE * 0.2)  # the 0.2 s both the CLI and the reference's /tts end with
speech_pcm = cli_samples[:-silence]

# A stand-in for a voice URL: the test voice over HTTP on 127.0.0.1.
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


voice_http = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(QuietHandler, directory=os.path.dirname(VOICE_WAV)))
threading.Thread(target=voice_http.serve_forever, daemon=True).start()
voice_url = f"http://127.0.0.1:{voice_http.server_address[1]}/{os.path.basename(VOICE_WAV)}"
with open(VOICE_WAV, "rb") as f:
    voice_bytes = f.read()

server = Server(cli, *DETERMINISTIC, "--max-concurrent", "3", "--max-text-length", "2000",
                "--max-upload-size", "1000000", env={"HF_HUB_OFFLINE": "0"})

# --- /health, /v1/models, / --------------------------------------------------------------
status, _, body = server.request("GET", "/health")
check("GET /health is 200 {\"status\": \"healthy\"}", status == 200 and json.loads(body) == {"status": "healthy"})
status, _, body = server.request("GET", "/v1/models")
models = json.loads(body) if status == 200 else {}
check("GET /v1/models lists pocket-tts", models.get("object") == "list"
      and models["data"][0]["id"] == "pocket-tts", body[:200])
status, headers, body = server.request("GET", "/")
check("GET / is the page (a form, no external script)", status == 200
      and "text/html" in headers.get("content-type", "") and b'id="generate"' in body
      and not re.search(rb'<script[^>]+src=|<link[^>]+href="http', body))
status, _, body = server.request("GET", "/nope")
check("an unknown path is 404", status == 404, body)

# --- POST /tts, as the reference ---------------------------------------------------------
status, headers, body = server.post_form("/tts", {"text": TEXT})
ok = status == 200
check("/tts text only: 200, audio/wav, chunked", ok and headers.get("content-type") == "audio/wav"
      and headers.get("transfer-encoding") == "chunked", f"{status} {headers} {body[:200]}")
if ok:
    fmt, declared, samples = wav_parts(body)
    check("/tts WAV header: the CLI's format, the reference's 10^9-frame sizes",
          fmt == cli_fmt and declared == 2 * 10**9 and body[4:8] == (36 + 2 * 10**9).to_bytes(4, "little"))
    check("/tts samples equal the CLI's at temperature 0 (0.2 s silence included)",
          samples == cli_samples, f"{len(samples)} vs {len(cli_samples)} bytes")
tts_body = body

status, _, body = server.post_form("/tts", {"text": TEXT, "voice_url": voice_url})
check("/tts with voice_url (http://) gives the same audio", status == 200 and body == tts_body,
      f"{status} {body[:200]}")
status, _, body = server.post_form("/tts", {"text": TEXT}, {"voice_wav": ("voice.wav", voice_bytes)})
check("/tts with an uploaded voice_wav gives the same audio", status == 200 and body == tts_body,
      f"{status} {body[:200]}")
status, _, body = server.post_form("/tts", {"text": TEXT, "voice_url": voice_url},
                                   {"voice_wav": ("voice.wav", voice_bytes)})
check("/tts with both voice fields: 400, the reference's message", status == 400
      and json.loads(body) == {"detail": "Cannot provide both voice_url and voice_wav"}, body)
status, _, body = server.post_form("/tts", {"text": "  \n "})
check("/tts with empty text: 400 'Text cannot be empty'", status == 400
      and json.loads(body) == {"detail": "Text cannot be empty"}, body)
status, _, body = server.post_form("/tts", {"text": TEXT, "voice_url": "/etc/passwd"})
check("/tts with a local path as voice_url: 400, the reference's message", status == 400
      and json.loads(body) == {"detail": "voice_url must start with http://, https://, or hf://"}, body)
status, _, body = server.post_form("/tts", {"voice_url": voice_url})
check("/tts without text: 422 as FastAPI answers", status == 422, body)
status, _, body = server.post_form("/tts", {"text": TEXT}, {"voice_wav": ("voice.wav", b"not audio at all")})
check("/tts with an upload that is not audio: 400 with a message", status == 400
      and "detail" in json.loads(body), body)
status, _, body = server.post_form("/tts", {"text": "x" * 2001})
check("/tts with text over --max-text-length: 413", status == 413, body)
status, _, body = server.post_form("/tts", {"text": TEXT}, {"voice_wav": ("big.wav", b"\0" * 1100000)})
check("/tts with a body over --max-upload-size: 413", status == 413, body)
status, _, body = server.request("GET", "/tts")
check("GET /tts is 405", status == 405, body)

# --- /v1/audio/speech -------------------------------------------------------------------
def speech(payload, headers=None):
    return server.post_json("/v1/audio/speech", payload, headers)


status, headers, pcm = speech({"model": "tts-1", "input": TEXT, "response_format": "pcm"})
check("/v1/audio/speech pcm: raw s16le equal to the CLI's samples (without its 0.2 s silence)",
      status == 200 and headers.get("content-type") == "audio/pcm" and pcm == speech_pcm,
      f"{status} {len(pcm)} vs {len(speech_pcm)} bytes")
check("/v1/audio/speech reports the model asked for", headers.get("x-model") == "tts-1", headers)
status, headers, body = speech({"input": TEXT, "response_format": "wav", "voice": "default"})
ok = status == 200 and headers.get("content-type") == "audio/wav"
check("/v1/audio/speech wav: streamed WAV with the same samples", ok and wav_parts(body)[2] == speech_pcm,
      f"{status} {body[:100]}")
for name, suffix, exact in [("flac", ".flac", True), ("mp3", ".mp3", False), ("opus", ".opus", False),
                            ("aac", ".aac", False)]:
    status, headers, body = speech({"input": TEXT, "response_format": name})
    if status == 400 and b"not installed" in body:
        print(f"skip /v1/audio/speech {name}: {json.loads(body)['error']['message']}")
        continue
    decoded = gst_decode(body, suffix) if status == 200 else None
    if decoded is None:
        check(f"/v1/audio/speech {name} decodes", False, f"{status} {body[:200]}")
        continue
    if exact:
        check(f"/v1/audio/speech {name}: decodes to exactly the pcm samples", decoded == speech_pcm,
              f"{len(decoded)} vs {len(speech_pcm)} bytes")
    else:
        # Lossy codecs pad to whole frames and delay: the length within 0.1 s.
        check(f"/v1/audio/speech {name}: decodes to {len(speech_pcm) // 2} samples +/- 0.1 s "
              f"(got {len(decoded) // 2})", abs(len(decoded) - len(speech_pcm)) <= 2 * 2400)

def error_of(body):
    try:
        return json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return {}


for name, payload, param in [
        ("speed 1.5", {"input": TEXT, "speed": 1.5}, "speed"),
        ("unknown response_format", {"input": TEXT, "response_format": "ogg"}, "response_format"),
        ("empty input", {"input": " "}, "input"),
        ("missing input", {"voice": "default"}, "input"),
        ("unknown voice", {"input": TEXT, "voice": "/etc/passwd"}, "voice"),
        ("stream_format sse", {"input": TEXT, "stream_format": "sse"}, "stream_format"),
        ("a body that is not JSON", b"{nope", None)]:
    status, _, body = speech(payload)
    error = error_of(body)
    check(f"/v1/audio/speech {name}: 400 in OpenAI's error shape", status == 400
          and error.get("type") == "invalid_request_error" and error.get("message")
          and (param is None or error.get("param") == param), body)
status, _, body = speech({"input": TEXT, "speed": 1.0, "response_format": "pcm", "stream_format": "audio"})
check("/v1/audio/speech accepts speed 1.0 and stream_format audio", status == 200 and body == speech_pcm)

# SSML (pockettts' own field): pauses as exact silence, as the CLI's --ssml speaks them.
SSML = '<speak>Hello there, friend<break time="500ms"/></speak>'
ssml_cli = wav_parts(cli_audio(SSML, "--ssml"))[2][:-silence]
status, _, body = speech({"input": SSML, "ssml": True, "response_format": "pcm"})
check("/v1/audio/speech with ssml: the CLI's --ssml audio (speech, then 0.5 s of silence)",
      status == 200 and body == ssml_cli and body[-24000:] == bytes(24000), f"{status} {len(body)} vs {len(ssml_cli)}")
status, _, body = server.post_form("/tts", {"text": SSML, "ssml": "true"})
check("/tts with ssml=true: the same samples", status == 200 and wav_parts(body)[2][:-silence] == ssml_cli)
status, _, body = speech({"input": "<speak>unclosed", "ssml": True})
check("/v1/audio/speech with malformed SSML: 400 that says where", status == 400
      and error_of(body).get("param") == "input" and "SSML" in error_of(body).get("message", ""), body)

# --- voices for the server's lifetime ----------------------------------------------------
status, _, body = server.post_form("/v1/audio/voices", {"name": "test voice"},
                                   {"file": ("voice.wav", voice_bytes)})
voice = json.loads(body) if status == 200 else {}
voice_id = voice.get("id", "")
check("POST /v1/audio/voices gives an id", status == 200 and voice_id.startswith("voice-")
      and voice.get("name") == "test voice", body)
status, _, body = server.post_form("/v1/audio/voices", {}, {"file": ("again.wav", voice_bytes)})
check("the same audio uploaded again has the same id", status == 200 and json.loads(body)["id"] == voice_id, body)
status, _, body = server.request("GET", "/v1/audio/voices")
listed = [v["id"] for v in json.loads(body)["data"]] if status == 200 else []
check("GET /v1/audio/voices lists it", voice_id in listed, body[:300])
status, _, body = speech({"input": TEXT, "voice": voice_id, "response_format": "pcm"})
check("/v1/audio/speech with the uploaded voice's id", status == 200 and body == speech_pcm, body[:200])
status, _, body = speech({"input": TEXT, "voice": voice_url, "response_format": "pcm"})
check("/v1/audio/speech with a voice URL", status == 200 and body == speech_pcm, body[:200])
status, _, body = server.request("DELETE", "/v1/audio/voices/" + voice_id)
check("DELETE /v1/audio/voices/<id> is 200", status == 200 and json.loads(body).get("deleted") is True, body)
status, _, body = speech({"input": TEXT, "voice": voice_id, "response_format": "pcm"})
check("a deleted voice is an unknown voice (400)", status == 400 and error_of(body).get("param") == "voice", body)
status, _, body = server.request("DELETE", "/v1/audio/voices/" + voice_id)
check("DELETE of an unknown voice is 404", status == 404, body)
status, _, body = server.post_form("/v1/audio/voices", {"name": "x"})
check("POST /v1/audio/voices without a file is 400", status == 400 and error_of(body).get("param") == "file", body)

# --- many clients at once -----------------------------------------------------------------
texts = ["Hello there, friend", "The quick brown fox jumps over the lazy dog.",
         "One two three four five six.", "Good morning, how are you today?"]
solo = {}
for text in texts:
    status, _, body = speech({"input": text, "response_format": "pcm"})
    solo[text] = body


def one(index):
    text = texts[index % len(texts)]
    if index % 2:
        status, _, body = speech({"input": text, "response_format": "pcm"})
        return text, status, body, solo[text]
    status, _, body = server.post_form("/tts", {"text": text})
    return text, status, wav_parts(body)[2][:-silence] if status == 200 else body, solo[text]


with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
    results = list(pool.map(one, range(8)))
worst = 0
all_ok = True
for text, status, got, want in results:
    if status != 200:
        all_ok = False
        continue
    difference = max_difference(s16(got), s16(want))
    worst = max(worst, difference)
# The library gives every batched stream the bits of its step alone: exact equality.
check(f"8 concurrent requests (3 running, the rest queued), each exactly its own text's audio alone "
      f"(largest difference {worst})", all_ok and worst == 0, [(t, s) for t, s, _, _ in results])

# --- a client that disconnects mid-stream --------------------------------------------------
long_text = " ".join(["This is a rather long sentence that keeps the server busy for a while."] * 12)
sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
body = json.dumps({"input": long_text, "response_format": "pcm"}).encode()
sock.sendall(b"POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
first = sock.recv(4096)
sock.close()
check("a streaming client got the start of its response", first.startswith(b"HTTP/1.1 200"), first[:100])
status, _, body = speech({"input": TEXT, "response_format": "pcm"})
check("after a client left mid-stream the server still serves, the same audio", status == 200 and body == speech_pcm)


def metric(name):
    text = server.request("GET", "/metrics")[2].decode()
    found = re.search(r"^" + re.escape(name) + r" ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else None


# The generation of the client that left stops (bounded wait: cancellation is within a frame,
# the wait only absorbs a busy machine) and is the only one counted as cancelled.
deadline = time.monotonic() + 60
while metric("pockettts_generations_running") != 0 and time.monotonic() < deadline:
    time.sleep(0.1)
check("the generation of the client that left was cancelled, and only it",
      metric("pockettts_generations_cancelled_total") == 1, metric("pockettts_generations_cancelled_total"))

# --- /metrics ---------------------------------------------------------------------------
status, headers, body = server.request("GET", "/metrics")
text = body.decode()
sample_line = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+0-9.eEInfNa]+$')
bad = [line for line in text.splitlines() if line and not line.startswith("# ") and not sample_line.match(line)]
check("/metrics is the Prometheus text format", status == 200 and headers.get("content-type", "").startswith("text/plain")
      and not bad, bad[:3])
for needed in ['pockettts_requests_total{endpoint="/tts",status="400"}',
               'pockettts_requests_total{endpoint="/v1/audio/speech",status="200"}',
               "pockettts_generations_running ", "pockettts_generations_queued ",
               "pockettts_audio_seconds_total ", 'pockettts_time_to_first_byte_seconds_bucket{le="+Inf"}',
               "pockettts_real_time_factor_count "]:
    check(f"/metrics has {needed.strip()}", needed in text)

code, log = server.stop()
check("the server stops on SIGTERM with exit code 0, no crash", code == 0
      and not re.search(r"terminate called|Aborted|Segmentation|what\(\)", log), log[-2000:])

# --- an API key ---------------------------------------------------------------------------
server = Server(cli, *DETERMINISTIC, env={"POCKETTTS_API_KEY": "s3cret"})
status, _, _ = server.request("GET", "/health")
check("with an API key, /health needs none", status == 200)
status, headers, body = server.request("GET", "/v1/models")
check("with an API key, /v1/models without one is 401 (OpenAI's shape)", status == 401
      and error_of(body).get("type") == "authentication_error" and headers.get("www-authenticate") == "Bearer", body)
status, _, _ = server.request("GET", "/v1/models", headers={"Authorization": "Bearer wrong"})
check("a wrong key is 401", status == 401)
status, _, _ = server.request("GET", "/v1/models", headers={"Authorization": "Bearer s3cret"})
check("the right key is 200", status == 200)
status, _, body = server.post_form("/tts", {"text": TEXT})
check("/tts without the key is 401", status == 401 and "detail" in json.loads(body))
status, _, body = server.post_form("/tts", {"text": TEXT}, headers={"Authorization": "Bearer s3cret"})
check("/tts with the key speaks", status == 200 and wav_parts(body)[2] == cli_samples)
status, _, _ = server.request("GET", "/metrics")
check("/metrics needs the key too", status == 401)
server.stop()

# --- a seeded server at temperature 0.7 is deterministic -----------------------------------
server = Server(cli, "--seed", "42", "--eos-threshold", "6.382", "--max-concurrent", "4")
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    bodies = list(pool.map(lambda _: speech({"input": TEXT, "response_format": "pcm"})[2], range(4)))
alone = speech({"input": TEXT, "response_format": "pcm"})[2]
worst = max(max_difference(s16(b), s16(alone)) for b in bodies)
check(f"--seed 42 at temperature 0.7: 4 concurrent requests equal one alone (largest difference {worst})",
      worst == 0 and len(alone) > 0)
seeded_cli = wav_parts(cli_audio(TEXT, "--seed", "42", "--temperature", "0.7"))[2][:-silence]
check("... and the CLI's audio with the same seed", s16(alone) == s16(seeded_cli))
server.stop()

# --- a queue that is full -----------------------------------------------------------------
server = Server(cli, *DETERMINISTIC, "--max-concurrent", "1", "--max-queue", "0")
holder = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
body = json.dumps({"input": long_text * 3, "response_format": "pcm"}).encode()
holder.sendall(b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
holder.recv(64)  # its generation runs: the one slot is taken
status, headers, body = speech({"input": TEXT, "response_format": "pcm"})
check("with the slot taken and no queue, a request is 503 with Retry-After",
      status == 503 and headers.get("retry-after") and error_of(body).get("message"), f"{status} {body[:200]}")
holder.close()
server.stop()

# --- a client that stalls is dropped; one that waits in the queue is not ---------------------
server = Server(cli, *DETERMINISTIC, "--client-timeout", "2")
stalled = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
stalled.sendall(b"POST /tts HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 1000\r\n\r\n--b\r\n")  # ... and never the rest
try:
    closed = stalled.recv(4096) is not None  # returns (b"" or a 4xx) once the server drops it
except (ConnectionResetError, socket.timeout):
    closed = False
check("a client that stops sending its body is dropped after --client-timeout", closed)
stalled.close()
status, _, body = server.post_form("/tts", {"text": TEXT})
check("... and the server still serves", status == 200 and wav_parts(body)[2] == cli_samples)
server.stop()

# --- start-up errors: said, not crashed ------------------------------------------------------
for name, args, code, pattern in [
        ("--language french says only french_24l exists", ["--language", "french"], 1, "french_24l"),
        ("--language and --config exclude each other", ["--language", "german", "--config", CONFIG], 2, "exclude"),
        ("a --voice that does not exist", ["--config", CONFIG, "--voice", "/nonexistent.wav"], 1, "nonexistent"),
        ("--port out of range", ["--config", CONFIG, "--port", "70000"], 2, "--port"),
        ("--max-concurrent 0", ["--config", CONFIG, "--max-concurrent", "0"], 2, "--max-concurrent")]:
    result = subprocess.run([cli, "serve", "--host", "127.0.0.1", *args], capture_output=True,
                            text=True, timeout=TIMEOUT)
    check(f"serve: {name} (exit {code})", result.returncode == code and pattern in result.stderr
          and not re.search(r"terminate called|Aborted|Segmentation", result.stderr), result.stderr[-500:])

voice_http.shutdown()
report.finish()
