#!/usr/bin/env python3
"""The page of `pockettts serve` in headless Chromium: loaded, text typed, Generate clicked,
speech heard while generated (Web Audio) and the <audio> element given the whole file; a
screenshot is kept as a test artifact ($POCKETTTS_TEST_ARTIFACTS/serve-page.png).

Chromium is driven through its DevTools protocol (--remote-debugging-port) with Debian's
python3-websocket. Exit code 77 (skipped) when chromium or the websocket module is missing.
Usage: test_web_page.py PATH/TO/pockettts
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from serve_harness import DETERMINISTIC, TIMEOUT, Report, Server

try:
    import websocket  # Debian's python3-websocket
except ImportError:
    print("skip: the python3-websocket module is not installed (scripts/setup installs it)")
    sys.exit(77)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    print("skip: chromium is not installed (scripts/setup installs it)")
    sys.exit(77)

cli = sys.argv[1]
report = Report()
check = report.check
artifacts = os.environ.get("POCKETTTS_TEST_ARTIFACTS", os.getcwd())
os.makedirs(artifacts, exist_ok=True)
profile = tempfile.mkdtemp(prefix="pockettts-chromium-")
TEXT = "Hello there, friend"


class DevTools:
    """One page target over the DevTools protocol: commands, and the events seen meanwhile."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=TIMEOUT)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression, await_promise=False):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        return None


server = Server(cli, *DETERMINISTIC)
browser = subprocess.Popen(
    [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
     "--autoplay-policy=no-user-gesture-required", "--window-size=900,1000", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    # Chromium writes the port it picked into the profile.
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not (os.path.exists(port_file) and os.path.getsize(port_file)):
        time.sleep(0.1)
    with open(port_file) as f:
        debug_port = int(f.readline())
    with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=TIMEOUT) as r:
        page = next(t for t in json.load(r) if t["type"] == "page")
    tools = DevTools(page["webSocketDebuggerUrl"])
    tools.call("Page.enable")
    tools.call("Runtime.enable")
    tools.call("Page.navigate", url=f"http://127.0.0.1:{server.port}/")
    loaded = tools.wait_for("document.readyState === 'complete' && !!document.getElementById('generate')", 30)
    check("the page loads", bool(loaded))

    # Type the text as a user does: focus the box, select what is there, insert keystrokes.
    tools.evaluate("const t = document.getElementById('text'); t.focus(); t.select(); true")
    tools.call("Input.insertText", text=TEXT)
    check("the text is typed", tools.evaluate("document.getElementById('text').value") == TEXT)

    # Click Generate with the mouse (a user gesture: the page may start audio).
    box = tools.evaluate("(() => { const r = document.getElementById('generate').getBoundingClientRect();"
                         " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        tools.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
    state = tools.wait_for("['done', 'error'].includes(document.body.dataset.state) && document.body.dataset.state", 60)
    status = tools.evaluate("document.getElementById('status').textContent")
    check("generation finishes on the page", state == "done", status)
    check("speech was scheduled for playback while it streamed (first audio recorded)",
          tools.evaluate("document.body.dataset.firstAudio !== undefined"), status)
    # The <audio> element gets the whole file: wait until it has its metadata and data.
    duration = tools.evaluate(
        "new Promise((resolve) => { const a = document.getElementById('audio');"
        " const done = () => resolve(a.readyState >= 2 ? a.duration : -a.readyState);"
        " if (a.readyState >= 2) done(); else { a.addEventListener('loadeddata', done);"
        " setTimeout(done, 20000); } })", await_promise=True)
    check(f"the <audio> element has the speech (duration {duration} s, the 0.8 s of speech and 0.2 s of silence)",
          isinstance(duration, (int, float)) and abs(duration - 1.0) < 0.05, status)
    played = tools.evaluate(
        "Promise.race([document.getElementById('audio').play().then(() => true, (e) => String(e)),"
        " new Promise((resolve) => setTimeout(() => resolve('play() did not start in 20 s'), 20000))])",
        await_promise=True)
    check("the <audio> element plays it", played is True, played)

    shot = tools.call("Page.captureScreenshot", format="png")
    path = os.path.join(artifacts, "serve-page.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    check(f"screenshot kept: {path}", os.path.getsize(path) > 1000)

    # An error is shown, not swallowed: empty text gets the reference's message.
    tools.evaluate("document.getElementById('text').value = '   '; document.getElementById('generate').click(); true")
    state = tools.wait_for("document.body.dataset.state === 'error'", 30)
    check("empty text shows the server's error", bool(state) and "Text cannot be empty" in
          tools.evaluate("document.getElementById('status').textContent"))
finally:
    browser.terminate()
    try:
        browser.wait(timeout=30)
    except subprocess.TimeoutExpired:
        browser.kill()
    server.stop()
    shutil.rmtree(profile, ignore_errors=True)
report.finish()
