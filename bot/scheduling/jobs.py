"""Scheduled work a cog can declare, and what it produces.

A `JobKind` (e.g. `digest`, `dsa.daily`) is run by the scheduler for a stored schedule at a
slot. Its `produce` coroutine composes the messages and returns them as `Delivery` items; the
scheduler records the run and hands the deliveries to the outbox in the same transaction, so a
slot's messages are stored exactly once and sent by the delivery workers.

A kind with many schedules due at once (a personal reminder at 09:00 in a big time zone) may
also compose a whole batch in one call (`produce_many`): it reads what the batch needs in a few
queries instead of a few per run. Cogs declare kinds with `bot.cog.job`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.messages import Message
from storage.recipients import recipient_key

if TYPE_CHECKING:
    from bot.app import Application
    from storage.communities import Community


class DestinationKind(StrEnum):
    CHANNEL = "channel"
    DM = "dm"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a message goes: a channel or a member's DMs, by platform id."""

    platform: str
    community_id: str  # the platform's id of the community (guild, team, "console")
    kind: DestinationKind
    target_id: str  # channel id or user id
    target_name: str = ""

    @classmethod
    def dm(cls, community: Community, user_id: str, name: str = "") -> Destination:
        """A member's direct messages, in `community` (the platform's own ids)."""
        return cls(community.platform, community.external_id, DestinationKind.DM, user_id, name)

    @classmethod
    def channel(cls, community: Community, channel_id: str, name: str = "") -> Destination:
        """A channel of `community`; `name` (without #) is for logs and the console."""
        return cls(
            community.platform, community.external_id, DestinationKind.CHANNEL, channel_id, name
        )

    @property
    def recipient_key(self) -> str:
        """Unique per recipient within a run (the outbox's uniqueness key)."""
        return recipient_key(self.platform, self.kind, self.target_id)

    def label(self) -> str:
        prefix = "#" if self.kind is DestinationKind.CHANNEL else "DM @"
        return f"{prefix}{self.target_name or self.target_id}"


@dataclass(frozen=True, slots=True)
class Delivery:
    destination: Destination
    message: Message


def run_key(schedule_id: int, scheduled_for: datetime) -> str:
    """The outbox key of one slot's deliveries (stable, unique per slot)."""
    return f"schedule:{schedule_id}:{scheduled_for.astimezone(UTC).isoformat()}"


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a job needs to compose one run of one schedule."""

    app: Application
    community: Community
    schedule_id: int
    schedule_name: str
    scheduled_for: datetime  # the slot, aware UTC
    late: bool  # True when run after the slot because the bot was offline
    channel_id: str | None = None
    channel_name: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    owner_user_id: str | None = None  # set for personal schedules (e.g. DSA reminders)
    manual: bool = False  # True for `/schedule run-now`: a moderator asked for this run
    timezone: str = "UTC"  # the schedule's zone (a reminder counts its member's days in it)

    @property
    def run_key(self) -> str:
        """This slot's outbox key, as the schedule service queues the run's deliveries under it."""
        return run_key(self.schedule_id, self.scheduled_for)


class RunSkipped(Exception):
    """Raised by a job that decided not to send this slot; the message is the run's outcome."""


JobProducer = Callable[[RunContext], Awaitable[list[Delivery]]]
#: One outcome per context, in order: its deliveries, or the exception that run ended with
#: (`RunSkipped` for a run that decided to send nothing).
BatchOutcome = list[Delivery] | Exception
BatchProducer = Callable[[Sequence[RunContext]], Awaitable[Sequence[BatchOutcome]]]


@dataclass(frozen=True, slots=True)
class JobKind:
    """A kind of scheduled job: `produce` composes one run; `produce_many`, when given,
    composes several runs of this kind in one call (the scheduler then prefers it)."""

    name: str
    description: str
    produce: JobProducer
    produce_many: BatchProducer | None = None

    @classmethod
    def batched(cls, name: str, description: str, produce_many: BatchProducer) -> JobKind:
        """A kind written for batches; a single run is a batch of one."""

        async def produce(ctx: RunContext) -> list[Delivery]:
            [outcome] = await produce_many([ctx])
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        return cls(name, description, produce, produce_many)
