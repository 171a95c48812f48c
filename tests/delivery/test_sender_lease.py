"""One sender per SQLite file (issue 17 §1): the sender lease.

A second process on a SQLite database - the console, a second `mlebot run` - must never reset or
claim rows another live process has in flight; on PostgreSQL processes keep sharing the outbox.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console

from bot.adapters.discord.sender import delivery_limits as discord_limits
from bot.app import Application
from bot.delivery.engine import POLL_SECONDS, SenderBusy
from bot.delivery.limits import PlatformLimits
from bot.messages import Message
from bot.ops.cli import main
from bot.ops.compose import ConsoleOptions, build_application
from bot.scheduling.jobs import Destination
from bot.settings import Settings
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from storage.database import Database
from storage.outbox import outbox
from storage.sender_lease import holder_is_dead, sender_lease
from tests.conftest import AppFactory
from tests.delivery.fakes import dm, queue

pytestmark = pytest.mark.both_backends

UNLIMITED: dict[str, Any] = {
    "delivery_discord_rate": 0.0,
    "delivery_discord_route_rate": 0.0,
    "delivery_concurrency": 60,
}


class GatedSender:
    """Counts sends per recipient; every send waits until `gate` opens (rows stay in flight)."""

    platform = "discord"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.sent: Counter[str] = Counter()

    def limits(self, settings: Settings) -> PlatformLimits:
        return discord_limits(settings)

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        self.waiting += 1
        await self.gate.wait()
        self.sent[destination.target_id] += 1


async def statuses(app: Application) -> Counter[str]:
    async with app.db.transaction() as conn:
        return Counter(r.status for r in await conn.execute(sa.select(outbox.c.status)))


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


async def test_a_console_on_the_file_neither_resets_nor_duplicates_in_flight_rows(
    make_app: AppFactory, settings: Settings, clock: ManualClock, database_url: str
) -> None:
    """The issue's reproduction: 200 DM subscribers, a fan-out in flight, then
    `printf '/help\\n' | mlebot console` on the same database. 0 duplicates, 0 lost."""
    sender = GatedSender()
    app = await make_app([HelpCog], **UNLIMITED)
    app.delivery.register_sender("discord", sender)
    users = [f"u{i}" for i in range(200)]
    await queue(app, "publish-now", [dm(u) for u in users])
    while sender.waiting < 60:  # noqa: ASYNC110 - 60 rows in flight, as in the report
        await asyncio.sleep(0.005)
    assert (await statuses(app))["sending"] >= 60

    out = io.StringIO()
    console = await build_application(
        settings.model_copy(update=UNLIMITED),
        clock=clock,
        cog_classes=[HelpCog],
        console=ConsoleOptions(
            stdin=io.StringIO("/help\n"), console=Console(file=out, width=120), interactive=False
        ),
    )
    try:
        await asyncio.wait_for(console.run(), 30)
    finally:
        await console.stop()
    text = out.getvalue()
    assert "/help" in text or "help" in text.lower()
    if database_url.startswith("sqlite"):
        assert console.delivery.sent_by == app.delivery.owner
        assert app.delivery.owner in text  # the console says who sends its posts
    assert (await statuses(app))["sending"] >= 60  # untouched by the console

    sender.gate.set()
    await asyncio.wait_for(app.delivery.idle(), 60)
    clock.advance(timedelta(seconds=POLL_SECONDS + 1))  # the engine looks at the outbox again
    await asyncio.wait_for(app.delivery.idle(), 60)
    duplicates = sum(n - 1 for n in sender.sent.values() if n > 1)
    lost = sum(1 for u in users if sender.sent[u] == 0)
    assert (duplicates, lost) == (0, 0)
    assert await statuses(app) == {"sent": 200}


async def test_a_second_sender_stops_with_a_clear_message_on_sqlite(
    make_app: AppFactory, settings: Settings, clock: ManualClock, database_url: str
) -> None:
    first = await make_app([HelpCog])
    second = Application(settings, clock=clock, cog_classes=[HelpCog])
    try:
        if database_url.startswith("sqlite"):
            with pytest.raises(SenderBusy) as refused:
                await second.start(sender_required=True)
            assert first.delivery.owner in str(refused.value)
            assert "one sending process per database file" in str(refused.value)
            assert not second.delivery.running
        else:  # PostgreSQL: processes share the outbox through row leases
            await second.start(sender_required=True)
            assert second.delivery.running and first.delivery.running
    finally:
        await second.stop()


async def test_the_lease_is_released_on_stop_and_taken_from_a_dead_or_expired_holder(
    make_app: AppFactory, settings: Settings, clock: ManualClock, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the sender lease is SQLite's; PostgreSQL shares the outbox")
    db = Database(settings.database_url)

    async def put(holder: str, seconds: float) -> None:
        async with db.transaction() as conn:
            await conn.execute(sender_lease.delete())
            await conn.execute(
                sender_lease.insert().values(
                    name="sender",
                    holder=holder,
                    acquired_at=clock.now(),
                    expires_at=clock.now() + timedelta(seconds=seconds),
                )
            )

    try:
        first = await make_app([HelpCog])
        host = first.delivery.owner.split(":")[0]
        await first.stop()
        async with db.transaction() as conn:
            assert (await conn.execute(sa.select(sender_lease))).all() == []

        # Killed on this host: the process is gone, so its lease is taken at once.
        gone = f"{host}:{dead_pid()}:dead"
        assert holder_is_dead(gone)
        await put(gone, 600)
        second = await make_app([HelpCog])
        assert second.delivery.running and second.delivery.sent_by is None
        await second.stop()

        # Alive elsewhere (another host sharing the file): passive until the lease expires.
        await put("other-host:1:x", 10)
        third = await make_app([HelpCog])
        assert not third.delivery.running and third.delivery.sent_by == "other-host:1:x"
        await third.stop()
        clock.advance(timedelta(seconds=11))
        fourth = await make_app([HelpCog])
        assert fourth.delivery.running and fourth.delivery.sent_by is None
    finally:
        await db.close()


async def in_flight(app: Application) -> list[tuple[object, ...]]:
    """Every outbox row's claim: id, status, attempts, lease owner and expiry."""
    columns = (outbox.c.id, outbox.c.status, outbox.c.attempts)
    async with app.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(*columns, outbox.c.lease_owner, outbox.c.lease_until).order_by(outbox.c.id)
        )
        return [tuple(r) for r in rows]


