"""The delivery engine against a fake Sender on a ManualClock: pacing, 429s, retries,
permanent errors, restarts - and every recipient gets exactly one copy."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import Application
from bot.commands.context import Actor, Invocation, Place
from bot.delivery.limits import PlatformLimits
from bot.delivery.sender import PermanentError, RateLimited, TransientError
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from storage.outbox import outbox
from storage.sender_lease import sender_lease
from tests.conftest import AppFactory
from tests.delivery.fakes import FakeSender, channel_post, dm, queue
from tests.helpers import RecordingResponder

pytestmark = pytest.mark.both_backends

UNLIMITED: dict[str, Any] = {"delivery_discord_rate": 0.0, "delivery_discord_route_rate": 0.0}


async def start(make_app: AppFactory, sender: FakeSender, **overrides: Any) -> Application:
    app = await make_app([HelpCog], **{**UNLIMITED, **overrides})
    app.delivery.random.seed(7)
    app.delivery.register_sender(sender.platform, sender)
    return app


async def rows(app: Application) -> dict[str, sa.Row[Any]]:
    async with app.db.transaction() as conn:
        result = await conn.execute(sa.select(outbox).order_by(outbox.c.id))
        return {f"{r.run_key}/{r.target_id}": r for r in result}


async def settle(app: Application, clock: ManualClock, seconds: float = 0.0) -> None:
    if seconds:
        clock.advance(timedelta(seconds=seconds))
    await asyncio.wait_for(app.delivery.idle(), 30)


async def test_every_recipient_gets_exactly_one_copy(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    app = await start(make_app, sender, delivery_concurrency=8)
    users = [f"u{i}" for i in range(40)]
    assert await queue(app, "r1", [dm(u) for u in users]) == 40
    await settle(app, clock)
    assert sender.sent_to() == {u: 1 for u in users}
    stored = await rows(app)
    assert {r.status for r in stored.values()} == {"sent"}
    assert {r.attempts for r in stored.values()} == {1}
    assert {r.lease_owner for r in stored.values()} == {None}
    keys = [key for _user, key in sender.sent]
    assert len(set(keys)) == 40 and all(len(k) <= 25 for k in keys)


async def test_global_429_holds_the_whole_platform_for_exactly_retry_after(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [RateLimited(2.0, scope="global")]
    app = await start(make_app, sender, delivery_concurrency=1)
    await queue(app, "r1", [dm("a"), dm("b"), dm("c")])
    await settle(app, clock)
    assert sender.calls == ["a"]
    await settle(app, clock, 1.9)
    assert sender.calls == ["a"]
    await settle(app, clock, 0.2)
    assert sender.calls == ["a", "a", "b", "c"]
    stored = await rows(app)
    assert stored["r1/a"].status == "sent"
    assert stored["r1/a"].attempts == 1  # a 429 is not a failed attempt
    assert app.delivery.stats()["discord"]["rate_limited_global"] == 1
    waited = app.metrics.registry.get_sample_value(
        "mlebot_rate_limit_wait_seconds_total", {"platform": "discord"}
    )
    assert waited == 2.0


async def test_route_429_holds_only_that_route(make_app: AppFactory, clock: ManualClock) -> None:
    sender = FakeSender()
    sender.script["busy"] = [RateLimited(5.0, scope="channels/busy")]
    app = await start(make_app, sender, delivery_concurrency=1)
    await queue(app, "r1", [channel_post("busy"), channel_post("quiet"), dm("b")])
    await queue(app, "r2", [channel_post("busy")])
    await settle(app, clock)
    assert sender.calls == ["busy", "quiet", "b"]
    await settle(app, clock, 4.0)
    assert sender.calls == ["busy", "quiet", "b"]
    await settle(app, clock, 1.5)
    assert sender.calls == ["busy", "quiet", "b", "busy", "busy"]
    assert sender.sent_to() == {"busy": 2, "quiet": 1, "b": 1}


async def test_token_buckets_pace_the_platform_and_each_route(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    app = await start(
        make_app,
        sender,
        delivery_discord_rate=2.0,
        delivery_discord_route_rate=0.5,
        delivery_discord_route_burst=1,
    )
    await queue(app, "r1", [dm("a"), dm("b"), dm("c"), channel_post("x")])
    await queue(app, "r2", [channel_post("x")])
    await settle(app, clock)
    assert sender.calls == ["a"]  # 2/s with a bucket of one request
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b"]
    await settle(app, clock, 0.5)
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b", "c", "x"]
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b", "c", "x"]  # channel x: one post per 2 s
    await settle(app, clock, 1.5)
    assert sender.calls == ["a", "b", "c", "x", "x"]


async def test_the_engine_paces_each_platform_at_the_limits_its_sender_declares(
    make_app: AppFactory, clock: ManualClock
) -> None:
    """No platform is known to the engine: a sender for a new one brings its own limits, and a
    sender registered in its place brings its own."""
    sender = FakeSender("matrix", declared=PlatformLimits(2.0, 0.5, 1, 4))
    app = await start(make_app, sender)
    await queue(app, "r1", [dm("a", "matrix"), dm("b", "matrix"), channel_post("x", "matrix")])
    await queue(app, "r2", [channel_post("x", "matrix")])
    await settle(app, clock)
    assert sender.calls == ["a"]  # 2/s with a bucket of one request
    await settle(app, clock, 0.5)
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b", "x"]
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b", "x"]  # channel x: one post per 2 s
    await settle(app, clock, 1.5)
    assert sender.calls == ["a", "b", "x", "x"]
    unpaced = FakeSender("matrix", declared=PlatformLimits(0.0, 0.0, 1, 4))
    app.delivery.register_sender("matrix", unpaced)
    await queue(app, "r3", [dm(u, "matrix") for u in ("c", "d", "e")])
    await settle(app, clock)
    assert unpaced.calls == ["c", "d", "e"]  # at once: the new sender declares no limit


async def test_5xx_backs_off_exponentially_with_jitter_then_succeeds(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [TransientError("502 bad gateway"), TransientError("503")]
    app = await start(make_app, sender, delivery_backoff_base=10.0)
    await queue(app, "r1", [dm("a"), dm("b")])
    await settle(app, clock)
    first = (await rows(app))["r1/a"]
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "502 bad gateway")
    delay = (first.next_attempt_at - clock.now()).total_seconds()
    assert 5.0 <= delay <= 10.0
    await settle(app, clock, 10.0)
    second = (await rows(app))["r1/a"]
    assert (second.status, second.attempts) == ("pending", 2)
    delay = (second.next_attempt_at - clock.now()).total_seconds()
    assert 10.0 <= delay <= 20.0
    await settle(app, clock, 20.0)
    done = (await rows(app))["r1/a"]
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)
    assert sender.sent_to() == {"a": 1, "b": 1}


async def test_transient_errors_fail_the_row_after_max_attempts(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [TransientError("500 internal error")] * 5
    app = await start(make_app, sender, delivery_max_attempts=3, delivery_backoff_base=1.0)
    await queue(app, "r1", [dm("a")])
    for _ in range(4):
        await settle(app, clock, 10.0)
    row = (await rows(app))["r1/a"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "gave up after 3 attempts: 500 internal error"
    assert sender.calls == ["a", "a", "a"]


async def test_unexpected_sender_errors_are_retried_not_fatal(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [KeyError("bug in an adapter")]
    app = await start(make_app, sender, delivery_backoff_base=1.0)
    await queue(app, "r1", [dm("a"), dm("b")])
    await settle(app, clock)
    await settle(app, clock, 5.0)
    assert sender.sent_to() == {"a": 1, "b": 1}


async def test_a_claim_that_fails_is_logged_each_time_and_retried(
    make_app: AppFactory,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error that may pass (not a vanished database file) keeps its traceback per attempt,
    and the worker recovers once the database answers again."""
    sender = FakeSender()
    app = await start(make_app, sender)
    real_claim = app.delivery.store.claim
    failures = [RuntimeError("database is locked"), RuntimeError("database is locked")]

    async def flaky_claim(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real_claim(*args, **kwargs)

    monkeypatch.setattr(app.delivery.store, "claim", flaky_claim)
    with caplog.at_level(logging.ERROR):
        await queue(app, "r1", [dm("a")])
        await settle(app, clock)
        assert sender.sent_to() == {}
        await settle(app, clock, 1.0)
        await settle(app, clock, 1.0)
    assert failures == []
    assert sender.sent_to() == {"a": 1}
    logged = [r for r in caplog.records if "claiming discord outbox rows failed" in r.getMessage()]
    assert len(logged) == 2 and all(r.exc_info is not None for r in logged)


async def test_permanent_error_marks_recipient_until_they_use_a_command(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [PermanentError("50007: cannot send messages to this user")]
    app = await start(make_app, sender)
    await queue(app, "r1", [dm("a"), dm("b")])
    await settle(app, clock)
    row = (await rows(app))["r1/a"]
    assert (row.status, row.attempts) == ("failed", 1)
    assert "50007" in (row.last_error or "")
    assert await app.delivery.store.is_undeliverable("discord:dm:a")

    assert await queue(app, "r2", [dm("a"), dm("b")]) == 1
    await settle(app, clock)
    assert (await rows(app))["r2/a"].status == "skipped"
    assert sender.calls == ["a", "b", "b"]

    who = Actor(platform="discord", user_id="a", display_name="A")
    where = Place(platform="discord", community_id="g1", community_name="G", channel_id="c1")
    await app.dispatcher.dispatch(
        Invocation(path=("help",), options={}, actor=who, place=where), RecordingResponder()
    )
    assert not await app.delivery.store.is_undeliverable("discord:dm:a")
    assert await queue(app, "r3", [dm("a")]) == 1
    await settle(app, clock)
    assert sender.sent_to() == {"a": 1, "b": 2}


async def test_permanent_channel_error_fails_without_marking(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["gone"] = [PermanentError("10003: unknown channel")]
    app = await start(make_app, sender)
    await queue(app, "r1", [channel_post("gone")])
    await settle(app, clock)
    assert (await rows(app))["r1/gone"].status == "failed"
    assert await app.delivery.store.undeliverable_count() == 0


def crash(app: Application) -> None:
    """Stop an engine the way SIGKILL would: no draining, no outcome writes, no release."""
    engine = app.delivery
    for worker in engine.workers.values():
        for task in [worker._main, worker._flusher, *worker._tasks]:
            if task is not None:
                task.cancel()
    if engine._heartbeat is not None:
        engine._heartbeat.cancel()
    engine.workers = {}
    engine.running = False


async def as_if_killed(app: Application) -> None:
    """A killed process leaves its SQLite sender lease naming a pid that no longer exists."""
    if app.delivery.sender_lease is None:
        return
    host = app.delivery.owner.split(":")[0]
    async with app.db.transaction() as conn:
        await conn.execute(sender_lease.update().values(holder=f"{host}:{dead_pid()}:killed"))


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


async def test_restart_resumes_rows_in_flight_at_a_crash(
    make_app: AppFactory, clock: ManualClock
) -> None:
    first = FakeSender()
    for user in ("h1", "h2", "h3"):
        first.script[user] = ["hang"]  # in flight when the process dies
    app1 = await start(make_app, first, delivery_concurrency=4)
    users = [f"u{i}" for i in range(10)] + ["h1", "h2", "h3"]
    await queue(app1, "r1", [dm(u) for u in users])
    while len(first.hanging) < 3 or first.sent_to().total() < 10:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    await asyncio.wait_for(_flushed(app1), 30)
    hanging_keys = sorted(first.hanging)
    crash(app1)
    await as_if_killed(app1)
    await asyncio.sleep(0)
    leased = [r for r in (await rows(app1)).values() if r.status == "sending"]
    assert sorted(r.target_id for r in leased) == ["h1", "h2", "h3"]

    second = FakeSender()
    app2 = await start(make_app, second)
    # SQLite resumes at once; PostgreSQL (shared by processes) when the dead lease expires.
    await settle(app2, clock, app2.settings.delivery_lease_seconds + 1)
    await settle(app2, clock)
    assert second.sent_to() == {"h1": 1, "h2": 1, "h3": 1}
    assert sorted(second.sent) == hanging_keys  # same idempotency key: a nonce dedupes
    total = first.sent_to() + second.sent_to()
    assert total == {u: 1 for u in users}
    assert {r.status for r in (await rows(app2)).values()} == {"sent"}
    with contextlib.suppress(Exception):
        await app1.db.close()


async def _flushed(app: Application) -> None:
    for worker in app.delivery.workers.values():
        while worker.outcomes or worker.flushing:  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_stop_gives_unsent_claimed_rows_back(
    make_app: AppFactory, clock: ManualClock
) -> None:
    sender = FakeSender()
    sender.script["a"] = [RateLimited(600.0, scope="global")]
    app = await start(make_app, sender, delivery_concurrency=1)
    await queue(app, "r1", [dm("a"), dm("b")])
    await settle(app, clock)
    await app.delivery.stop()
    stored = await rows(app)
    assert {(r.status, r.lease_owner) for r in stored.values()} == {("pending", None)}


async def test_register_before_start_and_wake_for_other_platforms(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app([], **UNLIMITED)
    slack = FakeSender("slack")
    app.delivery.register_sender("slack", slack)
    await queue(app, "r1", [dm("a", platform="slack"), dm("b")])
    await settle(app, clock)
    assert slack.sent_to() == {"a": 1}
    discord = FakeSender()
    app.delivery.register_sender("discord", discord)
    await settle(app, clock)
    assert discord.sent_to() == {"b": 1}


class OpeningSender(FakeSender):
    """Opens a DM channel (through the engine's cache) before each DM, like real adapters."""

    def __init__(self, app: Application) -> None:
        super().__init__()
        self.cache = app.delivery.dm_cache("discord")
        self.opened: list[str] = []

    async def _open(self, user: str) -> str:
        self.opened.append(user)
        return f"dm-{user}"

    async def send(self, destination: Any, message: Any, *, idempotency_key: str) -> None:
        await self.cache.get(destination.target_id, self._open)
        await super().send(destination, message, idempotency_key=idempotency_key)


async def test_dm_channels_are_opened_once_even_across_restarts(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app1 = await make_app([], **UNLIMITED)
    first = OpeningSender(app1)
    app1.delivery.register_sender("discord", first)
    await queue(app1, "r1", [dm("a"), dm("b")])
    await settle(app1, clock)
    await queue(app1, "r2", [dm("a"), dm("b")])
    await settle(app1, clock)
    assert first.opened == ["a", "b"]
    await app1.stop()

    app2 = await make_app([], **UNLIMITED)
    second = OpeningSender(app2)
    app2.delivery.register_sender("discord", second)
    await queue(app2, "r3", [dm("a"), dm("b"), dm("c")])
    await settle(app2, clock)
    assert second.opened == ["c"]
    assert second.sent_to() == {"a": 1, "b": 1, "c": 1}
    second.cache.forget("a")
    await queue(app2, "r4", [dm("b")])
    await settle(app2, clock)
    assert await app2.delivery.store.dm_channels("discord", ["a", "b", "c"]) == {
        "b": "dm-b",
        "c": "dm-c",
    }


async def test_a_dm_that_must_open_its_channel_costs_two_requests(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app([], delivery_discord_rate=2.0, delivery_discord_route_rate=0.0)
    sender = OpeningSender(app)
    app.delivery.register_sender("discord", sender)
    await queue(app, "r1", [dm("a"), dm("b")])
    await settle(app, clock)
    assert sender.calls == ["a"]
    await settle(app, clock, 0.6)
    assert sender.calls == ["a"]  # open + post: the next request waits 1 s at 2/s
    await settle(app, clock, 0.5)
    assert sender.calls == ["a", "b"]
