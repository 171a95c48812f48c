"""Slack slash command names: one per top-level command group, with an optional prefix."""

from __future__ import annotations

from bot.commands import CommandRegistry

MAX_SLASH_NAME = 32
#: Where Slack posts commands, button clicks and events in HTTP mode.
EVENTS_PATH = "/slack/events"


def slash_name(group: str, prefix: str = "") -> str:
    """`resource` -> `/resource` (or `/ml-resource` with prefix `ml-`)."""
    name = f"/{prefix}{group}"
    if len(name) > MAX_SLASH_NAME:
        raise ValueError(f"Slack command {name} is longer than {MAX_SLASH_NAME} characters")
    return name


def slash_commands(registry: CommandRegistry, prefix: str = "") -> dict[str, str]:
    """Every Slack slash command name mapped to the command group it runs."""
    return {slash_name(group, prefix): group for group in registry.groups()}
