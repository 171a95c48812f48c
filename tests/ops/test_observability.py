"""/healthz, /readyz and /metrics over real loopback HTTP; request ids and redaction in logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.discord.sender import delivery_limits as discord_limits
from bot.app import Application
from bot.cog import Cog, command
from bot.commands.context import Context
from bot.delivery.limits import PlatformLimits
from bot.delivery.sender import PermanentError
from bot.messages import Message
from bot.ops.http_server import HttpServer
from bot.ops.logs import Redactor, log_context, setup_logging, with_log_context
from bot.ops.readiness import Readiness
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import Settings, load_settings
from storage.outbox import enqueue
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, invocation

log = logging.getLogger("tests.ops.cog")


class OpsCog(Cog):
    name = "ops"

    @command("ping", "Answer pong")
    async def ping(self, ctx: Context) -> None:
        log.info("ping handled")

        async def child() -> None:
            log.info("child task line")

        await asyncio.create_task(child())
        await ctx.reply("pong")

    @command("crash", "Always fails")
    async def crash(self, ctx: Context) -> None:
        raise RuntimeError("broken on purpose")


class FakeAdapter:
    platform = "fake"

    def __init__(self) -> None:
        self.connected = True
        self.started = asyncio.Event()
        self._closed = asyncio.Event()

    async def start(self) -> None:
        self.started.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def stop(self) -> None:
        self._closed.set()

    def is_connected(self) -> bool:
        return self.connected


@pytest.fixture
async def running(make_app: AppFactory) -> AsyncIterator[tuple[Application, FakeAdapter]]:
    """A started app serving HTTP on a free loopback port, with one fake platform."""
    app = await make_app([OpsCog])
    app.http = HttpServer("127.0.0.1", 0)
    adapter = FakeAdapter()
    app.add_adapter(adapter)
    task = asyncio.create_task(app.run())
    await adapter.started.wait()  # after the HTTP server
    yield app, adapter
    app.request_stop("test")
    await task


async def get(app: Application, path: str) -> tuple[int, str]:
    assert app.http is not None
    async with aiohttp.ClientSession() as session, session.get(app.http.url + path) as resp:
        return resp.status, await resp.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_healthz_and_readyz_follow_the_platform_connection(
    running: tuple[Application, FakeAdapter],
) -> None:
    app, adapter = running
    assert (await get(app, "/healthz"))[0] == 200

    status, body = await get(app, "/readyz")
    assert status == 200, body
    assert json.loads(body) == {
        "status": "ready",
        "checks": {"database": "ok", "platform:fake": "ok", "scheduler": "ok"},
    }

    adapter.connected = False
    status, body = await get(app, "/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["platform:fake"] == "failing"
    assert (await get(app, "/healthz"))[0] == 200  # alive, just not ready


async def test_readyz_fails_when_the_database_does_not_answer(
    running: tuple[Application, FakeAdapter], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = running

    async def broken() -> bool:
        raise OSError("database is gone")

    app.readiness.add("database", broken)
    status, body = await get(app, "/readyz")
    assert status == 503 and json.loads(body)["checks"]["database"] == "failing"


async def test_metrics_move_when_commands_run(running: tuple[Application, FakeAdapter]) -> None:
    app, adapter = running
    before = samples((await get(app, "/metrics"))[1])
    assert ("mlebot_commands_total", (("command", "ping"), ("outcome", "ok"))) not in before

    for _ in range(3):
        await app.dispatcher.dispatch(invocation("ping"), RecordingResponder())
    await app.dispatcher.dispatch(invocation("crash"), RecordingResponder())
    async with app.db.transaction() as conn:
        dm = Destination("nowhere", "g1", DestinationKind.DM, "u1")
        await enqueue(conn, run_key="r1", deliveries=[Delivery(dm, Message(body="x"))], now=NOW)
    app.metrics.rate_limit_wait("discord", 2.5)
    app.metrics.schedule_lag("digest.weekly", 1.5)
    adapter.connected = False

    status, text = await get(app, "/metrics")
    assert status == 200
    after = samples(text)
    assert after[("mlebot_commands_total", (("command", "ping"), ("outcome", "ok")))] == 3
    assert after[("mlebot_commands_total", (("command", "crash"), ("outcome", "error")))] == 1
    assert after[("mlebot_command_duration_seconds_count", (("command", "ping"),))] == 3
    assert after[("mlebot_outbox_rows", (("platform", "nowhere"), ("status", "pending")))] == 1
    assert after[("mlebot_outbox_rows", (("platform", "nowhere"), ("status", "sent")))] == 0
    assert after[("mlebot_rate_limit_waits_total", (("platform", "discord"),))] == 1
    assert after[("mlebot_rate_limit_wait_seconds_total", (("platform", "discord"),))] == 2.5
    assert after[("mlebot_schedule_lag_seconds_count", (("job", "digest.weekly"),))] == 1
    assert after[("mlebot_platform_connected", (("platform", "fake"),))] == 0
    assert after[("mlebot_commands_in_flight", ())] == 0


async def test_each_app_has_its_own_registry(make_app: AppFactory) -> None:
    one, two = await make_app([OpsCog]), await make_app([OpsCog])
    await one.dispatcher.dispatch(invocation("ping"), RecordingResponder())
    key = ("mlebot_commands_total", (("command", "ping"), ("outcome", "ok")))
    assert samples((await one.metrics.render()).decode())[key] == 1
    assert key not in samples((await two.metrics.render()).decode())


async def test_readiness_checks_that_raise_or_hang_count_as_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.ops.readiness.CHECK_TIMEOUT", 0.05)
    readiness = Readiness()

    async def hangs() -> bool:
        await asyncio.sleep(3600)
        return True

    def raises() -> bool:
        raise RuntimeError("no")

    readiness.add("plain", lambda: True)
    readiness.add("hangs", hangs)
    readiness.add("raises", raises)
    assert await readiness.evaluate() == {"hangs": False, "plain": True, "raises": False}


# -- logs ----------------------------------------------------------------------------------

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_every_line_of_a_command_carries_its_request_id(
    make_app: AppFactory, captured: io.StringIO
) -> None:
    app = await make_app([OpsCog])
    setup_logging("DEBUG", "json", stream=captured)
    await app.dispatcher.dispatch(invocation("ping"), RecordingResponder())
    await app.dispatcher.dispatch(invocation("crash"), RecordingResponder())
    lines = json_lines(captured)
    ping = [x for x in lines if x.get("command") == "ping"]
    crash = [x for x in lines if x.get("command") == "crash"]
    assert {x["msg"] for x in ping} >= {"ping handled", "child task line"}
    assert len({x["request_id"] for x in ping}) == 1
    assert crash and "broken on purpose" in str(crash[-1]["exc"])
    assert ping[0]["request_id"] != crash[0]["request_id"]
    assert all(x["platform"] == "console" for x in ping + crash)


async def test_scheduled_runs_log_their_run_key(captured: io.StringIO) -> None:
    setup_logging("INFO", "text", stream=captured)

    class Runner:
        @with_log_context(lambda self, slot: {"run": f"7@{slot}"})
        async def run(self, slot: str) -> None:
            log.info("producing")

    await Runner().run("2026-01-05T09:00")
    log.info("outside")
    out = captured.getvalue().splitlines()
    assert out[0].endswith("producing [run=7@2026-01-05T09:00]")
    assert out[1].endswith("outside")
    from bot.scheduling import scheduler

    assert hasattr(scheduler.ScheduleService._run_slot, "__wrapped__")


def test_tokens_and_secrets_never_reach_the_log(
    captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    discord = "MTAxNjM0NTY3ODkwMTIzNDU2Nw.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789"
    for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    settings: Settings = load_settings(
        None,
        database_url="postgresql://bot:hunter2-secret@db:5432/mlebot",
        discord_token=discord,
        slack_bot_token="xoxb-1111-2222-abcdefABCDEF",
        slack_signing_secret="0123456789abcdef0123456789abcdef",
    )
    for fmt in ("json", "text"):
        captured.seek(0)
        captured.truncate()
        setup_logging("DEBUG", fmt, stream=captured, secret_values=settings.secret_values())
        with log_context(request_id="r1"):
            log.info("token %s and secret %s", discord, "0123456789abcdef0123456789abcdef")
            log.warning("slack said: invalid_auth for xoxb-9999-8888-zzzzzzzzzzzz")
            log.debug("headers {'Authorization': 'Bot %s'}", "something-private")
            log.info("connecting to %s", "postgresql://bot:hunter2-secret@db:5432/mlebot")
            try:
                raise RuntimeError(f"login failed with xapp-1-A111-222-abcdef and {discord}")
            except RuntimeError:
                log.exception("adapter crashed")
        out = captured.getvalue()
        for secret in (
            discord,
            "0123456789abcdef0123456789abcdef",
            "xoxb-9999-8888-zzzzzzzzzzzz",
            "xapp-1-A111-222-abcdef",
            "something-private",
            "hunter2-secret",
        ):
            assert secret not in out, (fmt, secret)
        assert out.count("[redacted]") >= 6
        assert "r1" in out


def test_redactor_leaves_ordinary_text_alone() -> None:
    redact = Redactor(["short", "a-long-secret-value"])
    text = "resource search mlops level:beginner at 09:00 Europe/London short"
    assert redact(text) == text  # too-short values are not treated as secrets
    assert redact("x a-long-secret-value y") == "x [redacted] y"


class FailingSender:
    platform = "discord"

    def __init__(self) -> None:
        self.calls = 0

    def limits(self, settings: Settings) -> PlatformLimits:
        return discord_limits(settings)

    async def send(self, destination: Destination, message: Message, *, idempotency_key: str):
        self.calls += 1
        if self.calls == 1:  # logged with a traceback by the engine
            raise RuntimeError("the platform library blew up")
        raise PermanentError("cannot send messages to this user", recipient_undeliverable=True)


async def test_dm_bodies_are_not_logged_by_delivery(
    make_app: AppFactory, captured: io.StringIO
) -> None:
    app = await make_app([])
    setup_logging("DEBUG", "json", stream=captured)
    body = "your personal reminder: solve two-sum PRIVATE-BODY-MARKER"
    sender = FailingSender()
    app.delivery.register_sender("discord", sender)
    dm = Destination("discord", "g1", DestinationKind.DM, "u1", target_name="ana")
    await app.delivery.queue("r-dm", [Delivery(dm, Message(body=body))])
    for _ in range(500):
        if sender.calls:
            break
        await asyncio.sleep(0.01)
    assert sender.calls
    await app.stop()
    out = captured.getvalue()
    assert "the platform library blew up" in out  # the failure itself was logged...
    assert "PRIVATE-BODY-MARKER" not in out  # ...without the message it was sending
