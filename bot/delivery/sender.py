"""What every platform adapter implements so the delivery engine can send through it.

A sender performs ONE attempt and reports the result by returning or by raising one of the
errors below. Retrying, pacing and bookkeeping are the delivery engine's job, never the sender's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.messages import Message
from bot.scheduling.jobs import Destination

if TYPE_CHECKING:
    from bot.delivery.limits import PlatformLimits
    from bot.settings import Settings


class DeliveryError(Exception):
    """Base class: one attempt did not deliver."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(DeliveryError):
    """The platform said 429. `scope` is "global" (the whole platform bucket must wait) or a
    route/bucket key (only requests sharing it must wait)."""

    def __init__(
        self, retry_after: float, *, scope: str = "global", reason: str = "rate limited"
    ) -> None:
        super().__init__(reason)
        self.retry_after = max(0.0, retry_after)
        self.scope = scope

    @property
    def is_global(self) -> bool:
        return self.scope == "global"


class TransientError(DeliveryError):
    """5xx, timeout, connection reset: worth retrying with backoff."""


class PermanentError(DeliveryError):
    """Retrying cannot help (DMs closed, unknown user/channel, archived channel).

    `recipient_undeliverable` marks the recipient so later runs skip them until they use a
    command again.
    """

    def __init__(self, reason: str, *, recipient_undeliverable: bool = True) -> None:
        super().__init__(reason)
        self.recipient_undeliverable = recipient_undeliverable


class InvalidCredentials(DeliveryError):
    """The platform refused the bot's own credentials (token revoked or invalid, app
    uninstalled, account deactivated): nothing this platform sends can succeed, and every
    further refused request counts against the bot (Discord bans an IP after 10,000 invalid
    requests in 10 minutes).

    The engine stops that platform's sending at once, puts the row back as pending (the attempt
    is not counted), logs one error and reports the platform not ready on `/readyz`; a restart
    with a good token resumes where it stopped.
    """


class Sender(Protocol):
    """One platform's way of sending a message to a destination.

    Optionally a sender also defines `route_key(destination) -> str`: destinations sharing a
    key share the platform's per-route limit (default: one route per channel or DM user).
    DM senders should keep channel ids in `app.delivery.dm_cache(platform)`.
    """

    platform: str

    def limits(self, settings: Settings) -> PlatformLimits:
        """How fast the engine may send through this sender: the platform's rate, per-route
        rate and burst (from its settings and published limits) and requests in flight."""

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        """Send once. `idempotency_key` is stable for the outbox row (e.g. a Discord nonce).

        Raises `RateLimited`, `TransientError`, `PermanentError` or `InvalidCredentials`;
        returns on success.
        """
