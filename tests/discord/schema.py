"""Checking Discord application-command JSON against the declarations it came from.

Independent of the generator: the expectations below are written from Discord's documentation
(option types, `min_value`/`max_length`, `channel_types`, `default_member_permissions`) and the
core's `Command`/`Option` declarations.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.cog import Cog
from bot.commands.registry import Command, CommandRegistry, Option, OptionType, Permission

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
CHAT_INPUT = 1
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, NUMBER = 3, 4, 5, 6, 7, 8, 10
MANAGE_GUILD = 1 << 5
EXPECTED_TYPES = {
    OptionType.STRING: STRING,
    OptionType.INTEGER: INTEGER,
    OptionType.NUMBER: NUMBER,
    OptionType.BOOLEAN: BOOLEAN,
    OptionType.TIME: STRING,
    OptionType.TIMEZONE: STRING,
    OptionType.WEEKDAY: STRING,
    OptionType.DAYS: STRING,
    OptionType.CHANNEL: CHANNEL,
    OptionType.USER: USER,
    OptionType.ROLE: ROLE,
    OptionType.URL: STRING,
}
WEEKDAY_CHOICES = [
    {"name": d.capitalize(), "value": d}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]


def registry_of(*cogs: type[Cog]) -> CommandRegistry:
    registry = CommandRegistry()
    for cls in cogs:
        cog = cls(None)  # type: ignore[arg-type]
        for cmd in cog.commands():
            registry.add(cmd)
        for group, description in cog.groups.items():
            registry.describe_group(group, description)
    return registry


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(i for i in items if i["name"] == name)


def expected_option(opt: Option) -> dict[str, Any]:
    """The JSON Discord should receive for one declared option."""
    kind = EXPECTED_TYPES[opt.type]
    out: dict[str, Any] = {
        "type": kind,
        "name": opt.name,
        "description": opt.description,
        "required": opt.required,
    }
    if opt.choices:
        cast: Any = {INTEGER: int, NUMBER: float}.get(kind, str)
        out["choices"] = [{"name": c.name, "value": cast(c.value)} for c in opt.choices]
    elif opt.type is OptionType.WEEKDAY and opt.autocomplete is None:
        out["choices"] = WEEKDAY_CHOICES
    if opt.autocomplete is not None:
        out["autocomplete"] = True
    if kind in (INTEGER, NUMBER):
        cast = int if kind == INTEGER else float
        if opt.min_value is not None:
            out["min_value"] = cast(opt.min_value)
        if opt.max_value is not None:
            out["max_value"] = cast(opt.max_value)
    if kind == STRING:
        if opt.min_length is not None:
            out["min_length"] = opt.min_length
        if opt.max_length is not None:
            out["max_length"] = min(opt.max_length, 6000)
    if kind == CHANNEL:
        out["channel_types"] = [0, 5]  # text, announcement
    return out


def _check_leaf(body: dict[str, Any], cmd: Command) -> None:
    assert body["description"] == cmd.description, cmd.name
    got = {o["name"]: o for o in body.get("options") or []}
    assert list(got) == [o.name for o in cmd.options], cmd.name
    for opt in cmd.options:
        assert got[opt.name] == expected_option(opt), f"/{cmd.name} {opt.name}"


def check_commands_match(commands: list[dict[str, Any]], registry: CommandRegistry) -> None:
    """Every declared command is in `commands` with exactly its declared shape, and nothing else."""
    assert sorted(c["name"] for c in commands) == registry.groups()
    for group in registry.groups():
        top = by_name(commands, group)
        members = registry.in_group((group,))
        assert top["type"] == CHAT_INPUT
        assert top["contexts"] == [0, 1], group  # guilds and the bot's DMs
        moderated = all(c.permission is Permission.MODERATOR for c in members)
        permissions = top.get("default_member_permissions")
        if moderated:
            assert permissions is not None and int(permissions) == MANAGE_GUILD, group
        else:
            assert permissions is None, group
        single = registry.get((group,))
        if single is not None:
            _check_leaf(top, single)
            continue
        assert top["description"] == registry.group_descriptions.get(group, group)[:100]
        children = {o["name"]: o for o in top["options"]}
        assert sorted(children) == registry.children((group,)), group
        for word, child in children.items():
            sub = registry.get((group, word))
            if sub is not None:
                assert child["type"] == SUB_COMMAND
                _check_leaf(child, sub)
                continue
            assert child["type"] == SUB_COMMAND_GROUP
            leaves = {o["name"]: o for o in child["options"]}
            assert sorted(leaves) == registry.children((group, word))
            for name, leaf in leaves.items():
                assert leaf["type"] == SUB_COMMAND
                declared = registry.get((group, word, name))
                assert declared is not None
                _check_leaf(leaf, declared)


def new_client() -> discord.Client:
    return discord.Client(intents=discord.Intents.none())
