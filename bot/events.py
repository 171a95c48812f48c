"""What happens to the bot's communities, told by the adapters to the cogs that care.

An adapter that learns the bot was added to a community (a Discord server) emits
`CommunityJoined` through `app.events`; a cog subscribes in `setup()` and decides what to do
(the help cog queues its setup guide). The adapter knows the platform, the cog the words.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.scheduling.jobs import Destination

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommunityJoined:
    """The bot was just added to a community."""

    platform: str
    community_id: str  # the platform's id of the community (e.g. the guild id)
    name: str
    #: Where a welcome can go: the community's announcement (system) channel, else its owner's
    #: DMs; None when the platform offers neither.
    welcome_to: Destination | None


JoinedHandler = Callable[[CommunityJoined], Awaitable[None]]


class CommunityEvents:
    """`app.events`: subscribe to community events, or emit them (adapters)."""

    def __init__(self) -> None:
        self._joined: list[JoinedHandler] = []

    def on_joined(self, handler: JoinedHandler) -> Callable[[], None]:
        """Call `handler` for every community the bot joins; returns the unsubscribe."""
        self._joined.append(handler)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._joined.remove(handler)

        return unsubscribe

    async def joined(self, event: CommunityJoined) -> None:
        """Tell every subscriber, in order; one failing is logged and the others still run."""
        for handler in list(self._joined):
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "handling the bot joining %s community %s failed",
                    event.platform,
                    event.community_id,
                )
