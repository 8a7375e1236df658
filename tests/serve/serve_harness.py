"""What the tests of `pockettts serve` share: starting a server on 127.0.0.1 with the tiny test
model on a free port, HTTP and multipart requests, WAV parsing, pass/fail reporting.
Python standard library only."""
import atexit
import http.client
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("POCKETTTS_TEST_DATA", os.path.join(HERE, "..", "data"))
TINY = os.path.join(DATA, "tiny")
CONFIG = os.path.join(TINY, "config.yaml")
VOICE_WAV = os.path.join(TINY, "voice", "voice_s16.wav")
# The "short" golden case of tests/data/tiny/manifest.json (as tests/cli/test_cli.sh uses it).
DETERMINISTIC = ["--temperature", "0", "--eos-threshold", "6.382"]
TIMEOUT = 120  # seconds any single exchange may take (a bound, not a measurement)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            print(f"ok   {name}")
            self.passed += 1
        else:
            print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""))
            self.failed += 1
        sys.stdout.flush()
        return condition

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


class Server:
    """`pockettts serve ARGS` on 127.0.0.1, a free port (and Wyoming when asked)."""

    def __init__(self, cli, *args, wyoming=False, env=None):
        command = [cli, "serve", "--config", CONFIG, "--voice", VOICE_WAV, "--host", "127.0.0.1",
                   "--port", "0", *args]
        if wyoming:
            command += ["--wyoming-port", "0"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        env={**os.environ, **(env or {})})
        # A test that dies with an exception must not leave its server running.
        atexit.register(lambda: self.process.poll() is None and self.process.kill())
        self.log = b""
        self.port = None
        self.wyoming_port = None
        # A thread reads stderr to its end (the server's log must never fill the pipe).
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None and (
                self.port is None or (wyoming and self.wyoming_port is None)):
            time.sleep(0.05)
        if self.port is None or (wyoming and self.wyoming_port is None):
            self.process.kill()
            self._reader.join(5)
            raise RuntimeError("the server did not start:\n" + self.log.decode(errors="replace"))

    def _read_log(self):
        for line in self.process.stderr:
            self.log += line
            text = line.decode(errors="replace").strip()
            if text.startswith("Listening on http://127.0.0.1:"):
                self.port = int(text.rsplit(":", 1)[1])
            if text.startswith("Wyoming on tcp://127.0.0.1:"):
                self.wyoming_port = int(text.rsplit(":", 1)[1])

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict with lower-case names, body bytes)"""
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()

    def post_json(self, path, payload, headers=None):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        return self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def post_form(self, path, fields, files=None, headers=None):
        content_type, body = multipart(fields, files or {})
        return self.request("POST", path, body, {"Content-Type": content_type, **(headers or {})})

    def stop(self):
        """SIGTERM; returns (exit code, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(TIMEOUT)
        return self.process.returncode, self.log.decode(errors="replace")


def multipart(fields, files):
    """A multipart/form-data body: fields {name: text}, files {name: (filename, bytes)}."""
    boundary = "pockettts-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                     + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def wav_parts(data):
    """(fmt chunk bytes, declared data size, sample bytes) of a RIFF/WAVE with one data chunk."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk == b"fmt ":
            fmt = data[pos + 8:pos + 8 + size]
        elif chunk == b"data":
            return fmt, size, data[pos + 8:]
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def s16(data):
    return struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2])


def max_difference(a, b):
    if len(a) != len(b):
        return float("inf")
    return max((abs(x - y) for x, y in zip(a, b)), default=0)
