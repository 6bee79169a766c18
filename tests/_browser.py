"""A minimal headless-Chromium driver over the Chrome DevTools Protocol (CDP).

Why CDP directly rather than selenium or playwright: it needs one small pure-Python package
(websocket-client), works with the distribution's ``chromium`` binary, and exposes exactly what
the viewer tests check — console messages and exceptions, every network request, JavaScript
dialogs, script evaluation and screenshots.

Usage::

    with Chromium.launch() as browser:
        page = browser.new_page()
        page.open(path.as_uri(), ready="window.kgViewer && window.kgViewer.stable")
        page.evaluate("network.body.data.nodes.length")
        page.screenshot(Path("shot.png"))
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import stop_process

__all__ = ["BrowserError", "Chromium", "Page", "find_chromium"]

#: Flags the project guide asks for: no sandbox (root in CI), no GPU, and nothing that talks to
#: the network on the browser's own account (component updates, safe-browsing lists…).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
)


class BrowserError(RuntimeError):
    """Chromium could not be started or stopped answering."""


def find_chromium() -> str | None:
    """The Chromium executable: ``$KG_CHROMIUM``, else the first of the usual names on PATH."""
    explicit = os.environ.get("KG_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Page:
    """One browser tab attached through a flattened CDP session; records what the page does."""

    browser: Chromium
    session_id: str
    target_id: str
    console: list[dict] = field(default_factory=list)  # {"level", "text"}
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages
    load_fired: bool = False

    def send(self, method: str, timeout: float | None = None, **params: Any) -> dict:
        return self.browser.send(method, params, session_id=self.session_id, timeout=timeout)

    # ---- events -------------------------------------------------------------------------------

    def handle_event(self, method: str, params: dict) -> None:
        if method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])
            )
            self.console.append({"level": params.get("type", "log"), "text": text})
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception", {})
            self.exceptions.append(exception.get("description") or details.get("text", "?"))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append({"level": entry.get("level", "info"), "text": entry.get("text")})
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.failed_requests.append(params.get("errorText", "?"))
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            # Dismiss at once: an open dialog blocks every later evaluation.
            self.browser.post(
                "Page.handleJavaScriptDialog", {"accept": False}, session_id=self.session_id
            )
        elif method == "Page.loadEventFired":
            self.load_fired = True

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions, the things a clean page must not produce."""
        messages = [m["text"] for m in self.console if m["level"] in ("error", "assert")]
        return messages + self.exceptions

    # ---- actions ------------------------------------------------------------------------------

    def open(self, url: str, ready: str | None = None, timeout: float = 60.0) -> float:
        """Navigate, wait for the load event (and ``ready`` to be truthy); return seconds taken."""
        start = time.monotonic()
        self.load_fired = False
        self.send("Page.navigate", url=url)
        deadline = start + timeout
        while not self.load_fired:
            if time.monotonic() > deadline:
                raise BrowserError(f"page did not load within {timeout}s: {url}")
            self.browser.pump(0.05)
        if ready:
            self.wait_for(ready, timeout=max(1.0, deadline - time.monotonic()))
        return time.monotonic() - start

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(
                f"(function(){{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()"
            )
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression!r}; errors: {self.errors}")
            self.browser.pump(0.05)

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its JSON-serialisable value."""
        reply = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise BrowserError(
                details.get("exception", {}).get("description") or details.get("text", "error")
            )
        return reply.get("result", {}).get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target_id})


class Chromium:
    """A headless Chromium process with a fresh profile, driven over its browser websocket."""

    def __init__(self, executable: str, width: int = 1280, height: int = 800) -> None:
        self.executable = executable
        self.width, self.height = width, height
        self.profile = Path(tempfile.mkdtemp(prefix="kg-chromium-"))
        self.process: subprocess.Popen | None = None
        self.socket = None
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._pages: dict[str, Page] = {}

    @classmethod
    def launch(cls, executable: str | None = None, **kwargs: Any) -> Chromium:
        executable = executable or find_chromium()
        if not executable:
            raise BrowserError("no chromium executable found (install Debian's `chromium`)")
        browser = cls(executable, **kwargs)
        browser.start()
        return browser

    def start(self, timeout: float = 30.0) -> None:
        import websocket  # websocket-client; imported here so collection works without it

        command = [
            self.executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.profile}",
            "--remote-debugging-port=0",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        # No Origin header: Chromium refuses websocket clients with a foreign origin.
        self.socket = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True
        )

    def stop(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.close()
            self.socket = None
        if self.process is not None:
            stop_process(self.process, timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- protocol -----------------------------------------------------------------------------

    def post(self, method: str, params: dict | None = None, session_id: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self.socket.send(json.dumps(message))
        return self._next_id

    def send(
        self,
        method: str,
        params: dict | None = None,
        session_id: str | None = None,
        timeout: float | None = None,
    ) -> dict:
        """Send a command and wait for its reply, dispatching events that arrive meanwhile."""
        message_id = self.post(method, params, session_id)
        deadline = time.monotonic() + (timeout or 60.0)
        while message_id not in self._replies:
            if time.monotonic() > deadline:
                raise BrowserError(f"no reply to {method}")
            self.pump(0.5)
        reply = self._replies.pop(message_id)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def pump(self, wait: float) -> None:
        """Read and dispatch whatever messages arrive within ``wait`` seconds."""
        import websocket

        self.socket.settimeout(wait)
        try:
            raw = self.socket.recv()
        except websocket.WebSocketTimeoutException:
            return
        while raw:
            message = json.loads(raw)
            if "id" in message:
                self._replies[message["id"]] = message
            else:
                page = self._pages.get(message.get("sessionId", ""))
                if page is not None:
                    page.handle_event(message["method"], message.get("params", {}))
            self.socket.settimeout(0.001)
            try:
                raw = self.socket.recv()
            except websocket.WebSocketTimeoutException:
                raw = None

    def new_page(self) -> Page:
        """A fresh tab with console, network, dialog and log reporting switched on."""
        target_id = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session_id, target_id)
        self._pages[session_id] = page
        for domain in ("Page", "Runtime", "Network", "Log"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page


@contextlib.contextmanager
def chromium_or_skip(**kwargs: Any):
    """A running headless Chromium for a test module's fixture, stopped afterwards. Without
    Chromium the test skips locally and fails under CI=true, where everything is installed."""
    import pytest

    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium: install Debian's chromium")
        pytest.skip("no Chromium here")
    browser = Chromium.launch(executable, **kwargs)
    try:
        yield browser
    finally:
        browser.stop()
