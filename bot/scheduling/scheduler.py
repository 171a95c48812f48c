"""The schedule service (`app.schedules`): stored schedules, their timers, and their runs.

The database is the source of truth. The APScheduler jobs held here are derived from it: one
timer per active schedule, armed for its next slot, rebuilt at start, updated immediately when a
schedule changes through this service, and re-synchronised every `SYNC_SECONDS` so changes made
by another process sharing the database are picked up too.

Running a slot, whatever triggered it (timer, catch-up at start, `run_due`, `run_now`):

1. claim it by inserting the run row, unique on (schedule, scheduled_for): a slot that is already
   claimed is skipped, so it never runs twice (restart, misfire, two processes);
2. call the job kind's `produce` OUTSIDE any transaction (it may read the database);
3. in ONE transaction, record the outcome and hand the deliveries to the outbox.

A crash between 1 and 3 leaves the claim RUNNING; at the next start such claims are closed as
failed, never re-run (at most once, by design: a half-sent digest is not sent twice).

Slots missed while the bot was down: the latest one is run (marked late) if it is within the
grace window (`SCHEDULE_GRACE_HOURS`); every other missed slot is recorded as `missed`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.context import Actor, ChannelRef
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.ops.logs import with_log_context
from bot.scheduling.jobs import Delivery, RunContext
from bot.timing.recurrence import Rule, next_fire, parse_rule, previous_fires, zone
from storage.schedules import (
    DONE,
    FAILED,
    Schedule,
    ScheduleRepository,
    ScheduleRun,
)

if TYPE_CHECKING:
    from bot.app import Application
    from storage.audit import AuditEntry
    from storage.communities import Community

log = logging.getLogger(__name__)

#: How often timers are re-derived from the database (picks up other processes' changes).
SYNC_SECONDS = 60
#: A run this long after its slot is "late" and its posts say so.
LATE_AFTER = timedelta(minutes=5)
#: RUNNING claims older than this at start belong to a process that died mid-run.
STALE_CLAIM = timedelta(minutes=30)
#: A timer whose run failed (e.g. database unreachable) tries again after this long.
RETRY_AFTER = timedelta(seconds=30)
#: Attempts at the transaction recording a run's outcome and deliveries.
RECORD_ATTEMPTS = 3
RECORD_BACKOFF_SECONDS = 1.0
#: Timer runs in progress at once per process (a burst of timers at one instant would otherwise
#: exhaust the connection pool; SQLite serialises the writes anyway).
RUN_CONCURRENCY = 4
#: How long `stop()` waits for runs in progress.
STOP_TIMEOUT = 30.0
#: At most this many missed slots are recorded per schedule in one catch-up.
MAX_MISSED_RECORDED = 50
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class Enqueue(Protocol):
    """`storage.outbox.enqueue`: store deliveries in the caller's transaction."""

    async def __call__(
        self,
        conn: AsyncConnection,
        *,
        run_key: str,
        deliveries: Sequence[Delivery],
        now: datetime,
    ) -> int: ...


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
class ScheduleView:
    """A schedule with what `/schedule list` shows next to it."""

    schedule: Schedule
    next_run: datetime | None
    last_run: ScheduleRun | None


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


def run_key(schedule_id: int, scheduled_for: datetime) -> str:
    """The outbox key of one slot's deliveries (stable, unique per slot)."""
    return f"schedule:{schedule_id}:{scheduled_for.astimezone(UTC).isoformat()}"


def personal_name(kind: str, owner_user_id: str) -> str:
    return f"{kind}@{owner_user_id}"


def check_name(name: str) -> str:
    """A schedule name people type: 1-40 lowercase letters, digits, - and _."""
    folded = name.strip().lower()
    if not 1 <= len(folded) <= 40 or not set(folded) <= NAME_CHARS:
        raise OptionError(
            "name",
            f"{name!r} is not a schedule name; use 1-40 letters, digits, - or _ "
            "(such as weekly-digest).",
        )
    return folded


