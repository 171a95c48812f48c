"""A real headless Chromium (Debian's package) driven over the DevTools protocol, for tests that
look at a page as a person would. Only loopback pages are opened; Chromium's own background
traffic is switched off."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium_path() -> str:
    """The browser, or skip (fail when MLEBOT_TEST_BROWSER=require, as in CI)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (scripts/install-browser.sh installs Debian's package)"
    if os.environ.get("MLEBOT_TEST_BROWSER") == "require":
        pytest.fail(message)
    pytest.skip(message)


class Page:
    """One tab: navigate, evaluate JavaScript, take a screenshot."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        async with asyncio.timeout(30):
            while True:
                msg = await self.ws.receive_json()
                if msg.get("id") == call_id:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    result: dict[str, Any] = msg.get("result", {})
                    return result
                self.events.append(msg)

    async def wait_for(self, event: str) -> None:
        if any(e.get("method") == event for e in self.events):
            return
        async with asyncio.timeout(30):
            while True:
                msg = await self.ws.receive_json()
                self.events.append(msg)
                if msg.get("method") == event:
                    return

    async def open(self, url: str, *, width: int = 390, height: int = 844) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        await self.call("Page.enable")
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self.wait_for("Page.loadEventFired")

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self) -> bytes:
        """The whole page as PNG bytes."""
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(shot["data"])


@asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    exe = chromium_path()
    profile = tempfile.mkdtemp(prefix="mlebot-chromium-")
    proc = await asyncio.create_subprocess_exec(
        exe,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        port = None
        async with asyncio.timeout(30):
            while port is None:
                line = (await proc.stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("Chromium exited before its DevTools endpoint was ready")
                m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = int(m.group(1))
        # Keep draining stderr so Chromium never blocks on a full pipe.
        drain = asyncio.ensure_future(proc.stderr.read())
        async with aiohttp.ClientSession() as session:
            async with session.put(f"http://127.0.0.1:{port}/json/new?about:blank") as resp:
                target = json.loads(await resp.text())
            async with session.ws_connect(
                target["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024
            ) as ws:
                yield Page(ws)
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
