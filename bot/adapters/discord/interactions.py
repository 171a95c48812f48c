"""Reading Discord interaction payloads (raw gateway JSON) into the core's terms.

Pure functions: who acts (`actor`), where (`place`), which command with which option values
(`command_target`), and which option is being typed in an autocomplete (`focused_option`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.adapters.discord.commands import (
    ADMINISTRATOR,
    CHANNEL,
    MANAGE_GUILD,
    ROLE,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from bot.context import Actor, ChannelRef, Place, RoleRef, UserRef

PLATFORM = "discord"

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4


def _user(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    member = raw.get("member") or {}
    user: Mapping[str, Any] = member.get("user") or raw.get("user") or {}
    return user


def display_name(user: Mapping[str, Any], member: Mapping[str, Any] | None = None) -> str:
    nick = (member or {}).get("nick")
    return str(nick or user.get("global_name") or user.get("username") or user.get("id", ""))


def actor(raw: Mapping[str, Any]) -> Actor:
    """The person who caused the interaction. Manage Server (or Administrator) in the guild
    makes them a platform admin; Discord computes `member.permissions` for the channel."""
    member = raw.get("member") or {}
    user = _user(raw)
    perms = int(member.get("permissions") or 0)
    return Actor(
        platform=PLATFORM,
        user_id=str(user.get("id", "")),
        display_name=display_name(user, member),
        is_platform_admin=bool(member) and bool(perms & (MANAGE_GUILD | ADMINISTRATOR)),
        role_ids=frozenset(str(r) for r in member.get("roles") or ()),
    )


def place(raw: Mapping[str, Any], guild_name: str | None = None) -> Place:
    """Where it happened. DMs with the bot are a community of their own per person."""
    channel = raw.get("channel") or {}
    channel_id = str(raw.get("channel_id") or channel.get("id") or "")
    guild_id = raw.get("guild_id")
    if guild_id is None:
        user = _user(raw)
        return Place(
            platform=PLATFORM,
            community_id=f"dm:{user.get('id', '')}",
            community_name=f"DMs with {display_name(user)}",
            channel_id=channel_id,
            channel_name="direct messages",
            is_dm=True,
        )
    return Place(
        platform=PLATFORM,
        community_id=str(guild_id),
        community_name=guild_name or str(guild_id),
        channel_id=channel_id,
        channel_name=str(channel.get("name") or channel_id),
    )


def _leaf_options(data: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Mapping[str, Any]]]:
    path = [str(data.get("name", ""))]
    options: list[Mapping[str, Any]] = list(data.get("options") or ())
    while len(options) == 1 and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        path.append(str(options[0].get("name", "")))
        options = list(options[0].get("options") or ())
    return tuple(path), options


def _resolved_value(kind: int, value: Any, resolved: Mapping[str, Any]) -> Any:
    key = str(value)
    if kind == USER:
        user = (resolved.get("users") or {}).get(key) or {"id": key}
        member = (resolved.get("members") or {}).get(key)
        return UserRef(id=key, name=display_name(user, member))
    if kind == CHANNEL:
        channel = (resolved.get("channels") or {}).get(key) or {}
        return ChannelRef(id=key, name=str(channel.get("name") or key))
    if kind == ROLE:
        role = (resolved.get("roles") or {}).get(key) or {}
        return RoleRef(id=key, name=str(role.get("name") or key))
    return value


def command_target(data: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The command path and option values of an application command's `data`.

    Users, channels and roles become `UserRef`/`ChannelRef`/`RoleRef` named from `resolved`;
    other values stay native (str, int, float, bool) for the dispatcher to convert.
    """
    path, options = _leaf_options(data)
    resolved = data.get("resolved") or {}
    values = {
        str(o["name"]): _resolved_value(int(o.get("type", 0)), o.get("value"), resolved)
        for o in options
        if "value" in o
    }
    return path, values


def focused_option(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """The option being typed in an autocomplete interaction, and what was typed so far."""
    _, options = _leaf_options(data)
    for o in options:
        if o.get("focused"):
            return str(o["name"]), str(o.get("value", ""))
    return None
