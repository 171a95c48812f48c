"""SIGTERM and SIGINT on a real bot process: in-flight work finishes (bounded), nothing
half-written stays behind, the database is closed, the exit status is 0."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.app import Application
from bot.cog import Cog, command
from bot.commands.context import Context
from bot.commands.dispatcher import Outcome
from bot.settings import load_settings
from storage.backup import integrity_check
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, invocation
from tests.ops.slow_bot import FANOUT

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 90  # seconds; only reached if shutdown hangs (the test then fails)


class Bot:
    """`python -m tests.ops.slow_bot` with its output read line by line as it comes."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.db_path = tmp_path / "bot.db"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
        full_env.update(
            DATABASE_URL=f"sqlite:///{self.db_path}",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            COLUMNS="100",
            **env,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.slow_bot"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=tmp_path,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self._stderr: list[str] = []
        self._stderr_done = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)
        self._stderr_done.set()

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # already gone: that is fine for the lines sent after a signal

    def wait_for(self, text: str) -> None:
        while True:
            line = self.lines.get(timeout=HANG_GUARD)
            if line is None:
                raise AssertionError(f"bot exited before printing {text!r}: {self.stdout}")
            self.stdout.append(line)
            if text in line:
                return

    def finish(self) -> int:
        try:
            self.proc.wait(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the bot did not exit after the signal") from None
        self._stderr_done.wait(HANG_GUARD)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        while (line := self.lines.get(timeout=HANG_GUARD)) is not None:
            self.stdout.append(line)
        return self.proc.returncode

    @property
    def output(self) -> str:
        return "".join(self.stdout)


def outbox_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT run_key, count(*) FROM outbox GROUP BY run_key").fetchall()
    finally:
        conn.close()
    return {str(k): int(n) for k, n in rows}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_lets_the_command_in_flight_finish_then_exits_zero(
    tmp_path: Path, sig: signal.Signals
) -> None:
    bot = Bot(tmp_path, SHUTDOWN_GRACE_SECONDS="30")
    bot.send("/slow 2")
    bot.wait_for("slow started")
    bot.proc.send_signal(sig)
    bot.send("/help")  # new work after the signal is not taken
    assert bot.finish() == 0, bot.stderr

    assert "slow finished" in bot.output
    assert "bot exited cleanly" in bot.output
    assert "List every command" not in bot.output
    assert f"shutting down ({sig.name})" in bot.stderr
    # The database was closed cleanly: WAL checkpointed and removed, file sound.
    assert not bot.db_path.with_name("bot.db-wal").exists()
    assert integrity_check(bot.db_path) == "ok"

    # A restart finds the whole fan-out in the outbox, still waiting to be sent.
    app = Application(load_settings(None, database_url=f"sqlite:///{bot.db_path}"), cog_classes=[])
    await app.start()
    await app.stop()
    assert outbox_counts(bot.db_path) == {"slow-1": FANOUT, "slow-2": FANOUT}


def test_command_over_the_grace_period_is_rolled_back_and_the_bot_still_exits_zero(
    tmp_path: Path,
) -> None:
    bot = Bot(tmp_path, SHUTDOWN_GRACE_SECONDS="1")
    bot.send("/slow 600")
    bot.wait_for("slow started")
    bot.proc.send_signal(signal.SIGTERM)
    assert bot.finish() == 0, bot.stderr

    assert "slow finished" not in bot.output
    assert "were cancelled" in bot.stderr
    assert integrity_check(bot.db_path) == "ok"
    # Nothing half-written: the open transaction was rolled back whole.
    assert outbox_counts(bot.db_path) == {}


def test_idle_bot_exits_zero_on_sigterm_while_waiting_for_input(tmp_path: Path) -> None:
    bot = Bot(tmp_path)
    bot.wait_for("You are @ana")
    bot.proc.send_signal(signal.SIGTERM)
    # stdin stays open: the bot must not wait for it.
    assert bot.finish() == 0, bot.stderr
    assert "bot exited cleanly" in bot.output


# -- in process: the dispatcher's side of it ------------------------------------------------


class WaitCog(Cog):
    name = "wait"

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = False

    @command("wait", "Wait until released")
    async def wait(self, ctx: Context) -> None:
        self.entered.set()
        await self.release.wait()
        self.finished = True
        await ctx.reply("released")


async def test_after_stop_is_requested_new_commands_are_refused_politely(
    make_app: AppFactory,
) -> None:
    app = await make_app([WaitCog])
    outcomes: list[Outcome] = []
    app.dispatcher.outcome_observers.append(outcomes.append)
    cog = app.cogs["wait"]
    assert isinstance(cog, WaitCog)
    first = RecordingResponder()
    running = asyncio.create_task(app.dispatcher.dispatch(invocation("wait"), first))
    await cog.entered.wait()
    assert app.dispatcher.inflight == 1

    app.request_stop("test")
    late = RecordingResponder()
    refused = await app.dispatcher.dispatch(invocation("wait"), late)
    assert refused.status == "refused"
    assert "restarting" in late.text() and late.last.private

    drained = asyncio.create_task(app.dispatcher.drain(30))
    cog.release.set()
    assert await drained == 0
    assert (await running).status == "ok" and first.text() == "released"
    assert app.dispatcher.inflight == 0
    assert [o.status for o in outcomes] == ["refused", "ok"]


async def test_drain_cancels_what_outlives_the_grace_period(make_app: AppFactory) -> None:
    app = await make_app([WaitCog])
    cog = app.cogs["wait"]
    assert isinstance(cog, WaitCog)
    running = asyncio.create_task(app.dispatcher.dispatch(invocation("wait"), RecordingResponder()))
    await cog.entered.wait()
    app.request_stop()
    assert await app.dispatcher.drain(0) == 1
    assert running.cancelled() and not cog.finished
    assert app.dispatcher.inflight == 0
