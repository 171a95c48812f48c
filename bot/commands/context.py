"""Who is acting, where, and how to answer them.

Adapters build an `Invocation` (or `ActionInvocation`) from a platform event and hand the
dispatcher a `Responder` that knows how to answer on that platform. Handlers receive a
`Context` carrying the resolved community, the actor and `reply()` / `defer()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.messages import Message, text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.app import Application
    from bot.commands.registry import Command
    from storage.communities import Community


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel as named by the person: platform id plus a display name."""

    id: str
    name: str

    def __str__(self) -> str:
        return f"#{self.name}"


@dataclass(frozen=True, slots=True)
class UserRef:
    id: str
    name: str

    def __str__(self) -> str:
        return f"@{self.name}"


@dataclass(frozen=True, slots=True)
class RoleRef:
    id: str
    name: str

    def __str__(self) -> str:
        return f"@{self.name} (role)"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting, as the platform describes them.

    `is_platform_admin` is the platform's own notion (Discord Manage Server, Slack admin/owner,
    console `--moderator`); the dispatcher combines it with the community's configured
    moderator roles and users into `Context.is_moderator`.
    """

    platform: str
    user_id: str
    display_name: str
    is_platform_admin: bool = False
    role_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Place:
    """Where the invocation happened. `community_id` is the platform's id (guild, team)."""

    platform: str
    community_id: str
    community_name: str
    channel_id: str
    channel_name: str = ""
    is_dm: bool = False


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command as the platform delivered it: path and raw option values.

    Raw values are strings for text platforms (Slack, console) and native values (int, bool,
    ChannelRef...) for Discord; the dispatcher converts both. `plain_names` says the platform
    gives references as typed names (`#general`, `@ana`: the console) rather than ids.
    """

    path: tuple[str, ...]
    options: Mapping[str, Any]
    actor: Actor
    place: Place
    plain_names: bool = False


@dataclass(frozen=True, slots=True)
class ActionInvocation:
    """A button click: the button's action name and value."""

    action: str
    value: str
    actor: Actor
    place: Place


class Responder(Protocol):
    """How an adapter answers one invocation."""

    async def send(self, message: Message) -> None:
        """Send (or, after a defer, follow up with) a reply. `message.private` is decided."""

    async def defer(self, private: bool) -> None:
        """Acknowledge now; the reply follows later (no-op where the platform needs none)."""

    async def update(self, message: Message) -> None:
        """Replace the message whose button was pressed with `message` (e.g. its buttons
        disabled). Only for a button click; where the platform cannot, it is sent as a reply."""


@dataclass
class BaseContext:
    app: Application
    actor: Actor
    place: Place
    community: Community
    is_moderator: bool
    responder: Responder
    default_private: bool
    replies: list[Message] = field(default_factory=list)
    deferred: bool = False

    async def reply(self, message: Message | str, *, private: bool | None = None) -> None:
        """Answer the person. Privacy: explicit argument, else the message's, else the default."""
        msg = text(message) if isinstance(message, str) else message
        decided = private if private is not None else msg.private
        msg = msg.with_privacy(self.default_private if decided is None else decided)
        self.replies.append(msg)
        await self.responder.send(msg)

    async def defer(self, private: bool | None = None) -> None:
        """Tell the platform an answer is coming (call before slow work)."""
        if not self.deferred:
            self.deferred = True
            await self.responder.defer(self.default_private if private is None else private)

    async def audit(
        self,
        action: str,
        target: str,
        old: Any,
        new: Any,
        *,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Record that this actor changed `target` in this community, now (the one way cogs
        write the audit log). Pass `conn` to make the entry part of the change's transaction."""
        await self.app.audit.record(
            community_id=self.community.id,
            actor_id=self.actor.user_id,
            actor_name=self.actor.display_name,
            action=action,
            target=target,
            old=old,
            new=new,
            at=self.app.clock.now(),
            conn=conn,
        )


@dataclass
class Context(BaseContext):
    """What a command handler receives besides its converted option values."""

    command: Command | None = None


@dataclass
class ActionContext(BaseContext):
    """What a button handler receives besides the button's value."""

    action: str = ""
    updates: list[Message] = field(default_factory=list)

    async def update_message(self, message: Message) -> None:
        """Replace the message this button was on (first, before any reply: on Discord it is
        the interaction's response). Privacy as for `reply`; a private message stays private."""
        decided = message.private
        msg = message.with_privacy(self.default_private if decided is None else decided)
        self.updates.append(msg)
        await self.responder.update(msg)


@dataclass(frozen=True, slots=True)
class AutocompleteContext:
    """What an autocomplete source receives: the app, who is typing, and the other options."""

    app: Application
    actor: Actor
    place: Place
    options: Mapping[str, Any]
