"""Slack slash command names: one per top-level command group, with an optional prefix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from bot.commands.registry import CommandRegistry
from bot.messages import Field, Message, Section

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


def command_renamer(groups: Iterable[str], prefix: str) -> Callable[[str], str]:
    """A function rewriting `/group` mentions in text to the prefixed Slack names.

    The core's help and hints name commands as `/resource search`; with `SLACK_COMMAND_PREFIX=ml-`
    the person must type `/ml-resource search`. URLs (`https://x.org/help`) are left alone.
    """
    names = sorted(set(groups), key=len, reverse=True)
    if not prefix or not names:
        return unchanged
    pattern = re.compile(
        r"(?<![\w/.:\-])/(" + "|".join(re.escape(n) for n in names) + r")(?![\w\-])"
    )
    return lambda text: pattern.sub(lambda m: f"/{prefix}{m.group(1)}", text)


def unchanged(text: str) -> str:
    return text


def rename_commands(message: Message, rename: Callable[[str], str]) -> Message:
    """`message` with every text passed through `rename`."""
    if rename is unchanged:
        return message

    def opt(value: str | None) -> str | None:
        return None if value is None else rename(value)

    return replace(
        message,
        title=opt(message.title),
        body=rename(message.body),
        sections=tuple(Section(rename(s.heading), rename(s.body)) for s in message.sections),
        fields=tuple(Field(rename(f.name), rename(f.value), f.inline) for f in message.fields),
        footer=opt(message.footer),
    )
