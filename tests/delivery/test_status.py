"""`/delivery status` (moderators, their community only) and `mlebot delivery status`."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Application
from bot.commands.context import Actor, Invocation, Place
from bot.delivery.sender import PermanentError
from bot.delivery.status import run_label
from bot.ops.cli import main
from bot.settings import Settings
from bot.timing.clock import ManualClock
from cogs.delivery import DeliveryCog
from tests.conftest import AppFactory
from tests.delivery.fakes import FakeSender, dm, queue
from tests.helpers import RecordingResponder

pytestmark = pytest.mark.both_backends


def invoke(user: str, *, moderator: bool, guild: str = "g1") -> Invocation:
    return Invocation(
        path=("delivery", "status"),
        options={},
        actor=Actor("discord", user, user, is_platform_admin=moderator),
        place=Place("discord", guild, "Guild", "c1"),
    )


async def fill(app: Application, clock: ManualClock) -> FakeSender:
    sender = FakeSender()
    sender.script["u2"] = [PermanentError("50007: cannot send messages to this user")]
    app.delivery.register_sender("discord", sender)
    await queue(app, "schedule:1:2026-01-05T08:00:00+00:00", [dm("u1"), dm("u2")])
    await asyncio.wait_for(app.delivery.idle(), 30)
    await queue(app, "schedule:1:2026-01-12T08:00:00+00:00", [dm("u1"), dm("u2"), dm("u3")])
    await asyncio.wait_for(app.delivery.idle(), 30)
    return sender


async def test_moderators_see_counts_and_failures(make_app: AppFactory, clock: ManualClock) -> None:
    app = await make_app([DeliveryCog], delivery_discord_rate=0.0, delivery_discord_route_rate=0.0)
    await fill(app, clock)
    out = RecordingResponder()
    await app.dispatcher.dispatch(invoke("mod", moderator=True), out)
    text = out.text()
    assert "a removed schedule, Mon 12 Jan 08:00 (UTC): 2 sent · 1 skipped" in text
    assert "a removed schedule, Mon 05 Jan 08:00 (UTC): 1 sent · 1 failed" in text
    assert "All runs: 3 sent · 1 failed · 1 skipped." in text
    assert "DM @u2: 50007: cannot send messages to this user" in text
    assert out.last.private is True

    other = RecordingResponder()
    await app.dispatcher.dispatch(invoke("mod", moderator=True, guild="elsewhere"), other)
    assert "Nothing has been queued" in other.text()

    member = RecordingResponder()
    await app.dispatcher.dispatch(invoke("ana", moderator=False), member)
    assert "moderator" in member.text().lower()
    assert "sent" not in member.text()


def test_cli_prints_the_same_figures(
    settings: Settings,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def prepare() -> None:
        app = Application(
            settings.model_copy(
                update={"delivery_discord_rate": 0.0, "delivery_discord_route_rate": 0.0}
            ),
            clock=clock,
            cog_classes=[],
        )
        await app.start()
        try:
            await fill(app, clock)
        finally:
            await app.stop()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["--env-file", "/nonexistent", "delivery", "status"]) == 0
    out = capsys.readouterr().out
    assert "outbox: 3 sent · 1 failed · 1 skipped" in out
    assert "recipients marked undeliverable: 1" in out
    assert "schedule:1:2026-01-12T08:00:00+00:00  2 sent · 1 skipped" in out
    assert "DM @u2: 50007" in out


def test_run_labels() -> None:
    assert run_label("schedule:3:2026-03-01T09:30:00+00:00") == "schedule 3, 2026-03-01 09:30 UTC"
    assert run_label("adhoc-run") == "adhoc-run"
