"""A headless Chromium for page tests, driven over the DevTools protocol (CDP) on a websocket.

:func:`open_page` starts Debian's ``chromium`` on a private profile, opens a ``file://`` page in
a fresh tab, records every network request the page makes, waits until the page's own scripts
say they are ready (a JavaScript expression that turns true), and yields a :class:`Page` to
query the DOM and take screenshots. On exit it closes the websocket and stops the browser by
its process id (its process group, which only it and its children are in).

Name resolution inside the browser is mapped to nothing (``--host-resolver-rules``), so a page
that tried to reach the network could not leave the machine; the attempt is still recorded in
:attr:`Page.requests` and tests assert that none happened.

Tests that need the browser carry ``@pytest.mark.browser`` and call :func:`require_chromium`,
which skips with the reason only when no chromium binary exists (``make test`` installs one).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM_NAMES = ("chromium", "chromium-browser")
START_WAIT_S = 60.0  # upper bounds of waits (not timings asserted on)
READY_WAIT_S = 60.0
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "chrome:", "devtools:")


def chromium_path() -> str | None:
    """The chromium binary: ``$HILGEN_CHROMIUM`` if set, else the first on ``PATH``."""
    env = os.environ.get("HILGEN_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The chromium binary, or skip the test saying how to install it."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no chromium binary on PATH (Debian: apt-get install -y chromium; `make test` "
            "installs it when missing)"
        )
    return path


class BrowserError(RuntimeError):
    """The browser did not start, a DevTools command failed or the page never became ready."""


@dataclass
class Page:
    """One open tab: DevTools commands on its session, and what the page did."""

    ws: ClientConnection
    session: str
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    _next_id: int = 100

    def _on_event(self, msg: dict[str, Any]) -> None:
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.webSocketCreated":
            self.requests.append(params["url"])
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(str(text))
        elif method == "Runtime.consoleAPICalled":
            args = params.get("args", [])
            self.console.append(" ".join(str(a.get("value", "")) for a in args))

    def command(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one DevTools command on this tab's session; return its result."""
        self._next_id += 1
        mid = self._next_id
        self.ws.send(
            json.dumps({"id": mid, "method": method, "params": params, "sessionId": self.session})
        )
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer to {method} within {timeout:.0f} s")
            msg = json.loads(self.ws.recv(timeout=left))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError(f"{method} failed: {msg['error']}")
                return dict(msg.get("result", {}))
            self._on_event(msg)

    def wait_event(self, method: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} event within {timeout:.0f} s")
            msg = json.loads(self.ws.recv(timeout=left))
            self._on_event(msg)
            if msg.get("method") == method:
                return dict(msg.get("params", {}))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values)."""
        result = self.command(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = READY_WAIT_S) -> Any:
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if self.errors:
                raise BrowserError(f"the page threw: {self.errors}")
            if time.monotonic() > deadline:
                raise BrowserError(f"{expression!r} stayed false for {timeout:.0f} s")
            time.sleep(0.1)

    def click(self, selector: str) -> None:
        found = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            "if (!e) return false; e.click(); return true; })()"
        )
        if not found:
            raise BrowserError(f"no element matches {selector!r}")

    def type_into(self, selector: str, text: str) -> None:
        """Set an input's value and fire its ``input`` event, as typing would."""
        found = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            f"if (!e) return false; e.value = {json.dumps(text)}; "
            "e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"
        )
        if not found:
            raise BrowserError(f"no element matches {selector!r}")

    def mouse_move(self, x: float, y: float) -> None:
        """Move the mouse to page coordinates ``(x, y)`` (hover effects, tooltips)."""
        self.command("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.command("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size.get("width", 1280),
                "height": min(size.get("height", 900), 4000),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self.command("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def remote_requests(self) -> list[str]:
        """Requests the page made to anything but local schemes (should be none)."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


def _wait_port(profile: Path, proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrowserError(f"chromium exited with status {proc.returncode} at start")
        if marker.is_file():
            lines = marker.read_text(encoding="utf-8").split()
            if len(lines) >= 2:
                return int(lines[0]), lines[1]
        time.sleep(0.05)
    raise BrowserError(f"chromium wrote no DevToolsActivePort within {START_WAIT_S:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser by its process id (and its process group, which it leads)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # its helper processes (zygote, renderer, GPU) are in the same group: wait until they are
    # gone, then kill what is left, so no browser outlives the test
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def open_page(
    page: Path,
    ready: str,
    *,
    width: int = 1280,
    height: int = 900,
    init_script: str = "",
) -> Iterator[Page]:
    """Open ``page`` (a local file) in headless chromium and wait until ``ready`` is truthy.
    ``init_script`` runs in the page before any of its own scripts (e.g. to watch ``alert``)."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="hilgen-chromium-") as tmp:
        profile = Path(tmp)
        args = [
            binary,
            "--headless=new",
            "--no-sandbox",  # tests run as root in CI
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            port, path = _wait_port(profile, proc)
            with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
                ws.send(
                    json.dumps(
                        {"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}
                    )
                )
                target = _answer(ws, 1)["targetId"]
                ws.send(
                    json.dumps(
                        {
                            "id": 2,
                            "method": "Target.attachToTarget",
                            "params": {"targetId": target, "flatten": True},
                        }
                    )
                )
                session = _answer(ws, 2)["sessionId"]
                tab = Page(ws, session, page.resolve().as_uri())
                for domain in ("Network", "Page", "Runtime"):
                    tab.command(f"{domain}.enable")
                tab.command(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                if init_script:
                    tab.command("Page.addScriptToEvaluateOnNewDocument", source=init_script)
                started = time.monotonic()
                tab.command("Page.navigate", url=tab.url)
                tab.wait_event("Page.loadEventFired", READY_WAIT_S)
                tab.wait_for(ready)
                tab.load_seconds = time.monotonic() - started
                yield tab
        finally:
            _stop(proc)


def _answer(ws: ClientConnection, mid: int) -> dict[str, Any]:
    deadline = time.monotonic() + START_WAIT_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrowserError(f"no answer to DevTools message {mid}")
        msg = json.loads(ws.recv(timeout=left))
        if msg.get("id") == mid:
            if "error" in msg:
                raise BrowserError(f"DevTools message {mid} failed: {msg['error']}")
            return dict(msg.get("result", {}))
