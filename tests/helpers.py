"""Test doubles and builders shared across the suite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.app import Application
from bot.commands.context import ActionInvocation, Actor, Invocation, Place
from bot.messages import Message


class RecordingResponder:
    """A Responder that keeps what the bot answered."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.deferred: list[bool] = []
        self.updates: list[Message] = []

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    async def defer(self, private: bool) -> None:
        self.deferred.append(private)

    async def update(self, message: Message) -> None:
        self.updates.append(message)

    @property
    def last(self) -> Message:
        assert self.messages, "the bot sent nothing"
        return self.messages[-1]

    def text(self) -> str:
        return "\n".join(m.plain_text() for m in self.messages)


def actor(
    name: str = "ana", *, moderator: bool = False, roles: frozenset[str] = frozenset()
) -> Actor:
    return Actor(
        platform="console",
        user_id=name.lower(),
        display_name=name,
        is_platform_admin=moderator,
        role_ids=roles,
    )


def place(channel: str = "general") -> Place:
    return Place(
        platform="console",
        community_id="console",
        community_name="test",
        channel_id=channel,
        channel_name=channel,
    )


def invocation(
    path: str, options: Mapping[str, Any] | None = None, *, who: Actor | None = None
) -> Invocation:
    return Invocation(
        path=tuple(path.split()),
        options=dict(options or {}),
        actor=who or actor(),
        place=place(),
        plain_names=True,  # as the console adapter gives them
    )


def click(action: str, value: str = "", *, who: Actor | None = None) -> ActionInvocation:
    return ActionInvocation(action=action, value=value, actor=who or actor(), place=place())


async def run_slots_by_hand(app: Application) -> Application:
    """Stop `app`'s schedule timer so only the test's own `run_due()` calls run slots.

    The timer also polls every few seconds; a pass of its own that overlaps the test's moving
    the clock would claim the slot first and the test's `run_due()` would see nothing due.
    """
    await app.schedules.stop()
    return app
