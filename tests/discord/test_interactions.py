"""Option values from discord.py in the core's terms (actors and places: test_emulated_discord)."""

from __future__ import annotations

import discord

from bot.adapters.discord.interactions import option_value
from bot.commands.context import ChannelRef, RoleRef, UserRef
from bot.commands.registry import OptionType


def test_unresolved_references_are_named_by_their_id() -> None:
    ref = discord.Object(id=42)
    assert option_value(OptionType.USER, ref) == UserRef("42", "42")
    assert option_value(OptionType.CHANNEL, ref) == ChannelRef("42", "42")
    assert option_value(OptionType.ROLE, ref) == RoleRef("42", "42")


def test_native_values_stay_native() -> None:
    assert option_value(OptionType.INTEGER, 3) == 3
    assert option_value(OptionType.BOOLEAN, False) is False
    assert option_value(OptionType.DAYS, "mon-wed") == "mon-wed"
