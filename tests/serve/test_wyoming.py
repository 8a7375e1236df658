#!/usr/bin/env python3
"""Tests of `pockettts serve --wyoming-port`: a client that speaks the Wyoming protocol over TCP
(written here from the protocol's public specification): describe, synthesize, streaming
synthesis, bad events and bad frames.

Usage: test_wyoming.py PATH/TO/pockettts
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

from serve_harness import CONFIG, DETERMINISTIC, TIMEOUT, VOICE_WAV, Report, Server, wav_parts

cli = sys.argv[1]
report = Report()
check = report.check
tmp = tempfile.mkdtemp(prefix="pockettts-wyoming-test-")


def cli_pcm(text):
    path = os.path.join(tmp, "cli.wav")
    subprocess.run([cli, "generate", "--config", CONFIG, "--voice", VOICE_WAV, *DETERMINISTIC,
                    "--text", text, "-q", "-o", path], check=True, timeout=TIMEOUT)
    with open(path, "rb") as f:
        return wav_parts(f.read())[2][: -2 * int(24000 * 0.2)]


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def send(self, type_, data=None, payload=b"", inline=False):
        header = {"type": type_}
        data_bytes = b""
        if data is not None and inline:
            header["data"] = data
        elif data is not None:
            data_bytes = json.dumps(data).encode()
            header["data_length"] = len(data_bytes)
        if payload:
            header["payload_length"] = len(payload)
        self.sock.sendall(json.dumps(header).encode() + b"\n" + data_bytes + payload)

    def send_raw(self, data):
        self.sock.sendall(data)

    def read(self):
        """(type, data, payload), or None when the server closed the connection."""
        line = self.file.readline()
        if not line:
            return None
        header = json.loads(line)
        data = dict(header.get("data") or {})
        if header.get("data_length"):
            data.update(json.loads(self.file.read(header["data_length"])))
        payload = self.file.read(header["payload_length"]) if header.get("payload_length") else b""
        return header["type"], data, payload

    def read_audio(self):
        """Events up to audio-stop: (types seen, start data, pcm)."""
        types, start, pcm = [], None, b""
        while True:
            event = self.read()
            if event is None:
                return types, start, pcm
            types.append(event[0])
            if event[0] == "audio-start":
                start = event[1]
            elif event[0] == "audio-chunk":
                pcm += event[2]
            elif event[0] in ("audio-stop", "error"):
                return types, start, pcm

    def close(self):
        self.sock.close()


server = Server(cli, *DETERMINISTIC, wyoming=True)
check("the server reports its Wyoming port", server.wyoming_port is not None)
client = Client(server.wyoming_port)

# describe -> info
client.send("describe")
event = client.read()
ok = event is not None and event[0] == "info"
tts = event[1].get("tts", []) if ok else []
check("describe -> info with one TTS program that streams", ok and len(tts) == 1
      and tts[0].get("name") == "pockettts" and tts[0].get("installed") is True
      and tts[0].get("supports_synthesize_streaming") is True, event)
voices = tts[0].get("voices", []) if tts else []
check("info lists the voices, with their languages", any(v.get("name") == "alba" and v.get("languages") == ["en"]
                                                        for v in voices), voices[:2])

# synthesize -> audio-start, audio-chunk..., audio-stop
text = "Hello there, friend"
want = cli_pcm(text)
client.send("synthesize", {"text": text})
types, start, pcm = client.read_audio()
check("synthesize -> audio-start, audio-chunks, audio-stop", types[0] == "audio-start"
      and types[-1] == "audio-stop" and types.count("audio-chunk") >= 2, types)
check("audio-start says rate 24000, width 2, channels 1", start is not None and start.get("rate") == 24000
      and start.get("width") == 2 and start.get("channels") == 1, start)
check("the audio equals the CLI's at temperature 0", pcm == want, f"{len(pcm)} vs {len(want)} bytes")

# The same with the data inline in the header (older clients write it so).
client.send("synthesize", {"text": text}, inline=True)
types, _, pcm = client.read_audio()
check("synthesize with inline data gives the same audio", pcm == want)

# streaming: sentences are spoken as they complete; the compatibility synthesize is ignored
first, second = "Hello there, friend.", "How are you today?"
want_stream = cli_pcm(first) + cli_pcm(second)
client.send("synthesize-start", {"voice": {"name": ""}})
client.send("synthesize-chunk", {"text": "Hello there, "})
client.send("synthesize-chunk", {"text": "friend. How are"})
# The first sentence is complete: its audio comes before the stream ends.
event = client.read()
check("streaming: the first complete sentence is spoken before synthesize-stop", event is not None
      and event[0] == "audio-start", event and event[0])
client.send("synthesize-chunk", {"text": " you today?"})
client.send("synthesize", {"text": first + " " + second})  # for servers that do not stream
client.send("synthesize-stop")
types, _, pcm = client.read_audio()
event = client.read()
check("streaming: audio-chunks, audio-stop, then synthesize-stopped", types[-1] == "audio-stop"
      and event is not None and event[0] == "synthesize-stopped", (types[-3:], event))
check("streaming: the audio is each sentence's, once (the compatibility synthesize is not spoken)",
      pcm == want_stream, f"{len(pcm)} vs {len(want_stream)} bytes")

# bad events answer with an error and the connection goes on
client.send("transcribe", {})
event = client.read()
check("an unsupported event -> error", event is not None and event[0] == "error" and event[1].get("text"), event)
client.send("synthesize", {"nope": 1})
event = client.read()
check("synthesize without text -> error", event is not None and event[0] == "error", event)
client.send("synthesize", {"text": text, "voice": {"name": "/etc/passwd"}})
types, _, pcm = client.read_audio()
check("synthesize with an unknown voice -> error, no audio", types == ["error"] and not pcm, types)
client.send("synthesize-chunk", {"text": "out of place"})
event = client.read()
check("synthesize-chunk before synthesize-start -> error", event is not None and event[0] == "error", event)
client.send("describe")
event = client.read()
check("after errors the connection still serves", event is not None and event[0] == "info")

# a frame that breaks the framing: error, then the server closes this connection
client.send_raw(b"this is not json\n")
event = client.read()
check("a header that is not JSON -> error event", event is not None and event[0] == "error", event)
check("... and the connection is closed", client.read() is None)
client.close()

client = Client(server.wyoming_port)
client.send_raw(json.dumps({"type": "synthesize", "data_length": 10**12}).encode() + b"\n")
event = client.read()
check("a data_length over the limit -> error", event is not None and event[0] == "error", event)
client.close()

# a client that leaves mid-synthesis does not stop the server
client = Client(server.wyoming_port)
client.send("synthesize", {"text": " ".join(["A long sentence to keep the server busy."] * 20)})
client.read()
client.close()
client = Client(server.wyoming_port)
client.send("synthesize", {"text": text})
_, _, pcm = client.read_audio()
check("after a client left mid-synthesis, the next one gets its audio", pcm == want)
client.close()

idle = Client(server.wyoming_port)  # left open: stopping must not wait for it
idle.send("describe")
idle.read()
status, _, body = server.request("GET", "/metrics")
check("/metrics counts Wyoming requests", b'pockettts_requests_total{endpoint="wyoming",status="200"}' in body)
code, log = server.stop()
check("the server stops with exit code 0 while a Wyoming client is connected, no crash", code == 0
      and "still running" not in log
      and not re.search(r"terminate called|Aborted|Segmentation|what\(\)", log), log[-2000:])
check("... and that client's connection is closed", idle.read() is None)
report.finish()
