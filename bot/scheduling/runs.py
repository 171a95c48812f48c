"""Running slots: due rows claimed in batches, produced, and recorded with their deliveries.

A batch (`_run_batch`), whatever triggered it (the process's timer, `run_due`, start-up):

1. ONE transaction claims up to `BATCH` schedules whose `next_due_at` has come (locked with
   SKIP LOCKED on PostgreSQL, so processes split a busy minute; SQLite has one writer): it
   inserts a RUNNING run row per slot to run (unique on (schedule, slot): a slot already
   claimed is skipped), records the missed ones, and advances each `next_due_at` to the slot
   after now;
2. each job kind composes its runs OUTSIDE any transaction (`bot.scheduling.produce`; it may
   read the database), a batch kind all of them in one call;
3. ONE transaction records every outcome and hands all deliveries to the outbox in bulk, for
   the claims this process still holds (checked under lock in that transaction).

A process that dies between 1 and 3 leaves its claims RUNNING with nothing stored: once a claim
is older than `claim_lease` another process (or this one after a restart) takes it over and runs
it (`take_over_stale`). Nothing is sent twice: deliveries are stored only in step 3, together
with the outcome, and the outbox is unique per (run, recipient). A claim older than the grace
window when the bot starts again is closed as failed instead.

Slots missed while the bot was down: the latest one is run (marked late) if it is within the
grace window (`SCHEDULE_GRACE_HOURS`); every other missed slot is recorded as `missed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.context import Actor
from bot.commands.errors import UsageError
from bot.ops.logs import with_log_context
from bot.scheduling.audit import audit_schedule
from bot.scheduling.jobs import Delivery
from bot.scheduling.jobs import run_key as run_key  # its home is jobs; re-exported here
from bot.scheduling.produce import Claim, produce_all
from bot.timing.recurrence import Rule, next_fire, parse_rule, previous_fires
from storage.schedules import DONE, FAILED, MISSED, RUNNING, Schedule, ScheduleRepository

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

#: A run this long after its slot is "late" and its posts say so.
LATE_AFTER = timedelta(minutes=5)
#: Schedules claimed per transaction.
BATCH = 500
#: Batches in flight at once per process.
PIPELINE = 2
#: A RUNNING claim older than this belongs to a process that died (or hangs): taken over.
CLAIM_LEASE = timedelta(seconds=60)
#: Attempts at the transaction recording a batch's outcomes and deliveries.
RECORD_ATTEMPTS = 3
RECORD_BACKOFF_SECONDS = 1.0
#: At most this many missed slots are recorded per schedule in one catch-up.
MAX_MISSED_RECORDED = 50


class Enqueue(Protocol):
    """`app.delivery.queue_runs`: store several runs' deliveries in the caller's
    transaction; returns the rows queued per run key."""

    async def __call__(
        self,
        conn: AsyncConnection,
        *,
        runs: Sequence[tuple[str, Sequence[Delivery]]],
        now: datetime,
    ) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class RunResult:
    """What happened to one slot: `status` is done / failed / taken (already claimed)."""

    schedule: Schedule
    scheduled_for: datetime
    status: str
    late: bool = False
    deliveries: int = 0
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class DuePlan:
    """What to do about the slots of one schedule that are due: run one, record the rest."""

    run: datetime | None
    late: bool
    missed: list[datetime]


def plan_due(
    rule: Rule,
    zone_name: str,
    baseline: datetime,
    now: datetime,
    grace: timedelta,
    *,
    max_missed: int = MAX_MISSED_RECORDED,
) -> DuePlan:
    """Slots in (baseline, now]: the latest runs if at most `grace` old (late when more than
    `LATE_AFTER` old); every other one is missed (only the latest `max_missed` are returned)."""
    if baseline >= now:
        return DuePlan(None, False, [])
    due = previous_fires(rule, zone_name, baseline, now, limit=max_missed + 1)
    if not due:
        return DuePlan(None, False, [])
    latest = due[-1]
    if now - latest > grace:
        return DuePlan(None, False, due[-max_missed:] if max_missed else [])
    missed = due[:-1][-max_missed:] if max_missed else []
    return DuePlan(latest, now - latest > LATE_AFTER, missed)


@lru_cache(maxsize=4096)
def rule_of(text: str) -> Rule:
    """The parsed rule of a stored recurrence (100,000 reminders share a few hundred texts)."""
    return parse_rule(text)


def first_due(schedule: Schedule, after: datetime) -> datetime | None:
    """The first slot of a schedule strictly after `after` (None when paused)."""
    if schedule.paused:
        return None
    return next_fire(rule_of(schedule.recurrence), schedule.timezone, after)


def plan_row(
    schedule: Schedule, now: datetime, grace: timedelta
) -> tuple[DuePlan, datetime | None]:
    """What to do about a schedule whose `next_due_at` has come, and its next due instant.

    The common case (only that one slot is due, and it is within grace) costs one `next_fire`.
    """
    slot = schedule.next_due_at
    assert slot is not None
    rule = rule_of(schedule.recurrence)
    following = next_fire(rule, schedule.timezone, slot)
    if (following is None or following > now) and now - slot <= grace:
        return DuePlan(slot, now - slot > LATE_AFTER, []), following
    plan = plan_due(rule, schedule.timezone, slot - timedelta(microseconds=1), now, grace)
    return plan, next_fire(rule, schedule.timezone, now)


class RunsMixin:
    """Running due slots in batches (part of `ScheduleService`)."""

    app: Application
    repo: ScheduleRepository
    enqueue: Enqueue
    instance_id: str
    claim_lease: timedelta
    run_observers: list[Callable[[RunResult], Awaitable[None]]]

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.app.settings.schedule_grace_hours)

    async def run_due(self) -> list[RunResult]:
        """Run every slot that is due now and not yet claimed, and take over dead claims.

        Per schedule, only the latest due slot runs, and only within the grace window; earlier
        ones (and one outside the window) are recorded as missed.
        """
        results = await self._take_over()

        async def drain() -> None:
            while True:
                batch, full = await self._run_batch(self.app.clock.now())
                results.extend(batch)
                if not full:
                    return

        # Batches in flight at once: one claims or records while the other produces or waits
        # for the database (on SQLite the claiming transactions still take turns).
        outcomes = await asyncio.gather(*(drain() for _ in range(PIPELINE)), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # after both finished: nothing runs on behind the caller's back
        return results

    async def run_pass(self) -> timedelta | None:
        """One pass of the timer: run what is due; how long until the next due instant."""
        await self.run_due()
        earliest = await self.repo.earliest_due()
        if earliest is None:
            return None
        return earliest - self.app.clock.now()

    async def _run_batch(self, now: datetime) -> tuple[list[RunResult], bool]:
        """Claim, produce and record one batch; (results, whether the batch was full)."""
        claims: list[Claim] = []
        taken: list[RunResult] = []
        async with self.app.db.transaction() as conn:
            due = await self.repo.lock_due(conn, now, BATCH)
            if not due:
                return [], False
            planned: dict[int, tuple[Schedule, DuePlan]] = {}
            rows: list[dict[str, Any]] = []
            next_due: dict[int, datetime | None] = {}
            for schedule in due:
                plan, following = plan_row(schedule, now, self.grace)
                next_due[schedule.id] = following
                planned[schedule.id] = (schedule, plan)
                rows.extend(self._missed_row(schedule.id, slot, now) for slot in plan.missed)
                if plan.run is not None:
                    rows.append(self._claim_row(schedule.id, plan.run, plan.late, False, now))
            await self.repo.insert_runs(conn, rows)
            await self.repo.set_next_due(conn, next_due)
            held = await self.repo.claims_of(
                conn, [i for i, (_, p) in planned.items() if p.run], self.instance_id
            )
            found = await self.repo.communities_of(conn, {s.community_id for s in due})
        by_slot = {(r.schedule_id, r.scheduled_for): r.id for r in held}
        for schedule, plan in planned.values():
            if plan.missed:
                log.warning(
                    "schedule %d (%s): %d slot(s) missed while the bot was offline",
                    schedule.id,
                    schedule.name,
                    len(plan.missed),
                )
            if plan.run is None:
                continue
            run_id = by_slot.get((schedule.id, plan.run))
            if run_id is None:
                taken.append(RunResult(schedule, plan.run, "taken", plan.late))
                continue
            community = found.get(schedule.community_id)
            claims.append(Claim(run_id, schedule, plan.run, plan.late, community))
        results = await self._produce_and_record(claims)
        await self._notify(results)
        return taken + results, len(due) == BATCH

    async def _take_over(self) -> list[RunResult]:
        """Run the claims of processes that died mid-run (RUNNING longer than the lease)."""
        now = self.app.clock.now()
        stale = await self.repo.take_over_stale(
            older_than=now - self.claim_lease, claimed_by=self.instance_id, now=now, limit=BATCH
        )
        if not stale:
            return []
        log.warning("taking over %d schedule run(s) of a process that stopped", len(stale))
        found = await self.repo.get_many([r.schedule_id for r in stale])
        claims: list[Claim] = []
        for run in stale:
            schedule = found.get(run.schedule_id)
            if schedule is not None:
                claims.append(Claim(run.id, schedule, run.scheduled_for, run.late, None))
        results = await self._produce_and_record(claims)
        await self._notify(results)
        return results

    async def run_now(self, schedule: Schedule, *, actor: Actor) -> RunResult:
        """Run a schedule once, now, outside its recurrence (audited as who asked)."""
        now = self.app.clock.now().replace(microsecond=0)
        await audit_schedule(
            self.app,
            None,
            schedule,
            actor,
            "schedule.run_now",
            None,
            {"scheduled_for": now.isoformat()},
            at=now,
        )
        result = await self._run_slot(schedule, now, late=False, manual=True)
        if result.status == "taken":
            raise UsageError(
                f"{schedule.name!r} was already run this second; wait a moment and try again."
            )
        return result

    @with_log_context(lambda self, schedule, slot, **_: {"run": run_key(schedule.id, slot)})
    async def _run_slot(
        self, schedule: Schedule, slot: datetime, *, late: bool, manual: bool = False
    ) -> RunResult:
        """Claim, produce and record one slot (run now)."""
        run_id = await self.repo.claim(
            schedule.id,
            slot,
            late=late,
            manual=manual,
            claimed_by=self.instance_id,
            now=self.app.clock.now(),
        )
        if run_id is None:
            return RunResult(schedule, slot, "taken", late)
        claim = Claim(run_id, schedule, slot, late, None, manual=manual)
        results = await self._produce_and_record([claim])
        await self._notify(results)
        return results[0]

    async def _produce_and_record(self, claims: list[Claim]) -> list[RunResult]:
        if not claims:
            return []
        await produce_all(self.app, claims)
        return await self._record(claims)

    async def _record(self, claims: list[Claim]) -> list[RunResult]:
        """One transaction: every outcome and every delivery, or none (safe to retry)."""
        queued: dict[str, int] = {}
        owned: set[int] = set()
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            now = self.app.clock.now()
            try:
                async with self.app.db.transaction() as conn:
                    owned = await self.repo.owned(
                        conn, [c.run_id for c in claims], self.instance_id
                    )
                    mine = [c for c in claims if c.run_id in owned]
                    runs = [
                        (run_key(c.schedule.id, c.slot), c.deliveries)
                        for c in mine
                        if c.status == DONE and c.deliveries
                    ]
                    queued = await self.enqueue(conn, runs=runs, now=now) if runs else {}
                    await self.repo.finish_many(conn, [self._outcome(c, queued, now) for c in mine])
                break
            except Exception as exc:
                log.warning(
                    "recording %d schedule run(s) failed (attempt %d)", len(claims), attempt
                )
                if attempt < RECORD_ATTEMPTS:
                    await asyncio.sleep(attempt * RECORD_BACKOFF_SECONDS)
                    continue
                log.exception("%d schedule run(s) lost", len(claims))
                outcome = f"could not record the outcome: {type(exc).__name__}: {exc}"[:500]
                for claim in claims:
                    claim.status, claim.outcome, claim.deliveries = FAILED, outcome, []
                queued = {}
                try:
                    async with self.app.db.transaction() as conn:
                        owned = await self.repo.owned(
                            conn, [c.run_id for c in claims], self.instance_id
                        )
                        await self.repo.finish_many(
                            conn, [self._outcome(c, {}, now) for c in claims if c.run_id in owned]
                        )
                except Exception:
                    log.exception("could not mark %d schedule run(s) failed", len(claims))
        results: list[RunResult] = []
        for claim in claims:
            if claim.run_id not in owned:
                # Another process took the claim over meanwhile: it records the run.
                results.append(RunResult(claim.schedule, claim.slot, "taken", claim.late))
                continue
            count = queued.get(run_key(claim.schedule.id, claim.slot), 0)
            result = RunResult(
                claim.schedule, claim.slot, claim.status, claim.late, count, claim.outcome
            )
            results.append(result)
        return results

    @staticmethod
    def _outcome(claim: Claim, queued: dict[str, int], now: datetime) -> dict[str, Any]:
        count = queued.get(run_key(claim.schedule.id, claim.slot), 0)
        if claim.status == DONE:
            claim.outcome = (
                f"{count} message{'' if count == 1 else 's'} queued"
                if claim.deliveries
                else claim.skipped or "nothing to send"
            )
            if claim.late:
                claim.outcome += " (late: the bot was offline)"
        return {
            "b_id": claim.run_id,
            "b_status": claim.status,
            "b_outcome": claim.outcome[:2000],
            "b_deliveries": count if claim.status == DONE else 0,
            "b_at": now,
        }

    async def _notify(self, results: list[RunResult]) -> None:
        for result in results:
            for observer in self.run_observers:
                try:
                    await observer(result)
                except Exception:
                    log.exception("run observer failed")

    def _claim_row(
        self, schedule_id: int, slot: datetime, late: bool, manual: bool, now: datetime
    ) -> dict[str, Any]:
        return {
            "schedule_id": schedule_id,
            "scheduled_for": slot,
            "status": RUNNING,
            "late": late,
            "manual": manual,
            "outcome": "",
            "deliveries": 0,
            "claimed_by": self.instance_id[:64],
            "started_at": now,
            "finished_at": None,
        }

    def _missed_row(self, schedule_id: int, slot: datetime, now: datetime) -> dict[str, Any]:
        row = self._claim_row(schedule_id, slot, False, False, now)
        row.update(status=MISSED, outcome="the bot was offline", finished_at=now)
        return row
