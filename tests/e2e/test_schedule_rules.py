"""Schedule rules through the console: clashes refused, close digest issues need a moderator's
confirmation, replacing is explicit, and the list and delivery status read like prose."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.loader import load_cog_classes
from bot.timing.clock import ManualClock
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession, outbox_rows


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


async def test_a_clash_of_kind_channel_and_time_is_refused(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))  # Monday 5 January 2026 08:00 UTC
    mod = ConsoleSession(app)
    assert "Scheduled d1" in await mod.say("/schedule digest #digest sat 14:46 name:d1")
    out = await mod.say("/schedule digest #digest sat 14:46 name:d2")
    assert "d1 already posts a weekly tips digest in #digest at that time" in out
    assert "Sat 10 Jan 14:46 UTC" in out
    # a DSA post may share the time: only the same kind clashes
    assert "Scheduled dsa" in await mod.say("/schedule dsa #digest 14:46")
    out = await mod.say("/schedule cron dsa #digest 46 14 * * sat name:dsa2")
    assert "dsa already posts a DSA practice post in #digest at that time" in out
    out = await mod.say("/schedule list")
    assert "d2" not in out and "dsa2" not in out


async def test_two_digest_issues_within_a_day_need_confirmation(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app(load_cog_classes([], [])))
    mod = ConsoleSession(app)
    await mod.say("/schedule digest #digest sat 14:46 name:d1")
    out = await mod.say("/schedule digest #news sat 20:00 name:d2")
    assert "two issues within 20 hours" in out and "confirm:yes" in out
    assert "Scheduled d2" in await mod.say("/schedule digest #news sun 12:00 name:d2")
    out = await mod.say("/schedule digest #news sun 09:00 name:d3 confirm:yes")
    assert "Scheduled d3" in out

    # publishing: run-now, then the regular slot 46 minutes later is skipped
    clock.set(utc(10, 14, 0))
    out = await mod.say("/schedule run-now d1")
    assert "Ran d1 now" in out
    out = await mod.say("/schedule run-now d1")
    assert "Issue #1 went out 0 minutes ago" in out
    assert "/schedule run-now d1 confirm:yes" in out
    clock.set(utc(10, 14, 46))
    await app.schedules.run_due()
    out = await mod.say("/schedule list")
    assert "skipped: Issue #1 went out" in out
    assert "two issues within 20 hours need a moderator's confirm:yes" in out
    out = await mod.say("/digest archive")
    assert "#2" not in out
    clock.set(utc(10, 15, 0))
    out = await mod.say("/schedule run-now d1 confirm:yes")
    assert "Ran d1 now" in out
    assert "#2" in await mod.say("/digest archive")


async def test_publish_now_within_a_day_of_an_issue_needs_confirmation(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app(load_cog_classes([], [])))
    mod = ConsoleSession(app)
    await mod.say("/schedule digest #digest sat 14:46 name:d1")
    await ConsoleSession(app, name="ana", moderator=False).say("/digest subscribe")
    clock.set(utc(10, 14, 46))
    await app.schedules.run_due()
    assert "#1" in await mod.say("/digest archive")
    queued = len(await outbox_rows(app))

    # three hours after the scheduled issue: refused, nothing queued, how to confirm
    clock.set(utc(10, 17, 46))
    out = await mod.say("/digest publish-now")
    assert "Issue #1 went out 3 hours ago" in out and "within 20 hours" in out
    assert "/digest publish-now confirm:true" in out
    assert len(await outbox_rows(app)) == queued
    assert "#2" not in await mod.say("/digest archive")
    out = await mod.say("/digest publish-now confirm:true")
    assert "Issue #2 is published to #digest" in out
    assert len(await outbox_rows(app)) > queued

    # the same rule counts from a published-now issue; 20 hours later it is fine
    clock.set(utc(11, 13, 0))
    assert "Issue #2 went out 19 hours ago" in await mod.say("/digest publish-now")
    clock.set(utc(11, 13, 46))
    assert "Issue #3 is published" in await mod.say("/digest publish-now")


async def test_replacing_a_schedule_is_explicit(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    mod = ConsoleSession(app)
    assert "Scheduled dsa" in await mod.say("/schedule cron dsa #dsa 0 9 * * *")
    out = await mod.say("/schedule cron dsa #dsa 0 10 * * *")
    assert "there is already a schedule named dsa" in out
    assert "DSA practice post in #dsa, daily at 09:00 (UTC)" in out
    assert "replace:yes" in out and "name:<new-name>" in out
    assert "daily at 09:00" in await mod.say("/schedule list")
    out = await mod.say("/schedule cron dsa #dsa 0 10 * * * replace:yes")
    assert "Updated dsa" in out and "daily at 10:00" in out


async def test_list_and_delivery_status_read_as_names_times_lines_and_plurals(
    make_app: AppFactory,
) -> None:
    app = await make_app(load_cog_classes([], []))
    mod = ConsoleSession(app)
    await mod.say("/settings timezone Europe/Paris")
    await mod.say("/schedule digest #digest mon 10:00 name:weekly")
    await mod.say("/schedule run-now weekly")
    start = len(mod.buffer.getvalue())
    await mod.say("/schedule list")
    raw = mod.buffer.getvalue()[start:]
    lines = [line.strip(" │") for line in raw.splitlines()]
    assert any(line.startswith("weekly tips digest in #digest") for line in lines), raw
    assert any(line.startswith("When: Mondays at 10:00 (Europe/Paris)") for line in lines), raw
    assert any(line.startswith("Next run: Mon 05 Jan 10:00") for line in lines), raw
    assert "message(s)" not in raw and "1 message queued" in raw
    out = await mod.say("/delivery status")
    assert "weekly, Mon 05 Jan 09:00 (Europe/Paris)" in out
    assert "schedule 1" not in out and "schedule:" not in out
    await ConsoleSession(app, name="bob", moderator=False).say("/digest subscribe")
    out = await mod.say("/delivery status")
    assert "Welcome DM to bob" in out and "digest-welcome" not in out
