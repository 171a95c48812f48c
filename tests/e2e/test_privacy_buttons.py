"""The /privacy delete prompt through the console: its buttons work once, and expire."""

from __future__ import annotations

from datetime import timedelta

from bot.loader import load_cog_classes
from bot.timing.clock import ManualClock
from tests.conftest import AppFactory
from tests.schedules.support import ConsoleSession


async def test_cancel_then_delete_deletes_nothing(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC")
    out = await ana.say("/privacy delete")
    assert "[1: Delete my data] [2: Cancel]" in out and "work once, for 10 minutes" in out
    assert "Nothing was deleted" in await ana.say(":click 2")
    out = await ana.say(":click 1")
    assert "already answered" in out and "Your data was deleted" not in out
    assert "Your DSA reminder" in await ana.say("/dsa remind status")
    assert "already answered" in await ana.say(":click 2")
    # a fresh prompt works, once
    await ana.say("/privacy delete")
    out = await ana.say(":click 3")
    assert "Your data was deleted" in out and "items removed" in out
    assert "already answered" in await ana.say(":click 3")


async def test_the_buttons_expire(make_app: AppFactory, clock: ManualClock) -> None:
    app = await make_app(load_cog_classes([], []))
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC")
    await ana.say("/privacy delete")
    clock.advance(timedelta(minutes=11))
    out = await ana.say(":click 1")
    assert "expired" in out and "Nothing was deleted" in out
    assert "Your DSA reminder" in await ana.say("/dsa remind status")
