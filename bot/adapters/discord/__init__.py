"""The Discord platform adapter (discord.py): slash commands, embeds, buttons, DMs."""

from bot.adapters.discord.adapter import (
    DiscordAdapter,
    DiscordConfigError,
    apply_endpoints,
    make_client,
)

__all__ = ["DiscordAdapter", "DiscordConfigError", "apply_endpoints", "make_client"]
