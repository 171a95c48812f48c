"""The one way into the outbox (`app.delivery.queue` / `queue_in` / `queue_runs`): rows are
stored in the caller's transaction and the workers are woken once it has committed - never
before (a worker woken early finds nothing and sleeps until its next poll), never after a
rollback."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Application
from cogs.help import HelpCog
from tests.conftest import AppFactory
from tests.delivery.fakes import FakeSender, dm

pytestmark = pytest.mark.both_backends


async def started(make_app: AppFactory, sender: FakeSender) -> tuple[Application, list[str]]:
    """An app sending through `sender`, and the list of platforms each wake named."""
    app = await make_app([HelpCog], delivery_discord_rate=0.0, delivery_discord_route_rate=0.0)
    app.delivery.register_sender(sender.platform, sender)
    woken: list[str] = []
    wake = app.delivery.wake

    def recording_wake(platform: str | None = None) -> None:
        woken.append(platform or "*")
        wake(platform)

    app.delivery.wake = recording_wake  # type: ignore[method-assign]
    await asyncio.wait_for(app.delivery.idle(), 30)
    return app, woken


async def test_queue_in_wakes_the_workers_after_the_commit_not_before(
    make_app: AppFactory,
) -> None:
    sender = FakeSender()
    app, woken = await started(make_app, sender)
    async with app.db.transaction() as conn:
        assert await app.delivery.queue_in(conn, "r1", [dm("a"), dm("b")]) == 2
        assert woken == []  # not committed yet: a worker would find nothing
    assert woken == ["discord"]
    await asyncio.wait_for(app.delivery.idle(), 30)  # no clock move: no poll, only the wake
    assert sender.sent_to() == {"a": 1, "b": 1}


async def test_a_rolled_back_queue_in_wakes_nothing_and_sends_nothing(
    make_app: AppFactory,
) -> None:
    sender = FakeSender()
    app, woken = await started(make_app, sender)
    with pytest.raises(RuntimeError):
        async with app.db.transaction() as conn:
            await app.delivery.queue_in(conn, "r1", [dm("a")])
            raise RuntimeError("the caller's other write failed")
    assert woken == []
    assert await app.delivery.queue("r1", [dm("a")]) == 1  # nothing of r1 was kept
    await asyncio.wait_for(app.delivery.idle(), 30)
    assert sender.sent_to() == {"a": 1}


async def test_queue_runs_wakes_each_platform_that_got_rows_once(make_app: AppFactory) -> None:
    sender = FakeSender()
    app, woken = await started(make_app, sender)
    async with app.db.transaction() as conn:
        queued = await app.delivery.queue_runs(
            conn,
            runs=[("r1", [dm("a"), dm("b", platform="slack")]), ("r2", [dm("c")])],
            now=app.clock.now(),
        )
    assert queued == {"r1": 2, "r2": 1}
    assert woken == ["discord", "slack"]
    await asyncio.wait_for(app.delivery.idle(), 30)
    assert sender.sent_to() == {"a": 1, "c": 1}


async def test_queueing_what_is_already_queued_wakes_nobody(make_app: AppFactory) -> None:
    sender = FakeSender()
    app, woken = await started(make_app, sender)
    assert await app.delivery.queue("r1", [dm("a")]) == 1
    assert await app.delivery.queue("r1", [dm("a")]) == 0
    assert woken == ["discord"]


async def test_queue_in_needs_a_connection_from_the_apps_transaction(
    make_app: AppFactory,
) -> None:
    app, _ = await started(make_app, FakeSender())
    async with app.db.engine.begin() as conn:
        with pytest.raises(ValueError, match=r"Database\.transaction"):
            await app.delivery.queue_in(conn, "r1", [dm("a")])
