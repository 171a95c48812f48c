"""The weekly digest end to end through the console adapter: schedule, subscribe, watch it land."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.timing.clock import ManualClock
from cogs.digest import DigestCog
from cogs.help import HelpCog
from cogs.schedules import SchedulesCog
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession, outbox_rows

COGS = [HelpCog, SchedulesCog, DigestCog]


async def test_scheduled_issue_is_posted_and_dmed_once_and_archived(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app(COGS))  # Monday 5 January 2026 08:00 UTC
    mia = ConsoleSession(app, name="mia", moderator=True)
    await mia.adapter.start()  # registers the console sender with the delivery engine
    try:
        out = await mia.say("/schedule digest #general mon 09:00 Europe/London")
        assert "Scheduled digest" in out
        out = await mia.say("/digest subscribe mlops, interviews")
        assert "You're subscribed" in out and "Next issue: Monday 05 January, 09:00" in out
        await asyncio.wait_for(app.delivery.idle(), 30)
        welcome = mia.new_output()
        assert "[DM @mia] Welcome to the weekly digest" in welcome, welcome
        out = await mia.say("/digest subscribe mlops, interviews")
        assert "already subscribed" in out
        out = await mia.say("/digest subscribe cooking")
        assert "'cooking' is not a tip topic" in out and "Topics: " in out
        out = await mia.say("/digest note Welcome to the first issue!")
        assert "Note saved" in out
        out = await mia.say("/digest pin baseline-first")
        assert "Pinned: **Ship a dumb baseline" in out or "Pinned: Ship a dumb baseline" in out

        clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        await app.schedules.run_due()
        await asyncio.wait_for(app.delivery.idle(), 30)
        out = mia.new_output()
        assert out.count("console weekly digest · Issue #1 · 5 January 2026") == 2, out
        assert "[#general] console weekly digest · Issue #1" in out
        assert "[DM @mia] console weekly digest · Issue #1" in out
        assert "From the moderators: Welcome to the first issue!" in out
        assert "This week: Ship a dumb baseline before building the clever model" in out
        assert "DSA problem of the week" in out and "Featured resource" in out
        assert "unsubscribe" in out
        rows = [r for r in await outbox_rows(app) if not r["run_key"].startswith("digest-welcome:")]
        assert sorted(r["recipient_key"] for r in rows) == [
            "console:channel:general",
            "console:dm:mia",
        ]
        assert {r["status"] for r in rows} == {"sent"}

        # Nothing runs twice: the slot is done, the archive shows the issue as sent.
        assert await app.schedules.run_due() == []
        latest = await mia.say("/digest latest")
        assert (
            "console weekly digest · Issue #1" in latest and "Welcome to the first issue!" in latest
        )
        archive = await mia.say("/digest archive")
        assert "#1 · 05 Jan 2026 · Ship a dumb baseline" in archive
        out = await mia.say("/digest unsubscribe")
        assert "You're unsubscribed" in out
    finally:
        await mia.adapter.stop()
