"""The schedule service: timers derived from the database, runs claimed once, catch-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.app import Application
from bot.commands.context import ChannelRef
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.scheduling.scheduler import run_key
from bot.timing.clock import ManualClock
from bot.timing.cron import parse_cron
from bot.timing.recurrence import CronRule, WeeklyAt
from storage.communities import Community
from storage.schedules import FAILED, MISSED, RUNNING
from tests.helpers import actor, run_slots_by_hand
from tests.schedules.support import PostCog, next_due, outbox_rows, run_rows

pytestmark = pytest.mark.both_backends

MON = 0
MOD = actor("mia", moderator=True)
GENERAL = ChannelRef("general", "general")


def utc(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def make_app(make_app, request: pytest.FixtureRequest):
    """Apps whose slots only the test runs (`run_due()`), unless the test is about the timer."""
    if request.node.get_closest_marker("timer") is not None:
        return make_app

    async def build(*args, **kwargs):
        return await run_slots_by_hand(await make_app(*args, **kwargs))

    return build


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    PostCog.calls.clear()
    yield
    PostCog.calls.clear()


async def community(app: Application) -> Community:
    return await app.communities.ensure(
        "console", "console", "test", default_timezone="UTC", now=app.clock.now()
    )


async def weekly(
    app,
    *,
    name="digest",
    days=frozenset({MON}),
    at=time(9, 0),
    tz="Europe/London",
    kind="test.post",
):
    return await app.schedules.create(
        await community(app),
        kind=kind,
        name=name,
        rule=WeeklyAt(days, at),
        timezone=tz,
        actor=MOD,
        channel=GENERAL,
    )


async def test_create_stores_the_next_local_slot_as_due_and_is_audited(make_app) -> None:
    app = await make_app([PostCog])  # clock: Monday 5 January 2026 08:00 UTC
    schedule = await weekly(app)
    assert app.schedules.next_run(schedule) == utc(1, 5, 9, 0)
    assert await next_due(app, schedule.id) == utc(1, 5, 9, 0)
    [view] = await app.schedules.list_community(schedule.community_id)
    assert view.next_run == utc(1, 5, 9, 0) and view.last_run is None
    [entry] = await app.schedules.changes(schedule.community_id, "digest")
    assert entry.action == "schedule.create" and entry.actor_id == "mia"
    assert entry.old_value is None
    assert entry.new_value["recurrence"] == "weekly mon 09:00"


async def test_due_slot_runs_once_and_queues_its_deliveries(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    assert await app.schedules.run_due() == []  # 08:00, not yet
    clock.set(utc(1, 5, 9, 0))
    [result] = await app.schedules.run_due()
    assert result.status == "done" and result.deliveries == 1 and not result.late
    assert await app.schedules.run_due() == []  # the same slot again: nothing
    [run] = await run_rows(app)
    assert run["status"] == "done" and run["scheduled_for"] == utc(1, 5, 9, 0)
    [row] = await outbox_rows(app)
    assert row["run_key"] == run_key(schedule.id, utc(1, 5, 9, 0))
    assert row["target_id"] == "general" and row["body"]["body"] == "hello"
    assert len(PostCog.calls) == 1
    ctx = PostCog.calls[0]
    assert ctx.scheduled_for == utc(1, 5, 9, 0) and ctx.channel_id == "general"


async def test_monday_0900_london_runs_at_0900_london_in_january_and_july(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    clock.set(utc(7, 6, 7, 59))  # Monday 6 July, 08:59 BST
    await app.schedules.repo.record_missed(
        schedule.id, [utc(6, 29, 8, 0)], claimed_by="test", now=clock.now()
    )
    assert await app.schedules.run_due() == []
    clock.set(utc(7, 6, 8, 0))  # 09:00 BST
    [result] = await app.schedules.run_due()
    assert result.scheduled_for == utc(7, 6, 8, 0)


async def test_same_slot_triggered_twice_concurrently_runs_once(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    await weekly(app)
    clock.set(utc(1, 5, 9, 0))
    results = await asyncio.gather(*(app.schedules.run_due() for _ in range(5)))
    done = [r for batch in results for r in batch if r.status == "done"]
    assert len(done) == 1
    assert len(PostCog.calls) == 1
    assert len(await outbox_rows(app)) == 1


async def test_two_app_instances_on_one_database_run_a_slot_once(
    make_app, clock: ManualClock
) -> None:
    first = await make_app([PostCog])
    second = await make_app([PostCog])
    schedule = await weekly(first)
    assert await next_due(second, schedule.id) == utc(1, 5, 9, 0)  # the second one sees it
    clock.set(utc(1, 5, 9, 0))
    for _ in range(3):
        results = await asyncio.gather(first.schedules.run_due(), second.schedules.run_due())
        assert sum(r.status == "done" for batch in results for r in batch) <= 1
    assert len(PostCog.calls) == 1
    assert len(await run_rows(first)) == 1
    assert len(await outbox_rows(second)) == 1


async def test_restart_inside_grace_window_runs_the_missed_slot_once_marked_late(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    await app.stop()
    clock.set(utc(1, 5, 11, 30))  # down over the 09:00 slot, back 2.5 h later
    again = await make_app([PostCog])
    [run] = await run_rows(again)
    assert run["status"] == "done" and run["late"] is True
    [row] = await outbox_rows(again)
    assert "Scheduled for Mon 05 Jan 09:00 (Europe/London)" in row["body"]["footer"]
    assert "the bot was offline" in row["body"]["footer"]
    assert PostCog.calls[0].late is True
    # A second restart does not run it again.
    await again.stop()
    await make_app([PostCog])
    assert len(PostCog.calls) == 1
    assert again.schedules.next_run(schedule) == utc(1, 12, 9, 0)


async def test_restart_outside_grace_window_records_the_slot_as_missed(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    await weekly(app)
    await app.stop()
    clock.set(utc(1, 5, 15, 1))  # 6 h 1 min after the slot (grace: 6 h)
    again = await make_app([PostCog])
    [run] = await run_rows(again)
    assert run["status"] == MISSED and run["outcome"] == "the bot was offline"
    assert PostCog.calls == [] and await outbox_rows(again) == []
    [view] = await again.schedules.list_community((await community(again)).id)
    assert view.last_run is not None and view.last_run.status == MISSED


async def test_grace_window_is_a_setting(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog], schedule_grace_hours=0.5)
    await weekly(app)
    await app.stop()
    clock.set(utc(1, 5, 9, 45))
    again = await make_app([PostCog], schedule_grace_hours=0.5)
    assert [r["status"] for r in await run_rows(again)] == [MISSED]


async def test_long_outage_runs_only_the_latest_slot_and_records_the_rest(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    await weekly(app, days=frozenset(range(7)))  # daily 09:00 London
    await app.stop()
    clock.set(utc(1, 8, 10, 0))  # Thursday: Mon, Tue, Wed missed; Thu 09:00 one hour ago
    again = await make_app([PostCog])
    runs = await run_rows(again)
    assert [(r["scheduled_for"].day, r["status"]) for r in runs] == [
        (5, MISSED),
        (6, MISSED),
        (7, MISSED),
        (8, "done"),
    ]
    assert len(PostCog.calls) == 1 and PostCog.calls[0].late


async def test_a_failing_job_is_recorded_and_not_retried(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    await weekly(app, kind="test.fail")
    clock.set(utc(1, 5, 9, 0))
    [result] = await app.schedules.run_due()
    assert result.status == FAILED and "RuntimeError: boom" in result.outcome
    assert await app.schedules.run_due() == []
    assert await outbox_rows(app) == []


async def test_a_claim_left_running_by_a_crash_is_taken_over_and_run_once(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    await app.schedules.repo.claim(
        schedule.id, utc(1, 5, 9, 0), late=False, manual=False, claimed_by="dead", now=utc(1, 5, 9)
    )
    await app.stop()
    clock.set(utc(1, 5, 9, 0) + timedelta(seconds=30))  # 30 s old: its process may still run
    again = await make_app([PostCog])
    assert [r["status"] for r in await run_rows(again)] == [RUNNING]
    clock.set(utc(1, 5, 9, 1) + timedelta(seconds=1))  # older than the lease (60 s): taken over
    [result] = await again.schedules.run_due()
    assert result.status == "done" and result.deliveries == 1
    [run] = await run_rows(again)
    assert run["status"] == "done" and run["claimed_by"] == again.schedules.instance_id
    assert len(PostCog.calls) == 1 and len(await outbox_rows(again)) == 1
    assert await again.schedules.run_due() == []
    assert await next_due(again, schedule.id) == utc(1, 12, 9, 0)


async def test_a_claim_older_than_the_grace_window_is_closed_at_start(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    await app.schedules.repo.claim(
        schedule.id, utc(1, 5, 9, 0), late=False, manual=False, claimed_by="dead", now=utc(1, 5, 9)
    )
    await app.stop()
    clock.set(utc(1, 5, 15, 1))  # grace: 6 h
    again = await make_app([PostCog])
    [run] = await run_rows(again)
    assert run["status"] == FAILED and "interrupted" in run["outcome"]
    assert PostCog.calls == []


async def test_pause_stops_runs_and_resume_does_not_catch_up(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    paused = await app.schedules.pause(schedule, actor=MOD)
    assert paused.paused and app.schedules.next_run(paused) is None
    assert await next_due(app, schedule.id) is None
    clock.set(utc(1, 5, 10, 0))
    assert await app.schedules.run_due() == []
    resumed = await app.schedules.resume(paused, actor=MOD)
    assert await app.schedules.run_due() == []  # the 09:00 slot passed while paused
    assert await next_due(app, schedule.id) == utc(1, 12, 9, 0)
    actions = [e.action for e in await app.schedules.changes(resumed.community_id)]
    assert actions == ["schedule.resume", "schedule.pause", "schedule.create"]


async def test_update_moves_the_next_due_slot_and_audits_old_and_new(
    make_app, clock: ManualClock
) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    updated = await app.schedules.update(
        schedule, actor=MOD, rule=WeeklyAt(frozenset({2}), time(18, 30)), timezone="Asia/Tokyo"
    )
    assert await next_due(app, schedule.id) == utc(1, 7, 9, 30)  # Wed 18:30 JST
    entry = (await app.schedules.changes(updated.community_id, "digest"))[0]
    assert entry.action == "schedule.update"
    assert entry.old_value["recurrence"] == "weekly mon 09:00"
    assert entry.new_value["recurrence"] == "weekly wed 18:30"
    assert entry.new_value["timezone"] == "Asia/Tokyo"


async def test_remove_forgets(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    await app.schedules.remove(schedule, actor=MOD)
    assert await next_due(app, schedule.id) is None
    clock.set(utc(1, 5, 9, 0))
    assert await app.schedules.run_due() == []
    with pytest.raises(NotFound, match="no schedule named 'digest'"):
        await app.schedules.get(schedule.community_id, "digest")
    [entry, _] = await app.schedules.changes(schedule.community_id, "digest")
    assert entry.action == "schedule.remove" and entry.new_value is None


async def test_run_now_runs_once_outside_the_recurrence(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    schedule = await weekly(app)
    result = await app.schedules.run_now(schedule, actor=MOD)
    assert result.status == "done" and result.deliveries == 1
    with pytest.raises(UsageError, match="already run this second"):
        await app.schedules.run_now(schedule, actor=MOD)
    clock.set(utc(1, 5, 9, 0))
    [scheduled] = await app.schedules.run_due()  # the manual run does not use up the slot
    assert scheduled.status == "done"
    assert len(await outbox_rows(app)) == 2


async def test_names_kinds_and_duplicates_are_checked(make_app) -> None:
    app = await make_app([PostCog])
    await weekly(app)
    with pytest.raises(OptionError, match="already exists"):
        await weekly(app, name="Digest")
    with pytest.raises(OptionError, match="not a schedule name"):
        await weekly(app, name="my digest!")
    with pytest.raises(UsageError, match="not available"):
        await weekly(app, name="other", kind="nope")


async def test_dst_gap_runs_at_the_jump_and_overlap_runs_once(make_app, clock: ManualClock) -> None:
    clock.set(utc(3, 28, 12, 0))
    app = await make_app([PostCog])
    await weekly(app, days=frozenset({6}), at=time(1, 30))  # Sundays 01:30 London
    # 29 March 2026: 01:30 does not exist (01:00 GMT -> 02:00 BST); runs at the jump.
    clock.set(utc(3, 29, 0, 59))
    assert await app.schedules.run_due() == []
    clock.set(utc(3, 29, 1, 0))
    [gap] = await app.schedules.run_due()
    assert gap.scheduled_for == utc(3, 29, 1, 0)
    # 25 October 2026: 01:30 happens twice; runs at the first (00:30 UTC), not the repeat.
    clock.set(utc(10, 25, 0, 30))
    await app.schedules.repo.record_missed(
        gap.schedule.id, [utc(10, 18, 0, 30)], claimed_by="test", now=clock.now()
    )
    [overlap] = await app.schedules.run_due()
    assert overlap.scheduled_for == utc(10, 25, 0, 30)
    clock.set(utc(10, 25, 1, 30))
    assert await app.schedules.run_due() == []


async def test_cron_schedule_runs_on_its_expression(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    schedule = await app.schedules.create(
        await community(app),
        kind="test.post",
        name="twice",
        rule=CronRule(parse_cron("0 8,20 * * *")),
        timezone="UTC",
        actor=MOD,
        channel=GENERAL,
    )
    assert app.schedules.next_run(schedule) == utc(1, 5, 20, 0)


async def test_personal_schedules_upsert_get_and_remove(make_app, clock: ManualClock) -> None:
    app = await make_app([PostCog])
    home = await community(app)
    first = await app.schedules.upsert_personal(
        home,
        kind="test.post",
        owner_user_id="ana",
        rule=WeeklyAt(frozenset({MON}), time(8, 30)),
        timezone="UTC",
        params={"level": "easy"},
    )
    again = await app.schedules.upsert_personal(
        home,
        kind="test.post",
        owner_user_id="ana",
        rule=WeeklyAt(frozenset({MON}), time(8, 45)),
        timezone="UTC",
        params={"level": "hard"},
    )
    assert again.id == first.id and again.recurrence == "weekly mon 08:45"
    assert again.params == {"level": "hard"} and again.owner_user_id == "ana"
    assert await next_due(app, first.id) == utc(1, 5, 8, 45)
    assert await app.schedules.list_community(home.id) == []  # personal ones are not listed
    found = await app.schedules.get_personal(home.id, "test.post", "ana")
    assert found == again
    clock.set(utc(1, 5, 8, 45))
    [result] = await app.schedules.run_due()
    assert PostCog.calls[0].owner_user_id == "ana" and PostCog.calls[0].params == {"level": "hard"}
    assert result.status == "done"
    assert await app.schedules.remove_personal(home.id, "test.post", "ana") is True
    assert await app.schedules.remove_personal(home.id, "test.post", "ana") is False
    assert await app.schedules.get_personal(home.id, "test.post", "ana") is None
    assert await next_due(app, first.id) is None


@pytest.mark.timer
async def test_the_timer_fires_the_slot_without_anyone_calling_run_due(
    make_app, clock: ManualClock
) -> None:
    # Half a (real) second before the slot: the timer waits that long on the real clock.
    clock.set(utc(1, 5, 9, 0) - timedelta(milliseconds=500))
    app = await make_app([PostCog])
    schedule = await weekly(app)
    clock.set(utc(1, 5, 9, 0))
    next_week = utc(1, 12, 9, 0)
    for _ in range(250):  # until the run finished and the next slot is due
        if [r["status"] for r in await run_rows(app)] == ["done"]:
            break
        await asyncio.sleep(0.02)
    assert len(PostCog.calls) == 1
    assert [r["status"] for r in await run_rows(app)] == ["done"]
    assert await next_due(app, schedule.id) == next_week


@pytest.mark.timer
async def test_a_timer_that_wakes_before_the_slot_leaves_it_due(
    make_app, clock: ManualClock
) -> None:
    clock.set(utc(1, 5, 9, 0) - timedelta(milliseconds=100))
    app = await make_app([PostCog])
    schedule = await weekly(app)
    await asyncio.sleep(0.4)  # the timer fired (real time) but the app clock has not moved
    assert PostCog.calls == []
    assert await next_due(app, schedule.id) == utc(1, 5, 9, 0)
    assert await run_rows(app) == []


@pytest.mark.timer
async def test_stop_waits_for_a_run_in_progress(make_app, clock: ManualClock) -> None:
    PostCog.release = asyncio.Event()
    clock.set(utc(1, 5, 9, 0) - timedelta(milliseconds=200))
    app = await make_app([PostCog])
    await weekly(app, kind="test.slow")
    clock.set(utc(1, 5, 9, 0))
    for _ in range(250):  # until the timer has claimed the slot
        if await run_rows(app):
            break
        await asyncio.sleep(0.02)
    stopping = asyncio.create_task(app.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()
    PostCog.release.set()
    await stopping
    again = await make_app([PostCog])
    assert [r["status"] for r in await run_rows(again)] == ["done"]
    assert len(await outbox_rows(again)) == 1


@pytest.mark.timer
async def test_a_timer_run_that_fails_is_retried_for_the_same_slot(
    make_app, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(utc(1, 5, 9, 0) - timedelta(milliseconds=200))
    app = await make_app([PostCog])
    service = app.schedules
    service.retry_after = timedelta(milliseconds=100)
    real_lock = service.repo.lock_due
    failures = [RuntimeError("database unreachable")]

    async def flaky_lock(*args, **kwargs):
        if failures:
            raise failures.pop()
        return await real_lock(*args, **kwargs)

    monkeypatch.setattr(service.repo, "lock_due", flaky_lock)
    schedule = await weekly(app)
    clock.set(utc(1, 5, 9, 0))
    await service.sync()
    next_week = utc(1, 12, 9, 0)
    for _ in range(250):
        runs = [r["status"] for r in await run_rows(app)]
        if await next_due(app, schedule.id) == next_week and runs == ["done"]:
            break
        await asyncio.sleep(0.02)
        await service.sync()
    assert failures == []
    assert [r["status"] for r in await run_rows(app)] == ["done"]
    assert len(PostCog.calls) == 1


async def test_recording_the_outcome_is_retried_then_marked_failed(
    make_app, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.scheduling.runs

    monkeypatch.setattr(bot.scheduling.runs, "RECORD_BACKOFF_SECONDS", 0.0)
    app = await make_app([PostCog])
    real_enqueue = app.schedules.enqueue
    failures = [RuntimeError("locked")]

    async def flaky_enqueue(conn, **kwargs):
        if failures:
            raise failures.pop()
        return await real_enqueue(conn, **kwargs)

    app.schedules.enqueue = flaky_enqueue
    await weekly(app)
    clock.set(utc(1, 5, 9, 0))
    [result] = await app.schedules.run_due()
    assert result.status == "done" and result.deliveries == 1
    assert len(await outbox_rows(app)) == 1

    failures.extend([RuntimeError("locked")] * 3)
    clock.set(utc(1, 12, 9, 0))
    [lost] = await app.schedules.run_due()
    assert lost.status == FAILED and "could not record the outcome" in lost.outcome
    runs = await run_rows(app)
    assert [r["status"] for r in runs] == ["done", FAILED]
    assert len(await outbox_rows(app)) == 1  # nothing half-stored


async def test_rows_from_before_next_due_was_stored_are_planned_at_start_and_caught_up(
    make_app, clock: ManualClock
) -> None:
    import sqlalchemy as sa

    from storage.schedules import schedules

    app = await make_app([PostCog])
    schedule = await weekly(app, days=frozenset(range(7)))  # daily 09:00 London
    clock.set(utc(1, 5, 9, 0))
    [first] = await app.schedules.run_due()
    await app.stop()
    async with app.db.transaction() as conn:  # what migration 0011 leaves on existing rows
        await conn.execute(sa.update(schedules).values(next_due_at=None))
    clock.set(utc(1, 6, 10, 0))  # down over Tuesday 09:00, back an hour later
    again = await make_app([PostCog])
    assert [(r["scheduled_for"], r["status"]) for r in await run_rows(again)] == [
        (utc(1, 5, 9, 0), "done"),
        (utc(1, 6, 9, 0), "done"),
    ]
    assert first.status == "done" and len(PostCog.calls) == 2
    assert await next_due(again, schedule.id) == utc(1, 7, 9, 0)


async def test_a_pause_in_one_process_is_seen_by_another(make_app, clock: ManualClock) -> None:
    first = await make_app([PostCog])
    second = await make_app([PostCog])
    schedule = await weekly(first)
    paused = await first.schedules.pause(schedule, actor=MOD)
    clock.set(utc(1, 5, 9, 0))
    assert await second.schedules.run_due() == []
    assert await next_due(second, schedule.id) is None
    await first.schedules.resume(paused, actor=MOD)
    clock.set(utc(1, 12, 9, 0))
    [result] = await second.schedules.run_due()
    assert result.status == "done" and len(PostCog.calls) == 1