class ScheduleService:
    """Create, change and run schedules; keeps the timers in step with the database."""

    def __init__(self, app: Application, *, enqueue: Enqueue) -> None:
        self.app = app
        self.repo = ScheduleRepository(app.db)
        self.enqueue = enqueue
        self.instance_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        #: Called after each run (e.g. to wake the delivery workers).
        self.run_observers: list[Callable[[RunResult], Awaitable[None]]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self._armed: dict[int, tuple[datetime, datetime]] = {}  # id -> (slot, updated_at)
        self._locks: dict[int, asyncio.Lock] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._retrying: set[int] = set()  # timers waiting to retry a failed run
        self.retry_after = RETRY_AFTER
        self._concurrency = asyncio.Semaphore(RUN_CONCURRENCY)

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.app.settings.schedule_grace_hours)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the timers are armed (between `start()` and `stop()`; for /readyz)."""
        return self._scheduler is not None and bool(self._scheduler.running)

    async def start(self) -> None:
        """Close dead claims, catch up missed slots, then arm a timer per active schedule."""
        now = self.app.clock.now()
        stale = await self.repo.fail_stale(older_than=now - STALE_CLAIM, now=now)
        if stale:
            log.warning("closed %d schedule run(s) interrupted by a previous stop", stale)
        await self.run_due()
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.start()
        self._scheduler = scheduler
        scheduler.add_job(
            self.sync,
            "interval",
            seconds=SYNC_SECONDS,
            id="schedules-sync",
            coalesce=True,
            max_instances=1,
        )
        await self.sync()

    async def stop(self) -> None:
        """Stop the timers and let runs in progress finish (up to `STOP_TIMEOUT` seconds)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.pause()  # no new timers; shutting down would cancel the running ones
        self._armed.clear()
        self._retrying.clear()
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=STOP_TIMEOUT)
            if pending:
                log.warning("%d schedule run(s) still busy at stop", len(pending))
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    async def sync(self) -> None:
        """Re-derive every timer from the database (only changed ones are touched)."""
        try:
            current = {s.id: s for s in await self.repo.all()}
        except Exception:
            log.exception("could not read schedules to synchronise timers")
            return
        for schedule_id in list(self._armed):
            if schedule_id not in current:
                self._disarm(schedule_id)
        for schedule in current.values():
            self._arm(schedule)

    def _arm(self, schedule: Schedule, *, force: bool = False) -> None:
        """(Re)arm the timer of one schedule for its next slot; disarm it when paused.

        Without `force` (periodic sync) a timer is left alone when nothing changed or when it
        is retrying, and a slot that is due but not yet handled fires at once (re-arming for
        the next slot would skip it).
        """
        if schedule.paused:
            self._disarm(schedule.id)
            return
        now = self.app.clock.now()
        armed = self._armed.get(schedule.id)
        if not force and armed is not None and armed[1] == schedule.updated_at:
            if schedule.id in self._retrying:
                return
            if armed[0] <= now:
                # Due but not handled yet (its timer is about to fire, or was lost, or the app
                # clock jumped ahead of it): handle it now. The claim makes a repeat harmless.
                self._add_timer(schedule.id, timedelta(0))
                return
        slot = self.next_run(schedule, after=now)
        if slot is None:
            self._disarm(schedule.id)
            return
        if not force and armed == (slot, schedule.updated_at):
            return
        self._armed[schedule.id] = (slot, schedule.updated_at)
        self._retrying.discard(schedule.id)
        # Timers run on the real clock; the slot is in the app clock's time (equal in
        # production, a test clock otherwise), so wait the difference.
        self._add_timer(schedule.id, max(timedelta(0), slot - now))

    def _add_timer(self, schedule_id: int, delay: timedelta) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self._on_timer,
            DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
            args=[schedule_id],
            id=_job_id(schedule_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def _disarm(self, schedule_id: int) -> None:
        self._armed.pop(schedule_id, None)
        self._retrying.discard(schedule_id)
        scheduler = self._scheduler
        if scheduler is not None and scheduler.get_job(_job_id(schedule_id)) is not None:
            scheduler.remove_job(_job_id(schedule_id))

    async def _on_timer(self, schedule_id: int) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        failed = False
        schedule: Schedule | None = None
        ran: list[RunResult] = []
        try:
            async with self._concurrency:
                schedule, ran = await self._run_due_one(schedule_id)
        except Exception:
            log.exception("schedule %d: timer run failed; retrying shortly", schedule_id)
            failed = True
        finally:
            if task is not None:
                self._inflight.discard(task)
        if self._scheduler is None:
            return  # stopping: do not re-arm
        if failed:
            # E.g. the database was unreachable: try the same slot again (the claim keeps it
            # from running twice; the grace window bounds how late it can be).
            self._retrying.add(schedule_id)
            self._add_timer(schedule_id, self.retry_after)
            return
        self._retrying.discard(schedule_id)
        if ran:  # time passed while it ran: it may have been changed meanwhile
            schedule = await self.repo.find(schedule_id)
        if schedule is None:
            self._disarm(schedule_id)
        else:
            self._arm(schedule, force=True)

    # -- reading --------------------------------------------------------------------------

    def next_run(self, schedule: Schedule, *, after: datetime | None = None) -> datetime | None:
        """The next slot strictly after `after` (default: now), aware UTC; None when paused."""
        if schedule.paused:
            return None
        return next_fire(
            parse_rule(schedule.recurrence), schedule.timezone, after or self.app.clock.now()
        )

    async def list_community(self, community_id: int) -> list[ScheduleView]:
        """A community's (non-personal) schedules with next and last run."""
        found = await self.repo.for_community(community_id)
        last = await self.repo.last_runs([s.id for s in found])
        return [ScheduleView(s, self.next_run(s), last.get(s.id)) for s in found]

    async def find(self, community_id: int, name: str) -> Schedule | None:
        async with self.app.db.transaction() as conn:
            return await self.repo.by_name(conn, community_id, name)

    async def get(self, community_id: int, name: str) -> Schedule:
        """The named community schedule, or `NotFound` listing the existing names."""
        found = await self.find(community_id, name)
        if found is not None and not found.is_personal:
            return found
        names = [s.name for s in await self.repo.for_community(community_id)]
        hint = (
            f"Schedules here: {', '.join(names)}."
            if names
            else "There are no schedules yet; create one with /schedule digest or /schedule dsa."
        )
        raise NotFound(f"There is no schedule named {name!r}.", hint=hint)

    async def runs(self, schedule_id: int, *, limit: int = 10) -> list[ScheduleRun]:
        """The latest runs of one schedule, newest first."""
        return await self.repo.runs(schedule_id, limit=limit)

    async def community_runs(
        self, community_id: int, *, limit: int = 10
    ) -> list[tuple[str, ScheduleRun]]:
        """The latest runs of a community's schedules as (schedule name, run), newest first."""
        return await self.repo.community_runs(community_id, limit=limit)

    async def changes(
        self, community_id: int, name: str | None = None, *, limit: int = 10
    ) -> list[AuditEntry]:
        """Audited configuration changes of schedules (of one schedule when `name` is given)."""
        prefix = "schedule:" if name is None else f"schedule:{name}"
        entries = await self.app.audit.recent(
            community_id, limit=limit * 4 if name else limit, target_prefix=prefix
        )
        if name is not None:
            entries = [e for e in entries if e.target == f"schedule:{name}"][:limit]
        return entries

    # -- changing community schedules ------------------------------------------------------

    async def create(
        self,
        community: Community,
        *,
        kind: str,
        name: str,
        rule: Rule,
        timezone: str,
        actor: Actor,
        channel: ChannelRef | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Schedule:
        """Add a community schedule (audited); it is armed at once."""
        name = check_name(name)
        self._check_kind(kind)
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            if await self.repo.by_name(conn, community.id, name) is not None:
                raise OptionError(
                    "name",
                    f"a schedule named {name!r} already exists.",
                    hint="Pick another name, or change that one by giving the same name "
                    "to /schedule digest or /schedule dsa.",
                )
            schedule = await self.repo.insert(
                conn,
                {
                    "community_id": community.id,
                    "kind": kind,
                    "name": name,
                    "channel_id": channel.id if channel else None,
                    "channel_name": channel.name if channel else None,
                    "recurrence": rule.to_text(),
                    "timezone": timezone,
                    "params": dict(params or {}),
                    "paused": False,
                    "owner_user_id": None,
                    "active_since": now,
                    "created_by": actor.user_id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await self._audit(conn, schedule, actor, "schedule.create", None, schedule.config())
        self._arm(schedule, force=True)
        return schedule

    async def update(
        self,
        schedule: Schedule,
        *,
        actor: Actor,
        rule: Rule | None = None,
        timezone: str | None = None,
        channel: ChannelRef | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Schedule:
        """Change a community schedule (audited with old and new values); re-armed at once."""
        values = self._changes(schedule, rule=rule, timezone=timezone, channel=channel)
        if params is not None and dict(params) != schedule.params:
            values["params"] = dict(params)
        if not values:
            return schedule
        async with self.app.db.transaction() as conn:
            old = await self.repo.get(conn, schedule.id)
            if old is None:
                raise NotFound(f"The schedule {schedule.name!r} was removed meanwhile.")
            updated = await self.repo.update(conn, schedule.id, values)
            await self._audit(
                conn, updated, actor, "schedule.update", old.config(), updated.config()
            )
        self._arm(updated, force=True)
        return updated

    async def pause(self, schedule: Schedule, *, actor: Actor) -> Schedule:
        return await self.set_paused(schedule, True, actor=actor)

    async def resume(self, schedule: Schedule, *, actor: Actor) -> Schedule:
        return await self.set_paused(schedule, False, actor=actor)

    async def set_paused(self, schedule: Schedule, paused: bool, *, actor: Actor) -> Schedule:
        """Pause or resume (audited). Slots that passed while paused are not caught up."""
        if schedule.paused == paused:
            return schedule
        now = self.app.clock.now()
        values: dict[str, Any] = {"paused": paused, "updated_at": now}
        if not paused:
            values["active_since"] = now
        async with self.app.db.transaction() as conn:
            updated = await self.repo.update(conn, schedule.id, values)
            action = "schedule.pause" if paused else "schedule.resume"
            await self._audit(conn, updated, actor, action, schedule.config(), updated.config())
        self._arm(updated, force=True)
        return updated

    async def remove(self, schedule: Schedule, *, actor: Actor) -> None:
        """Delete a schedule and its run history (audited); its timer stops at once."""
        async with self.app.db.transaction() as conn:
            await self.repo.delete(conn, schedule.id)
            await self._audit(conn, schedule, actor, "schedule.remove", schedule.config(), None)
        self._disarm(schedule.id)

    async def run_now(self, schedule: Schedule, *, actor: Actor) -> RunResult:
        """Run a schedule once, now, outside its recurrence (audited as who asked)."""
        now = self.app.clock.now().replace(microsecond=0)
        await self.app.audit.record(
            community_id=schedule.community_id,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            action="schedule.run_now",
            target=f"schedule:{schedule.name}",
            old=None,
            new={"scheduled_for": now.isoformat()},
            at=now,
        )
        result = await self._run_slot(schedule, now, late=False, manual=True)
        if result.status == "taken":
            raise UsageError(
                f"{schedule.name!r} was already run this second; wait a moment and try again."
            )
        return result

    # -- personal schedules ---------------------------------------------------------------

    async def upsert_personal(
        self,
        community: Community,
        *,
        kind: str,
        owner_user_id: str,
        rule: Rule,
        timezone: str,
        params: Mapping[str, Any] | None = None,
        channel: ChannelRef | None = None,
    ) -> Schedule:
        """Create or replace the member's schedule of this kind (e.g. a DSA reminder)."""
        self._check_kind(kind)
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            existing = await self.repo.personal(conn, community.id, kind, owner_user_id)
            if existing is None:
                schedule = await self.repo.insert(
                    conn,
                    {
                        "community_id": community.id,
                        "kind": kind,
                        "name": personal_name(kind, owner_user_id),
                        "channel_id": channel.id if channel else None,
                        "channel_name": channel.name if channel else None,
                        "recurrence": rule.to_text(),
                        "timezone": timezone,
                        "params": dict(params or {}),
                        "paused": False,
                        "owner_user_id": owner_user_id,
                        "active_since": now,
                        "created_by": owner_user_id,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            else:
                values = self._changes(existing, rule=rule, timezone=timezone, channel=channel)
                if dict(params or {}) != existing.params:
                    values["params"] = dict(params or {})
                if existing.paused:
                    values.update(paused=False, active_since=now, updated_at=now)
                schedule = await self.repo.update(conn, existing.id, values) if values else existing
        self._arm(schedule, force=True)
        return schedule

    async def get_personal(
        self, community_id: int, kind: str, owner_user_id: str
    ) -> Schedule | None:
        async with self.app.db.transaction() as conn:
            return await self.repo.personal(conn, community_id, kind, owner_user_id)

    async def remove_personal(self, community_id: int, kind: str, owner_user_id: str) -> bool:
        """Delete the member's schedule of this kind; False when there was none."""
        async with self.app.db.transaction() as conn:
            existing = await self.repo.personal(conn, community_id, kind, owner_user_id)
            if existing is None:
                return False
            await self.repo.delete(conn, existing.id)
        self._disarm(existing.id)
        return True

    # -- running --------------------------------------------------------------------------

    async def run_due(self, schedule_ids: Sequence[int] | None = None) -> list[RunResult]:
        """Run every slot that is due now and not yet claimed (all schedules by default).

        Per schedule, only the latest due slot runs, and only within the grace window; earlier
        ones (and one outside the window) are recorded as missed.
        """
        ids = await self.repo.active_ids() if schedule_ids is None else list(schedule_ids)
        results: list[RunResult] = []
        for schedule_id in ids:
            try:
                results.extend((await self._run_due_one(schedule_id))[1])
            except Exception:
                log.exception("schedule %d: due slots failed", schedule_id)
        return results

    async def _run_due_one(self, schedule_id: int) -> tuple[Schedule | None, list[RunResult]]:
        """Handle the due slots of one schedule; returns it as loaded (None when removed)."""
        lock = self._locks.setdefault(schedule_id, asyncio.Lock())
        async with lock:
            loaded = await self.repo.load_for_run(schedule_id)
            if loaded is None:
                return None, []
            schedule, last, community = loaded
            now = self.app.clock.now()
            baseline = max(schedule.active_since, last) if last else schedule.active_since
            if schedule.paused or baseline >= now:
                return schedule, []
            plan = plan_due(
                parse_rule(schedule.recurrence), schedule.timezone, baseline, now, self.grace
            )
            if plan.missed:
                count = await self.repo.record_missed(
                    schedule.id, plan.missed, claimed_by=self.instance_id, now=now
                )
                if count:
                    log.warning(
                        "schedule %d (%s): %d slot(s) missed while the bot was offline",
                        schedule.id,
                        schedule.name,
                        count,
                    )
            if plan.run is None:
                return schedule, []
            result = await self._run_slot(schedule, plan.run, late=plan.late, community=community)
            return schedule, [result]

    @with_log_context(lambda self, schedule, slot, **_: {"run": run_key(schedule.id, slot)})
    async def _run_slot(
        self,
        schedule: Schedule,
        slot: datetime,
        *,
        late: bool,
        manual: bool = False,
        community: Community | None = None,
    ) -> RunResult:
        app = self.app
        run_id = await self.repo.claim(
            schedule.id,
            slot,
            late=late,
            manual=manual,
            claimed_by=self.instance_id,
            now=app.clock.now(),
        )
        if run_id is None:
            return RunResult(schedule, slot, "taken", late)
        deliveries: list[Delivery] = []
        status, outcome = DONE, ""
        try:
            deliveries = await self._produce(schedule, slot, late, community)
        except Exception as exc:
            status = FAILED
            outcome = f"error: {type(exc).__name__}: {exc}"[:500]
            log.exception("schedule %d (%s): run for %s failed", schedule.id, schedule.name, slot)
        if late:
            deliveries = [self._mark_late(d, schedule, slot) for d in deliveries]
        queued = 0
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            # One transaction: the outcome and the deliveries, or neither (safe to retry).
            now = app.clock.now()
            try:
                async with app.db.transaction() as conn:
                    if deliveries:
                        queued = await self.enqueue(
                            conn, run_key=run_key(schedule.id, slot), deliveries=deliveries, now=now
                        )
                    if status == DONE:
                        outcome = f"{queued} message(s) queued" if deliveries else "nothing to send"
                        if late:
                            outcome += " (late: the bot was offline)"
                    await self.repo.finish(
                        conn, run_id, status=status, outcome=outcome, deliveries=queued, now=now
                    )
                break
            except Exception as exc:
                log.warning(
                    "schedule %d: recording the run failed (attempt %d)", schedule.id, attempt
                )
                if attempt < RECORD_ATTEMPTS:
                    await asyncio.sleep(attempt * RECORD_BACKOFF_SECONDS)
                    continue
                status, queued = FAILED, 0
                outcome = f"could not record the outcome: {type(exc).__name__}: {exc}"[:500]
                log.exception("schedule %d: run for %s lost", schedule.id, slot)
                try:
                    async with app.db.transaction() as conn:
                        await self.repo.finish(
                            conn, run_id, status=status, outcome=outcome, deliveries=0, now=now
                        )
                except Exception:
                    log.exception("schedule %d: could not mark the run failed", schedule.id)
        result = RunResult(schedule, slot, status, late, queued, outcome)
        for observer in self.run_observers:
            try:
                await observer(result)
            except Exception:
                log.exception("run observer failed")
        return result

    async def _produce(
        self, schedule: Schedule, slot: datetime, late: bool, community: Community | None
    ) -> list[Delivery]:
        app = self.app
        job = app.jobs.get(schedule.kind)
        if job is None:
            raise LookupError(f"job kind {schedule.kind!r} is not installed (is its cog enabled?)")
        if community is None:
            community = await app.communities.get(schedule.community_id)
        if community is None:
            raise LookupError(f"community {schedule.community_id} no longer exists")
        ctx = RunContext(
            app=app,
            community=community,
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            scheduled_for=slot,
            late=late,
            channel_id=schedule.channel_id,
            channel_name=schedule.channel_name,
            params=dict(schedule.params),
            owner_user_id=schedule.owner_user_id,
        )
        return list(await job.produce(ctx))

    @staticmethod
    def _mark_late(delivery: Delivery, schedule: Schedule, slot: datetime) -> Delivery:
        local = slot.astimezone(zone(schedule.timezone))
        note = (
            f"Scheduled for {local:%a %d %b %H:%M} ({schedule.timezone}); "
            "the bot was offline, so this comes late."
        )
        message = delivery.message
        footer = f"{message.footer} · {note}" if message.footer else note
        return replace(delivery, message=replace(message, footer=footer))

    # -- helpers --------------------------------------------------------------------------

    def _check_kind(self, kind: str) -> None:
        if kind not in self.app.jobs:
            raise UsageError(
                f"Scheduled {kind!r} posts are not available: the feature that makes them is "
                "not enabled in this bot.",
                hint="Ask the bot's operator to enable it (see COGS in the README).",
            )

    def _changes(
        self,
        schedule: Schedule,
        *,
        rule: Rule | None,
        timezone: str | None,
        channel: ChannelRef | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if rule is not None and rule.to_text() != schedule.recurrence:
            values["recurrence"] = rule.to_text()
        if timezone is not None and timezone != schedule.timezone:
            values["timezone"] = timezone
        if channel is not None and channel.id != schedule.channel_id:
            values.update(channel_id=channel.id, channel_name=channel.name)
        if values:
            now = self.app.clock.now()
            values["updated_at"] = now
            if "recurrence" in values or "timezone" in values:
                values["active_since"] = now  # the new timing starts now: no catch-up before
        return values

    async def _audit(
        self,
        conn: AsyncConnection,
        schedule: Schedule,
        actor: Actor,
        action: str,
        old: Any,
        new: Any,
    ) -> None:
        await self.app.audit.record(
            community_id=schedule.community_id,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            action=action,
            target=f"schedule:{schedule.name}",
            old=old,
            new=new,
            at=self.app.clock.now(),
            conn=conn,
        )


def _job_id(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"
