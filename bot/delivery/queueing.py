"""The one way into the outbox: `app.delivery.queue`, `queue_in` and `queue_runs`.

Everything the bot sends on its own initiative - a schedule's run, a welcome DM, a suggestion's
outcome - is stored here, and the platforms' workers are woken once the transaction that
stored it has committed (a worker woken earlier would find nothing and wait for its next
poll). Part of `DeliveryEngine`, which owns the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.scheduling.jobs import Delivery
from storage.outbox import enqueue_runs, queued_at

if TYPE_CHECKING:
    from bot.app import Application


class QueueMixin:
    """Queueing deliveries and waking the workers after commit (part of `DeliveryEngine`)."""

    app: Application

    if TYPE_CHECKING:

        def wake(self, platform: str | None = None) -> None: ...  # DeliveryEngine's workers

    async def queue(self, run_key: str, deliveries: Sequence[Delivery]) -> int:
        """Queue one-off messages (not part of a scheduled run) in their own transaction and
        send them now; `run_key` makes each (run, recipient) go out once. Rows queued."""
        async with self.app.db.transaction() as conn:
            return await self.queue_in(conn, run_key, deliveries)

    async def queue_in(
        self, conn: AsyncConnection, run_key: str, deliveries: Sequence[Delivery]
    ) -> int:
        """`queue`, inside the caller's transaction (`conn` from `app.db.transaction()`): the
        messages are stored with the caller's other writes, or not at all, and sent once that
        transaction commits. Rows queued."""
        queued = await self.queue_runs(conn, runs=[(run_key, deliveries)], now=self.app.clock.now())
        return queued[run_key]

    async def queued_at(self, conn: AsyncConnection, run_key: str) -> datetime | None:
        """When `run_key` was queued (in the caller's transaction), or None if it never was:
        for quotas such as one welcome DM per member per period."""
        return await queued_at(conn, run_key)

    async def queue_runs(
        self,
        conn: AsyncConnection,
        *,
        runs: Sequence[tuple[str, Sequence[Delivery]]],
        now: datetime,
    ) -> dict[str, int]:
        """Several runs' deliveries in bulk inside the caller's transaction (the schedule
        service's `Enqueue`); the rows queued per run key. The platforms that got rows are
        woken once the transaction commits."""
        queued = await enqueue_runs(conn, runs=runs, now=now)
        platforms = sorted(
            {d.destination.platform for key, ds in runs if queued.get(key) for d in ds}
        )
        if platforms:
            self.app.db.after_commit(conn, lambda: self._wake_platforms(platforms))
        return queued

    def _wake_platforms(self, platforms: Sequence[str]) -> None:
        for platform in platforms:
            self.wake(platform)
