"""Waiting on the application's clock: real time in production, a ManualClock in tests."""

from __future__ import annotations

import asyncio
import contextlib
import time

from bot.timing.clock import Clock, ManualClock


class Timer:
    """Seconds as floats plus waits that follow the clock the application runs on.

    With a `ManualClock` nothing waits on real time: a wait ends when the test advances the
    clock far enough (or the event is set), which keeps engine tests deterministic.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._manual = clock if isinstance(clock, ManualClock) else None

    @property
    def manual(self) -> bool:
        return self._manual is not None

    def time(self) -> float:
        if self._manual is not None:
            return self._manual.now().timestamp()
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        if self._manual is None:
            await asyncio.sleep(max(0.0, seconds))
            return
        await self.wait(None, seconds)

    async def wait(
        self, event: asyncio.Event | None, seconds: float | None, *, any_change: bool = False
    ) -> None:
        """Until `event` is set or `seconds` pass (None: no limit).

        `any_change`: with a ManualClock, also return at the first move of the clock (for
        loops that re-evaluate their state on every tick).
        """
        if event is not None and event.is_set():
            return
        if self._manual is None:
            if event is None:
                await asyncio.sleep(max(0.0, seconds or 0.0))
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
            return
        clock = self._manual
        deadline = None if seconds is None else self.time() + max(0.0, seconds)
        while deadline is None or self.time() < deadline:
            waiters = [asyncio.ensure_future(clock.changed.wait())]
            if event is not None:
                waiters.append(asyncio.ensure_future(event.wait()))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
            if any_change or (event is not None and event.is_set()):
                return
