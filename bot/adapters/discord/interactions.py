"""Reading discord.py interactions into the core's terms.

Pure functions over discord.py's public models: who acts (`actor`), where (`place`), and an
option value as the dispatcher wants it (`option_value`: users, channels and roles become
`UserRef`/`ChannelRef`/`RoleRef`; strings, numbers and booleans stay native), and the values of
a discord.py `Namespace` (`namespace_options`); and a server the bot joined as the core's
`CommunityJoined` (`community_joined`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from bot.commands.context import Actor, ChannelRef, Place, RoleRef, UserRef
from bot.commands.registry import Command, OptionType
from bot.events import CommunityJoined
from bot.scheduling.jobs import Destination, DestinationKind

PLATFORM = "discord"


def community_joined(guild: discord.Guild) -> CommunityJoined:
    """A server the bot was added to; a welcome can go to its system channel (where Discord
    posts its own notices), else to the owner's DMs."""
    community = str(guild.id)
    welcome_to: Destination | None = None
    if guild.system_channel is not None:
        channel = guild.system_channel
        welcome_to = Destination(
            PLATFORM, community, DestinationKind.CHANNEL, str(channel.id), channel.name
        )
    elif guild.owner_id is not None:
        welcome_to = Destination(PLATFORM, community, DestinationKind.DM, str(guild.owner_id))
    return CommunityJoined(PLATFORM, community, guild.name, welcome_to)


def actor(interaction: discord.Interaction) -> Actor:
    """The person who caused the interaction.

    Manage Server (or Administrator) makes them a platform admin; Discord computes the member's
    permissions for the channel (`Interaction.permissions`). Role ids come from
    `Member.roles`, which discord.py builds from the guild's cached roles (the GUILDS intent
    keeps every role cached); `@everyone` is left out."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return Actor(platform=PLATFORM, user_id=str(user.id), display_name=user.display_name)
    perms = interaction.permissions
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.display_name,
        is_platform_admin=perms.manage_guild or perms.administrator,
        role_ids=frozenset(str(role.id) for role in user.roles if not role.is_default()),
    )


def place(interaction: discord.Interaction) -> Place:
    """Where it happened. DMs with the bot are a community of their own per person."""
    channel = interaction.channel
    channel_id = str(interaction.channel_id or "")
    if interaction.guild_id is None:
        user = interaction.user
        return Place(
            platform=PLATFORM,
            community_id=f"dm:{user.id}",
            community_name=f"DMs with {user.display_name}",
            channel_id=channel_id,
            channel_name="direct messages",
            is_dm=True,
        )
    guild = interaction.guild
    return Place(
        platform=PLATFORM,
        community_id=str(interaction.guild_id),
        community_name=(guild.name if guild is not None else "") or str(interaction.guild_id),
        channel_id=channel_id,
        channel_name=str(getattr(channel, "name", None) or channel_id),
    )


def option_value(kind: OptionType, value: Any) -> Any:
    """An option value discord.py transformed, in the core's terms.

    Users, channels and roles are named from what Discord resolved in the interaction; an id
    Discord did not resolve (`discord.Object`) is named by its id."""
    if kind in (OptionType.USER, OptionType.CHANNEL, OptionType.ROLE):
        ref_id = str(getattr(value, "id", value))
        if isinstance(value, discord.abc.User):
            name = value.display_name
        else:
            name = str(getattr(value, "name", None) or ref_id)
        if kind is OptionType.USER:
            return UserRef(id=ref_id, name=name)
        if kind is OptionType.CHANNEL:
            return ChannelRef(id=ref_id, name=name)
        return RoleRef(id=ref_id, name=name)
    return value


def namespace_options(
    command: Command | None, namespace: Iterable[tuple[str, Any]], *, skip: str = ""
) -> dict[str, Any]:
    """The declared options present in an interaction's namespace (`Interaction.namespace`),
    by option name, in the core's terms; `skip` leaves one out (the one being typed)."""
    out: dict[str, Any] = {}
    if command is None:
        return out
    for name, value in namespace:
        declared = command.option(name)
        if declared is not None and name != skip:
            out[name] = option_value(declared.type, value)
    return out
