"""Scheduled work a cog can declare, and what it produces.

A `JobKind` (e.g. `digest`, `dsa.daily`) is run by the scheduler for a stored schedule at a
slot. Its `produce` coroutine composes the messages and returns them as `Delivery` items; the
scheduler records the run and hands the deliveries to the outbox in the same transaction, so a
slot's messages are stored exactly once and sent by the delivery workers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
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

    @property
    def run_key(self) -> str:
        """This slot's outbox key, as the schedule service queues the run's deliveries under it."""
        return run_key(self.schedule_id, self.scheduled_for)


class RunSkipped(Exception):
    """Raised by a job that decided not to send this slot; the message is the run's outcome."""


JobProducer = Callable[[RunContext], Awaitable[list[Delivery]]]


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    description: str
    produce: JobProducer