async def test_delivery_status_and_backup_leave_rows_in_flight_alone(
    make_app: AppFactory,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`mlebot delivery status` and `mlebot backup` on the database of a running sender while 60
    rows are in flight: the rows keep their status, attempts and lease; the sender lease keeps
    its holder; the sender finishes with each recipient served once."""
    sender = GatedSender()
    app = await make_app([HelpCog], **UNLIMITED)
    app.delivery.register_sender("discord", sender)
    users = [f"u{i}" for i in range(200)]
    await queue(app, "publish-now", [dm(u) for u in users])
    while sender.waiting < 60:  # noqa: ASYNC110 - 60 rows in flight
        await asyncio.sleep(0.005)
    before = await in_flight(app)
    assert sum(1 for row in before if row[1] == "sending") >= 60
    holder = await app.delivery.sender_lease.current() if app.delivery.sender_lease else None

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["--env-file", "/nonexistent", "delivery", "status"]) == 0
    assert "publish-now  0 sent · 200 pending" in capsys.readouterr().out  # in flight: pending
    if database_url.startswith("sqlite"):
        copy = tmp_path / "copy.db"
        assert (
            await asyncio.to_thread(main, ["--env-file", "/nonexistent", "backup", str(copy)]) == 0
        )
        assert copy.exists()
        assert await app.delivery.sender_lease.current() == holder  # type: ignore[union-attr]

    assert await in_flight(app) == before
    sender.gate.set()
    await asyncio.wait_for(app.delivery.idle(), 60)
    assert sum(sender.sent.values()) == 200 and set(sender.sent.values()) == {1}


async def until(predicate: Any) -> None:
    """Let the engine's heartbeat run until `predicate()` (it wakes on the manual clock)."""
    async with asyncio.timeout(30):
        while not await predicate():  # noqa: ASYNC110 - the lease row has no event
            await asyncio.sleep(0.005)


async def test_a_live_sender_keeps_its_lease_and_a_stalled_one_stops_once_it_passed(
    make_app: AppFactory,
    settings: Settings,
    clock: ManualClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the sender lease is SQLite's; PostgreSQL shares the outbox")
    first = await make_app([HelpCog])
    first.delivery.register_sender("discord", GatedSender())
    lease = first.delivery.sender_lease
    assert lease is not None and first.delivery.workers
    ttl = first.delivery.lease_seconds

    async def renewed() -> bool:
        held = await lease.current()
        return held is not None and held.expires_at >= clock.now() + timedelta(seconds=ttl)

    for _ in range(9):  # three lease lengths: the heartbeat renews every third of one
        clock.advance(timedelta(seconds=ttl / 3))
        await until(renewed)
    second = await make_app([HelpCog])  # same host, live pid: only the expiry could free it
    assert second.delivery.sent_by == first.delivery.owner and not second.delivery.running

    # The first process stalled past its lease and a process elsewhere took over: at its next
    # heartbeat it sees that, says so and stops sending.
    async with first.db.transaction() as conn:
        await conn.execute(
            sender_lease.update().values(
                holder="elsewhere:1:x", expires_at=clock.now() + timedelta(seconds=ttl)
            )
        )

    async def stopped() -> bool:
        return first.delivery.sent_by is not None

    clock.advance(timedelta(seconds=ttl / 3))
    await until(stopped)
    assert first.delivery.sent_by == "elsewhere:1:x" and first.delivery.workers == {}
    assert "passed to elsewhere:1:x" in caplog.text
    # Once it handed over, its heartbeat has nothing left to renew, and a stop completes. (It used
    # to wait forever for a heartbeat that kept looping after the handover.)
    await asyncio.sleep(0.1)  # let the handover finish
    await asyncio.wait_for(first.stop(), 30)
