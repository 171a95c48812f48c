"""`mlebot run` as a separate process, configured only by its environment, as users run it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.ports import free_port

#: Variables of the developer's environment that must not leak into the bot under test.
_FOREIGN = ("DISCORD_", "SLACK_", "DATABASE_", "HTTP_", "PUBLIC_", "LOG_", "DELIVERY_", "COGS")


def mlebot_executable() -> list[str]:
    """The installed `mlebot` console script of this environment (what `make run` runs)."""
    script = Path(sys.executable).with_name("mlebot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot.ops.cli"]


class BotProcess:
    """One `mlebot run`: started in an empty folder (no .env), logs kept in a file."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str = "bot") -> None:
        self.workdir = workdir
        self.http_port = free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        self.env = {
            **base,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.http_port),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    async def start(self, *args: str) -> None:
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *mlebot_executable(),
            "run",
            *args,
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_ready(self, within: float = 60.0) -> None:
        """Until `/readyz` answers 200 (database, scheduler and every platform connected)."""
        deadline = asyncio.get_running_loop().time() + within
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.running, f"the bot exited early:\n{self.log()[-3000:]}"
                try:
                    async with session.get(self.url + "/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"not ready within {within} s:\n{self.log()[-3000:]}")
                await asyncio.sleep(0.2)

    async def stop(self, within: float = 30.0) -> int:
        """SIGTERM, then wait for a clean exit; returns the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(within):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
                raise AssertionError(
                    f"no clean exit within {within} s:\n{self.log()[-3000:]}"
                ) from None
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def wait_exit(self, within: float = 60.0) -> int:
        assert self.proc is not None
        async with asyncio.timeout(within):
            return await self.proc.wait()
