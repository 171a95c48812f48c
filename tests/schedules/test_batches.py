"""Job kinds that compose a batch of runs in one call (`@job(..., batch=True)`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest

from bot.app import Application
from bot.cog import Cog, job
from bot.scheduling.jobs import RunContext
from bot.timing.clock import ManualClock
from bot.timing.recurrence import WeeklyAt
from storage.communities import Community
from tests.helpers import actor, run_slots_by_hand
from tests.schedules.support import PostCog, outbox_rows

SLOT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    PostCog.calls.clear()
    PostCog.batches.clear()
    yield
    PostCog.calls.clear()
    PostCog.batches.clear()


async def reminders(app: Application, owners: list[str], zone: str = "UTC") -> Community:
    home = await app.communities.ensure(
        "console", "console", "test", default_timezone="UTC", now=app.clock.now()
    )
    for owner in owners:
        await app.schedules.upsert_personal(
            home,
            kind="test.batch",
            owner_user_id=owner,
            rule=WeeklyAt(frozenset({0}), time(9, 0)),
            timezone=zone,
            params={"who": owner},
        )
    return home


async def test_due_runs_of_a_batch_kind_are_composed_in_one_call(
    make_app, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app([PostCog]))
    owners = [f"m{i:02d}" for i in range(40)]
    await reminders(app, owners, zone="Europe/London")
    clock.set(SLOT)
    results = await app.schedules.run_due()
    assert PostCog.batches == [40]
    assert sorted(r.status for r in results) == ["done"] * 40
    assert {c.timezone for c in PostCog.calls} == {"Europe/London"}
    assert sorted(r["target_id"] for r in await outbox_rows(app)) == owners


async def test_each_run_of_a_batch_keeps_its_own_outcome(make_app, clock: ManualClock) -> None:
    app = await run_slots_by_hand(await make_app([PostCog]))
    await reminders(app, ["ana", "skip-bo", "fail-cy"])
    clock.set(SLOT)
    results = {r.schedule.owner_user_id: r for r in await app.schedules.run_due()}
    assert results["ana"].status == "done" and results["ana"].deliveries == 1
    assert results["skip-bo"].status == "done" and results["skip-bo"].deliveries == 0
    assert results["fail-cy"].status == "failed"
    assert "no reminder for fail-cy" in results["fail-cy"].outcome
    assert [r["target_id"] for r in await outbox_rows(app)] == ["ana"]
    assert await app.schedules.run_due() == []  # every slot is settled: nothing runs twice


async def test_a_batch_call_that_raises_fails_its_runs_only(
    make_app, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await run_slots_by_hand(await make_app([PostCog]))
    home = await reminders(app, ["ana", "crash"])
    await app.schedules.upsert_personal(
        home,
        kind="test.post",
        owner_user_id="dee",
        rule=WeeklyAt(frozenset({0}), time(9, 0)),
        timezone="UTC",
    )
    clock.set(SLOT)
    results = {r.schedule.owner_user_id: r.status for r in await app.schedules.run_due()}
    assert results == {"ana": "failed", "crash": "failed", "dee": "done"}
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert [r.getMessage() for r in tracebacks] == [
        "job kind 'test.batch' failed for a batch of 2 run(s)"
    ]
    assert [r["target_id"] for r in await outbox_rows(app)] == ["dee"]


async def test_a_single_run_of_a_batch_kind_is_a_batch_of_one(make_app, clock: ManualClock) -> None:
    app = await run_slots_by_hand(await make_app([PostCog]))
    home = await reminders(app, ["ana"])
    schedule = await app.schedules.get_personal(home.id, "test.batch", "ana")
    assert schedule is not None
    result = await app.schedules.run_now(schedule, actor=actor("mia", moderator=True))
    assert result.status == "done" and result.deliveries == 1
    assert PostCog.batches == [1]


def test_job_declares_kinds_and_refuses_a_plain_function() -> None:
    kinds = {k.name: k for k in PostCog.jobs(PostCog.__new__(PostCog))}
    assert kinds["test.batch"].produce_many is not None
    assert kinds["test.post"].produce_many is None
    with pytest.raises(TypeError, match="must be async"):

        class Broken(Cog):
            @job("broken", "not async")
            def produce(self, ctx: RunContext) -> list[object]:
                return []
