"""The /privacy delete prompt through the console: its buttons work once, and expire."""

from __future__ import annotations

from datetime import timedelta

from bot.loader import load_cog_classes
from bot.timing.clock import ManualClock
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession


async def test_cancel_then_delete_deletes_nothing(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC")
    out = await ana.say("/privacy delete")
    assert "[1: Delete my data] [2: Cancel]" in out and "work once, for 10 minutes" in out
    out = await ana.say(":click 2")
    assert "Nothing was deleted" in out
    # the prompt is shown again, answered: its buttons disabled
    assert "(updated) Delete your data?" in out
    assert "[Delete my data] [Cancel] (disabled)" in out and "You chose: Cancel." in out
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
    assert "(disabled) Expired." in out
    assert "Your DSA reminder" in await ana.say("/dsa remind status")


async def test_deleting_removes_the_member_from_stored_issues(
    make_app: AppFactory, clock: ManualClock
) -> None:
    from datetime import UTC, datetime

    app = await run_slots_by_hand(
        await make_app(load_cog_classes([], []))
    )  # Monday 5 January 2026 08:00 UTC
    mia = ConsoleSession(app, name="mia", moderator=True)
    await mia.say("/schedule digest #general mon 09:00")
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/digest subscribe delivery:channel-mention")
    bob = ConsoleSession(app, name="bob", moderator=False)
    await bob.say("/digest subscribe delivery:channel-mention")
    await ana.say("/dsa done two-sum")
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    await app.schedules.run_due()
    out = await mia.say("/digest latest")
    assert "@ana" in out and "@bob" in out and "Longest streaks this week @ana: 1 day" in out

    await ana.say("/privacy delete")
    out = await ana.say(":click 1")
    assert "Your data was deleted" in out and "digest_issue_names: 1" in out
    out = await mia.say("/digest latest")
    assert "@ana" not in out
    assert "For our subscribers @bob" in out and "Longest streaks" not in out
