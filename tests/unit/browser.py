"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``):
no port, no network.  Enough of the protocol to open a local file, run JavaScript in it, collect
console messages, script errors and every URL the page asked for, and take a PNG screenshot.

    with Browser() as b:
        b.open(path)
        b.eval("document.title")
        b.screenshot(png_path)
        b.errors()          # console errors and uncaught exceptions, as text
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

# off: everything that would talk to a server, and what a headless run in a container lacks
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-pipe",
         "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--disable-domain-reliability", "--disable-breakpad", "--hide-scrollbars",
         "--mute-audio", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def find_chromium():
    """The chromium binary (Debian package chromium), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self, binary=None, width=1400, height=1000, timeout=30.0):
        self.binary = binary or find_chromium()
        self.size = (width, height)
        self.timeout = timeout
        self.events = []
        self._id = 0
        self._buf = b""

    def __enter__(self):
        self._profile = tempfile.mkdtemp(prefix="sitevpn-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds():
            # chromium reads commands on fd 3 and writes answers on fd 4
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self._proc = subprocess.Popen(  # pylint: disable=subprocess-popen-preexec-fn
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=True)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1, "mobile": False}, session=True)
        return self

    def __exit__(self, *exc):
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError):
            pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self._profile, ignore_errors=True)

    def send(self, method, params=None, session=False):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._wait(lambda m, i=self._id: m.get("id") == i)["result"]

    def _wait(self, match):
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if match(msg):
                    if "error" in msg:
                        raise RuntimeError(f"chromium: {msg['error']}")
                    return msg
                self.events.append(msg)
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk

    def open(self, path):
        """Load a local file and wait for its load event."""
        self.events.clear()
        self.send("Page.navigate", {"url": f"file://{os.path.abspath(path)}"}, session=True)
        if not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._wait(lambda m: m.get("method") == "Page.loadEventFired"))

    def eval(self, expression):
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path, full_page=True):
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1}
        data = self.send("Page.captureScreenshot", params, session=True)["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def set_dark(self, dark=True):
        features = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
        self.send("Emulation.setEmulatedMedia", {"features": features}, session=True)

    def errors(self):
        """Console errors and uncaught exceptions since the last open(), as text."""
        out = []
        for e in self.events:
            p = e.get("params") or {}
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("exception", {}).get("description") or p))
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args") or []))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def requests(self):
        """Every URL the page asked for since the last open()."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
