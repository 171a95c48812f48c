"""The work an adapter has in progress (commands, clicks), so stopping can let it finish."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

#: How long `stop()` lets in-flight work finish before cancelling it.
STOP_GRACE_SECONDS = 10.0


class TaskTracker:
    """Runs each piece of platform work as a task and remembers it until it ends."""

    def __init__(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self.grace = grace
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def track(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run `work` as a task kept until it is done."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def idle(self) -> None:
        """Return once every task tracked so far, and any it started, has ended."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def drain(self) -> None:
        """Let the tasks in progress finish for up to `grace` seconds, then cancel the rest
        and wait for them to end."""
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
