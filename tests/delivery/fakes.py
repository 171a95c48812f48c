"""A scriptable Sender and small builders for delivery tests."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

from bot.adapters.discord.sender import delivery_limits as discord_limits
from bot.adapters.slack.sender import delivery_limits as slack_limits
from bot.app import Application
from bot.delivery.limits import PlatformLimits
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import Settings

#: The limits the real senders declare: a fake for a platform is paced like that platform.
DECLARED_LIMITS = {"discord": discord_limits, "slack": slack_limits}


class FakeSender:
    """Records sends; `script[target_id]` lists what successive attempts do (an exception to
    raise, "hang" to never finish, None to succeed); unscripted attempts succeed."""

    def __init__(self, platform: str = "discord", declared: PlatformLimits | None = None) -> None:
        self.platform = platform
        self.declared = declared  # limits of its own, else those of the platform's real sender
        self.script: dict[str, list[BaseException | str | None]] = {}
        self.calls: list[str] = []
        self.sent: list[tuple[str, str]] = []  # (target id, idempotency key)
        self.hanging: list[tuple[str, str]] = []

    def limits(self, settings: Settings) -> PlatformLimits:
        if self.declared is not None:
            return self.declared
        return DECLARED_LIMITS.get(self.platform, PlatformLimits.unpaced)(settings)

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        self.calls.append(destination.target_id)
        plan = self.script.get(destination.target_id)
        step = plan.pop(0) if plan else None
        if isinstance(step, BaseException):
            raise step
        if step == "hang":
            self.hanging.append((destination.target_id, idempotency_key))
            await asyncio.Event().wait()
        self.sent.append((destination.target_id, idempotency_key))

    def sent_to(self) -> Counter[str]:
        return Counter(target for target, _key in self.sent)


def dm(user: str, platform: str = "discord") -> Delivery:
    dest = Destination(platform, "g1", DestinationKind.DM, user, target_name=user)
    return Delivery(dest, Message(body="tips for everyone", title="Weekly digest"))


def channel_post(channel: str, platform: str = "discord") -> Delivery:
    dest = Destination(platform, "g1", DestinationKind.CHANNEL, channel, target_name=channel)
    return Delivery(dest, Message(body="problem of the day"))


async def queue(app: Application, run_key: str, deliveries: Sequence[Delivery]) -> int:
    """Queue as the bot does (`app.delivery.queue`: stored, then the workers woken)."""
    return await app.delivery.queue(run_key, deliveries)
