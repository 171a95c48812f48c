"""One wake-up timer per process (no timer per schedule).

The timer runs a *pass* (`ScheduleService.run_pass`: take over dead claims, run every due batch)
and sleeps until the earliest next due instant the pass reports, but never longer than
`POLL_SECONDS`, so a schedule created or changed by another process sharing the database is
seen within that long. A change made through this process re-reads the earliest due instant at
once (`replan()`), so a schedule due sooner than the timer's sleep is not late. A pass
that fails (the database is unreachable) is tried again after `retry_after`: the due rows stay
due, so nothing is skipped. A vanished SQLite file is logged once, not per retry (`RetryLog`).

The pass reports its next instant on the application clock; the timer sleeps the difference on
the event loop's clock (equal in production; a test clock may stand still, and then the timer
looks again every `MIN_SLEEP` at most until the test moves it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.ops.retry_log import RetryLog

log = logging.getLogger(__name__)

#: The longest the timer sleeps without looking at the database (other processes' changes).
POLL_SECONDS = 5.0
#: The shortest sleep between passes (rows due but held by another process, a frozen clock).
MIN_SLEEP = 0.02


class WakeTimer:
    """Calls `run_pass` whenever the next due instant comes, or when woken."""

    def __init__(
        self,
        run_pass: Callable[[], Awaitable[timedelta | None]],
        next_due: Callable[[datetime], Awaitable[timedelta | None]],
        *,
        retry_after: Callable[[], timedelta],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._run_pass = run_pass
        self._next_due = next_due
        self._retry_after = retry_after
        self.poll_seconds = poll_seconds
        self._woken = asyncio.Event()
        self._replan_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: Failed passes (a vanished database file is logged once, not per retry).
        self.failures = RetryLog(log, "the schedule timer")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._stopping

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="schedules-timer")

    def wake(self) -> None:
        """Run a pass now (whatever is due at this moment runs)."""
        self._replan_at = None
        self._woken.set()

    def replan(self, changed_at: datetime) -> None:
        """A schedule changed at `changed_at` (app clock): sleep until the earliest due instant
        as seen from then (a due row runs at once; otherwise nothing runs before its time)."""
        if not self._woken.is_set():
            self._replan_at = changed_at
        self._woken.set()

    async def stop(self, wait_seconds: float) -> None:
        """Stop after the pass in progress (waiting up to `wait_seconds` for it)."""
        task, self._task = self._task, None
        self._stopping = True
        self._woken.set()
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=wait_seconds)
        if not done:
            log.warning("a schedule pass was still busy at stop; cancelling it")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        replan_at: datetime | None = None
        while not self._stopping:
            self._woken.clear()
            try:
                delay = None if replan_at is None else await self._next_due(replan_at)
                if replan_at is None or (delay is not None and delay <= timedelta(0)):
                    delay = await self._run_pass()
                seconds = self.poll_seconds if delay is None else delay.total_seconds()
            except Exception as exc:
                self.failures.failed(exc, "schedule pass failed; trying again shortly")
                seconds = self._retry_after().total_seconds()
            if self._stopping:
                return
            seconds = min(max(seconds, MIN_SLEEP), self.poll_seconds)
            replan_at = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), timeout=seconds)
                replan_at = self._replan_at
