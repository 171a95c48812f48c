"""The schedule service (`app.schedules`): stored schedules, the process's timer, their runs.

The database is the source of truth. Each schedule row stores its next due instant
(`next_due_at`, UTC, computed from its local-time rule in its zone by `bot.timing.recurrence`),
indexed. One timer per process (`bot.scheduling.timer.WakeTimer`) wakes at the earliest due
instant, or when a schedule changes here, or every `POLL_SECONDS` to see other processes'
changes; each wake-up runs the due rows in batches (`bot.scheduling.runs`). Memory and start-up
do not grow with the number of schedules: nothing is held per schedule in the process.

The package by concept:

- `timer.py`: the one wake-up timer;
- `runs.py`: claiming due rows in batches, producing, recording with the deliveries, taking
  over the claims of a process that died, catch-up within grace;
- `changes.py`: create / update / pause / resume / remove / run now / personal schedules, with
  the user errors and the audit;
- `jobs.py`: what a cog declares (job kinds) and what they produce (deliveries).

APScheduler is no longer used: one asyncio task and an index do what one APScheduler job per
schedule did, without a job store to rebuild at start.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands.errors import NotFound
from bot.ops.retry_log import RetryLog
from bot.scheduling.changes import ChangesMixin, check_name, personal_name
from bot.scheduling.runs import (
    CLAIM_LEASE,
    LATE_AFTER,
    DuePlan,
    Enqueue,
    RunResult,
    RunsMixin,
    first_due,
    plan_due,
    run_key,
)
from bot.scheduling.timer import WakeTimer
from storage.schedules import Schedule, ScheduleRepository, ScheduleRun

if TYPE_CHECKING:
    from bot.app import Application
    from storage.audit import AuditEntry

__all__ = [
    "LATE_AFTER",
    "DuePlan",
    "RunResult",
    "ScheduleService",
    "ScheduleView",
    "check_name",
    "personal_name",
    "plan_due",
    "run_key",
]

log = logging.getLogger(__name__)

#: A pass that failed (e.g. database unreachable) is tried again after this long.
RETRY_AFTER = timedelta(seconds=30)
#: How long `stop()` waits for the pass in progress.
STOP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A schedule with what `/schedule list` shows next to it."""

    schedule: Schedule
    next_run: datetime | None
    last_run: ScheduleRun | None


class ScheduleService(RunsMixin, ChangesMixin):
    """Create, change and run schedules; one timer runs whatever the database says is due."""

    def __init__(self, app: Application, *, enqueue: Enqueue) -> None:
        self.app = app
        self.repo = ScheduleRepository(app.db)
        self.enqueue = enqueue
        self.instance_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        #: Called after each run (metrics count runs and their outcomes).
        self.run_observers: list[Callable[[RunResult], Awaitable[None]]] = []
        self.retry_after = RETRY_AFTER
        self.claim_lease = CLAIM_LEASE
        self._timer = WakeTimer(
            self.run_pass, self._until_due, retry_after=lambda: self.retry_after
        )

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the timer runs (between `start()` and `stop()`; for /readyz)."""
        return self._timer.running

    @property
    def failures(self) -> RetryLog:
        """The timer's failed passes (a vanished database is logged once, then counted)."""
        return self._timer.failures

    async def start(self) -> None:
        """Close claims too old to run, plan rows from before 0011, catch up, start the timer."""
        now = self.app.clock.now()
        stale = await self.repo.fail_stale(older_than=now - self.grace, now=now)
        if stale:
            log.warning("closed %d schedule run(s) interrupted long ago", stale)
        await self._plan_unplanned(now)
        await self.run_due()
        self._timer.start()

    async def stop(self) -> None:
        """Stop the timer and let the pass in progress finish (up to `STOP_TIMEOUT` s)."""
        await self._timer.stop(STOP_TIMEOUT)

    def wake(self) -> None:
        """A schedule changed here: the timer re-reads the earliest due instant at once (other
        processes see it within `POLL_SECONDS`)."""
        self._timer.replan(self.app.clock.now())

    async def sync(self) -> None:
        """Run whatever is due now in the background (the timer's pass, started at once)."""
        self._timer.wake()

    async def _until_due(self, since: datetime) -> timedelta | None:
        earliest = await self.repo.earliest_due()
        return None if earliest is None else earliest - since

    async def _plan_unplanned(self, now: datetime) -> None:
        """Compute `next_due_at` for active rows that have none (stored before migration 0011):
        the first slot after the latest recorded one, so the usual catch-up applies."""
        rows = await self.repo.unplanned()
        if not rows:
            return
        last = await self.repo.last_slots([s.id for s in rows])
        planned: dict[int, datetime | None] = {}
        for schedule in rows:
            since = schedule.active_since
            baseline = max(since, last[schedule.id]) if schedule.id in last else since
            planned[schedule.id] = first_due(schedule, baseline)
        async with self.app.db.transaction() as conn:
            await self.repo.set_next_due(conn, planned)
        log.info("planned the next due instant of %d schedule(s)", len(planned))

    # -- reading --------------------------------------------------------------------------

    def next_run(self, schedule: Schedule, *, after: datetime | None = None) -> datetime | None:
        """The next slot strictly after `after` (default: now), aware UTC; None when paused."""
        return first_due(schedule, after or self.app.clock.now())

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
