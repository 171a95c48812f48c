"""Composing claimed runs: each job kind's producer, called outside any transaction.

A kind with `produce_many` (declared `@job(..., batch=True)`) gets every claimed run of a batch
in one call; other kinds get one call per run. Either way each claim ends with its deliveries,
a skip (`RunSkipped`) or a failure, which `bot.scheduling.runs` then records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.scheduling.jobs import Delivery, RunContext, RunSkipped
from bot.timing.recurrence import zone
from storage.schedules import DONE, FAILED, Schedule

if TYPE_CHECKING:
    from bot.app import Application
    from storage.communities import Community

log = logging.getLogger(__name__)

#: Producer calls in progress at once per process (each may use a database connection).
PRODUCE_CONCURRENCY = 8


@dataclass(slots=True)
class Claim:
    """A claimed slot on its way through produce and record."""

    run_id: int
    schedule: Schedule
    slot: datetime
    late: bool
    community: Community | None
    status: str = DONE
    outcome: str = ""
    manual: bool = False
    skipped: str = ""  # why the job sent nothing (RunSkipped)
    deliveries: list[Delivery] = field(default_factory=list)


async def produce_all(app: Application, claims: Sequence[Claim]) -> None:
    """Compose every claim: batch kinds one call per kind, the others one call per run."""
    gate = asyncio.Semaphore(PRODUCE_CONCURRENCY)
    singles: list[Claim] = []
    batches: dict[str, list[Claim]] = {}
    for claim in claims:
        job = app.jobs.get(claim.schedule.kind)
        if job is not None and job.produce_many is not None:
            batches.setdefault(job.name, []).append(claim)
        else:
            singles.append(claim)

    async def one(claim: Claim) -> None:
        async with gate:
            await _produce(app, claim)

    async def many(kind: str, group: list[Claim]) -> None:
        async with gate:
            await _produce_many(app, kind, group)

    await asyncio.gather(
        *(one(c) for c in singles), *(many(kind, group) for kind, group in batches.items())
    )


async def _produce(app: Application, claim: Claim) -> None:
    try:
        job = app.jobs.get(claim.schedule.kind)
        if job is None:
            raise LookupError(
                f"job kind {claim.schedule.kind!r} is not installed (is its cog enabled?)"
            )
        deliveries: list[Delivery] | Exception = list(await job.produce(await _context(app, claim)))
    except Exception as exc:
        deliveries = exc
    _settle(claim, deliveries)


async def _produce_many(app: Application, kind: str, claims: list[Claim]) -> None:
    """Compose a batch of one kind in one call (`JobKind.produce_many`)."""
    job = app.jobs[kind]
    assert job.produce_many is not None
    contexts: list[RunContext] = []
    ready: list[Claim] = []
    for claim in claims:
        try:
            contexts.append(await _context(app, claim))
            ready.append(claim)
        except Exception as exc:
            _settle(claim, exc)
    if not ready:
        return
    try:
        outcomes: Sequence[list[Delivery] | Exception] = await job.produce_many(contexts)
        if len(outcomes) != len(ready):
            raise RuntimeError(
                f"job kind {kind!r} returned {len(outcomes)} outcomes for {len(ready)} runs"
            )
    except Exception as exc:
        # One traceback for the call, not one per run it fails.
        log.error("job kind %r failed for a batch of %d run(s)", kind, len(ready), exc_info=exc)
        for claim in ready:
            _settle(claim, exc, logged=True)
        return
    for claim, outcome in zip(ready, outcomes, strict=True):
        _settle(claim, list(outcome) if isinstance(outcome, list) else outcome)


async def _context(app: Application, claim: Claim) -> RunContext:
    schedule = claim.schedule
    community = claim.community or await app.communities.get(schedule.community_id)
    if community is None:
        raise LookupError(f"community {schedule.community_id} no longer exists")
    return RunContext(
        app=app,
        community=community,
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        scheduled_for=claim.slot,
        late=claim.late,
        channel_id=schedule.channel_id,
        channel_name=schedule.channel_name,
        params=dict(schedule.params),
        owner_user_id=schedule.owner_user_id,
        manual=claim.manual,
        timezone=schedule.timezone,
    )


def _settle(claim: Claim, outcome: list[Delivery] | Exception, *, logged: bool = False) -> None:
    """Note what composing `claim` gave: its deliveries, a skip, or a failure (logged here
    unless the caller already did)."""
    schedule = claim.schedule
    if isinstance(outcome, RunSkipped):
        claim.skipped = str(outcome)
        return
    if isinstance(outcome, Exception):
        claim.status = FAILED
        claim.outcome = f"error: {type(outcome).__name__}: {outcome}"[:500]
        if logged:
            return
        log.error(
            "schedule %d (%s): run for %s failed",
            schedule.id,
            schedule.name,
            claim.slot,
            exc_info=outcome,
        )
        return
    if claim.late:
        outcome = [_mark_late(d, schedule, claim.slot) for d in outcome]
    claim.deliveries = outcome


def _mark_late(delivery: Delivery, schedule: Schedule, slot: datetime) -> Delivery:
    local = slot.astimezone(zone(schedule.timezone))
    note = (
        f"Scheduled for {local:%a %d %b %H:%M} ({schedule.timezone}); "
        "the bot was offline, so this comes late."
    )
    message = delivery.message
    footer = f"{message.footer} · {note}" if message.footer else note
    return replace(delivery, message=replace(message, footer=footer))
