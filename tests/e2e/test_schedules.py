"""Moderator schedules and settings end to end through the console adapter (in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.app import Application
from bot.commands.errors import OptionError
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from cogs.schedules import SchedulesCog, parse_mix
from cogs.settings import SettingsCog
from storage.audit import audit_log
from storage.dsa import DsaRepository
from storage.schedules import schedules
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession, FeatureKindsCog, outbox_rows, run_rows

COGS = [HelpCog, SchedulesCog, SettingsCog, FeatureKindsCog]


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    FeatureKindsCog.calls.clear()
    yield
    FeatureKindsCog.calls.clear()


async def table_count(app: Application, table: sa.Table) -> int:
    async with app.db.transaction() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_moderator_schedules_a_digest_and_sees_it_listed(make_app: AppFactory) -> None:
    app = await make_app(COGS)  # clock: Monday 5 January 2026 08:00 UTC
    mod = ConsoleSession(app)
    out = await mod.say("/schedule digest #general mon 09:00 Europe/London")
    assert "Scheduled digest: weekly tips digest in #general, Mondays at 09:00 (Europe/London)" in (
        out
    )
    assert "Next run: Mon 05 Jan 09:00 (Europe/London)" in out
    out = await mod.say("/schedule list")
    assert "Schedules (1)" in out
    assert "weekly tips digest in #general" in out
    assert "When: Mondays at 09:00 (Europe/London)" in out
    assert "Next run: Mon 05 Jan 09:00" in out and "Last run: never" in out


async def test_members_are_refused_and_nothing_changes(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    member = ConsoleSession(app, name="bob", moderator=False)
    for line in (
        "/schedule digest #general mon 09:00",
        "/schedule dsa #dsa 18:00",
        "/schedule cron digest #general 0 9 * * mon",
        "/schedule list",
        "/schedule pause digest",
        "/schedule history",
        "/settings timezone Europe/Paris",
        "/settings moderators add @bob",
        "/settings moderator-role @mods",
    ):
        out = await member.say(line)
        assert "Only moderators can use" in out, line
    assert await table_count(app, schedules) == 0
    assert await table_count(app, audit_log) == 0
    community = await app.communities.find("console", "console")
    assert community is not None and community.timezone == "UTC"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/schedule digest #general mon 09:00 Europe/Londn", "Did you mean Europe/London"),
        ("/schedule digest #general mon 09:00 Mars/Olympus", "is not a time zone I know"),
        ("/schedule digest #general mon 25:00", "'25:00' is not a time of day"),
        ("/schedule digest #general funday 09:00", "'funday' is not a weekday"),
        ("/schedule dsa #dsa 18:00 days:mon-funday", "is not a list of days"),
        ("/schedule dsa #dsa 18:00 mix:easy:9", "at most 5 easy problems"),
        ("/schedule dsa #dsa 18:00 mix:trivial:1", "'trivial' is not a difficulty"),
        ("/schedule cron digest #general 0 9 * *", "has 4 fields"),
        ("/schedule cron digest #general 61 9 * * mon", "61 is out of range"),
        ("/schedule cron digest #general 0 9 30 feb *", "never runs"),
        ("/schedule cron digest #general * 9 * * *", "at most every 10 minutes"),
        ("/schedule cron weekly #general 0 9 * * mon", "is not one of: digest, dsa"),
        ("/schedule digest #general mon 09:00 name:my digest", "is not a time zone I know"),
        ("/schedule digest #general mon 09:00 name:bad!name", "is not a schedule name"),
        ("/settings timezone Europe/Pari", "Did you mean Europe/Paris"),
        ("/schedule pause nothing", "There is no schedule named 'nothing'"),
    ],
)
async def test_invalid_input_gets_a_clear_message_and_changes_nothing(
    make_app: AppFactory, line: str, expected: str
) -> None:
    app = await make_app(COGS)
    out = await ConsoleSession(app).say(line)
    assert expected in out
    assert await table_count(app, schedules) == 0
    assert await table_count(app, audit_log) == 0


async def test_dsa_schedule_with_days_mix_and_cron_form(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app)
    out = await mod.say("/schedule dsa #dsa 08:30 mon-fri Asia/Kolkata mix:easy:2,hard:1")
    assert "DSA practice post in #dsa, mon-fri at 08:30 (Asia/Kolkata)" in out
    assert "Problems per post: 2 easy, 1 hard" in out
    out = await mod.say('/schedule cron dsa #dsa "0 8,20 * * sat,sun" timezone:UTC name:weekend')
    assert "Scheduled weekend" in out and "cron 0 8,20 * * sat,sun (UTC)" in out
    assert "Problems per post: 2 easy, 1 hard" in out  # the community's mix, set above
    out = await mod.say("/schedule cron digest #general 0 9 1 * * name:monthly")
    assert "day 1 of each month at 09:00 (UTC)" in out
    views = await app.schedules.list_community(1)
    assert [(v.schedule.name, v.schedule.kind) for v in views] == [
        ("dsa", "dsa.daily"),
        ("monthly", "digest"),
        ("weekend", "dsa.daily"),
    ]
    # The mix is kept in one place, the community's DSA settings, not in each schedule.
    assert [v.schedule.params for v in views] == [{}, {}, {}]
    settings = await DsaRepository(app.db).settings(1)
    assert settings is not None and settings.mix == {"easy": 2, "medium": 0, "hard": 1}
    listed = await mod.say("/schedule list")
    assert listed.count("Problems: 2 easy, 1 hard") == 2


async def test_same_name_updates_and_history_shows_old_and_new(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app)
    await mod.say("/schedule digest #general mon 09:00")
    out = await mod.say("/schedule digest #tips fri 17:30 Europe/Berlin")
    assert "there is already a schedule named digest" in out  # replacing is explicit
    out = await mod.say("/schedule digest #tips fri 17:30 Europe/Berlin replace:yes")
    assert "Updated digest" in out and "Fridays at 17:30 (Europe/Berlin)" in out
    out = await mod.say("/schedule dsa #dsa 18:00 name:digest")
    assert "already the name of a weekly tips digest schedule" in out
    out = await mod.say("/schedule history digest")
    assert "update digest by @mia" in out
    assert "recurrence: weekly mon 09:00 → weekly fri 17:30" in out
    assert "timezone: UTC → Europe/Berlin" in out
    assert "create digest by @mia" in out


async def test_pause_resume_run_now_remove_and_history(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app(COGS))
    mod = ConsoleSession(app)
    await mod.say("/schedule digest #general mon 09:00")
    out = await mod.say("/schedule pause digest")
    assert "Paused digest" in out
    assert "Next run: none — paused" in await mod.say("/schedule list")
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    assert await app.schedules.run_due() == []
    out = await mod.say("/schedule resume digest")
    assert "Resumed digest. Next run: Mon 12 Jan 09:00" in out
    out = await mod.say("/schedule run-now digest")
    assert "Ran digest now: 1 message queued" in out
    assert len(FeatureKindsCog.calls) == 1
    out = await mod.say("/schedule history")
    assert "digest: run-now at Mon 05 Jan 09:00 — done: 1 message queued" in out
    assert "run-now digest by @mia" in out and "pause digest by @mia" in out
    out = await mod.say("/schedule list")
    assert "Last run: run-now at Mon 05 Jan 09:00 — done" in out
    out = await mod.say("/schedule remove digest")
    assert "Removed digest" in out
    assert "No schedules yet" in await mod.say("/schedule list")
    assert "remove digest by @mia" in await mod.say("/schedule history")


async def test_list_shows_late_and_missed_runs_after_restarts(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await make_app(COGS)
    await ConsoleSession(app).say("/schedule digest #general mon 09:00")
    await app.stop()
    clock.set(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    again = await make_app(COGS)
    out = await ConsoleSession(again).say("/schedule list")
    assert "Last run: Mon 05 Jan 09:00 — done (late): 1 message queued (late" in out
    [row] = await outbox_rows(again)
    assert "Scheduled for Mon 05 Jan 09:00 (UTC); the bot was offline" in row["body"]["footer"]
    await again.stop()
    clock.set(datetime(2026, 1, 12, 16, 0, tzinfo=UTC))  # 7 h after the next slot
    third = await make_app(COGS)
    out = await ConsoleSession(third).say("/schedule list")
    assert "Last run: Mon 12 Jan 09:00 — missed: the bot was offline" in out
    assert [r["status"] for r in await run_rows(third)] == ["done", "missed"]


async def test_settings_timezone_is_the_default_for_new_schedules(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app)
    out = await mod.say("/settings timezone europe/paris")
    assert "Time zone set to Europe/Paris (was UTC)" in out
    out = await mod.say("/schedule digest #general mon 10:00")
    assert "Mondays at 10:00 (Europe/Paris)" in out
    assert "Next run: Mon 05 Jan 10:00 (Europe/Paris)" in out
    out = await mod.say("/schedule list")
    assert "Times shown in the community's zone, Europe/Paris" in out
    async with app.db.transaction() as conn:
        row = (await conn.execute(sa.select(audit_log))).first()
    assert row is not None
    assert (row.action, row.old_value, row.new_value, row.actor_id) == (
        "settings.timezone",
        "UTC",
        "Europe/Paris",
        "mia",
    )


async def test_configured_moderators_can_act_and_lose_it_when_removed(
    make_app: AppFactory,
) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app)
    bob = ConsoleSession(app, name="bob", moderator=False)
    assert "Only moderators" in await bob.say("/schedule list")
    assert "@bob is now a moderator" in await mod.say("/settings moderators add @bob")
    assert "already a moderator" in await mod.say("/settings moderators add @bob")
    assert "No schedules yet" in await bob.say("/schedule list")
    assert "@bob is no longer a moderator" in await mod.say("/settings moderators remove @bob")
    assert "Only moderators" in await bob.say("/schedule list")
    async with app.db.transaction() as conn:
        rows = (await conn.execute(sa.select(audit_log).order_by(audit_log.c.id))).all()
    assert [(r.action, r.old_value, r.new_value) for r in rows] == [
        ("settings.moderators.add", [], ["user:bob"]),
        ("settings.moderators.remove", ["user:bob"], []),
    ]


async def test_moderator_role_grants_rights_to_its_holders(make_app: AppFactory) -> None:
    from bot.commands.context import Actor, Invocation, Place
    from tests.helpers import RecordingResponder

    app = await make_app(COGS)
    out = await ConsoleSession(app).say("/settings moderator-role @mods")
    assert "@mods (role) is now a moderator" in out

    async def as_role_holder(roles: frozenset[str]) -> str:
        who = Actor("console", "carol", "carol", is_platform_admin=False, role_ids=roles)
        where = Place("console", "console", "console", "general")
        responder = RecordingResponder()
        await app.dispatcher.dispatch(Invocation(("schedule", "list"), {}, who, where), responder)
        return responder.text()

    assert "No schedules yet" in await as_role_holder(frozenset({"mods"}))
    assert "Only moderators" in await as_role_holder(frozenset({"other"}))
    await ConsoleSession(app).say("/settings moderator-role @mods remove")
    assert "Only moderators" in await as_role_holder(frozenset({"mods"}))


async def test_a_schedule_a_minute_ahead_fires_on_time(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app(COGS))
    clock.set(datetime(2026, 1, 5, 8, 59, 0, tzinfo=UTC))
    await ConsoleSession(app).say("/schedule digest #general mon 09:00")
    clock.advance(timedelta(minutes=1))
    [result] = await app.schedules.run_due()
    assert result.status == "done" and not result.late
    assert FeatureKindsCog.calls[0].channel_name == "general"


def test_parse_mix_forms() -> None:
    assert parse_mix("easy,medium") == {"easy": 1, "medium": 1, "hard": 0}
    assert parse_mix("hard:3") == {"easy": 0, "medium": 0, "hard": 3}
    with pytest.raises(OptionError, match="asks for no problems"):
        parse_mix("easy:0")


async def test_moderator_sets_a_schedule_a_minute_ahead_and_the_post_arrives(
    make_app: AppFactory, clock: ManualClock
) -> None:
    """Command -> stored schedule -> timer -> run -> outbox -> delivery engine -> console."""
    clock.set(datetime(2026, 1, 5, 8, 59, 0, tzinfo=UTC))
    app = await make_app(COGS)
    mod = ConsoleSession(app)
    await mod.adapter.start()  # registers the console as the delivery engine's sender
    out = await mod.say("/schedule digest #general mon 09:00")
    assert "Next run: Mon 05 Jan 09:00 (UTC)" in out
    clock.advance(timedelta(minutes=1))
    await app.schedules.sync()  # what the periodic sync does once the app clock reached the slot
    arrived = ""
    for _ in range(300):
        arrived += mod.new_output()
        if "[#general] digest post" in arrived:
            break
        await asyncio.sleep(0.02)
    assert "[#general] digest post" in arrived and "posted" in arrived
    assert "the bot was offline" not in arrived
    assert [r["status"] for r in await run_rows(app)] == ["done"]
