"""Discord application commands (the slash-command tree) generated from the declarations.

Each top-level word becomes one CHAT_INPUT command; longer paths become subcommands and
subcommand groups. Options keep their type, description, choices, bounds and autocomplete.
A command whose every member is for moderators carries `default_member_permissions` =
Manage Server, so Discord hides it from members by default (the bot still checks every call).
The JSON built here is exactly what the bulk-overwrite endpoint receives.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.commands import Command, CommandRegistry, Option, OptionType, Permission

# Discord's application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
NUMBER = 10

CHAT_INPUT = 1
#: Permission bits (Discord's permission flags).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
#: Guild text channel types a channel option accepts: text, announcement.
TEXT_CHANNEL_TYPES = (0, 5)
#: Bumped when the generated JSON changes shape, so the next start re-syncs.
GENERATOR_VERSION = 1

_OPTION_TYPES: dict[OptionType, int] = {
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
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def option_json(opt: Option) -> dict[str, Any]:
    kind = _OPTION_TYPES[opt.type]
    out: dict[str, Any] = {
        "type": kind,
        "name": opt.name,
        "description": opt.description,
        "required": opt.required,
    }
    if opt.choices:
        out["choices"] = [
            {"name": c.name[:100], "value": _choice_value(kind, c.value)} for c in opt.choices
        ]
    elif opt.type is OptionType.WEEKDAY and opt.autocomplete is None:
        out["choices"] = [{"name": d.capitalize(), "value": d} for d in _WEEKDAYS]
    if opt.autocomplete is not None:
        out["autocomplete"] = True
    if kind in (INTEGER, NUMBER):
        if opt.min_value is not None:
            out["min_value"] = int(opt.min_value) if kind == INTEGER else opt.min_value
        if opt.max_value is not None:
            out["max_value"] = int(opt.max_value) if kind == INTEGER else opt.max_value
    if kind == STRING:
        if opt.min_length is not None:
            out["min_length"] = opt.min_length
        if opt.max_length is not None:
            out["max_length"] = min(opt.max_length, 6000)
    if kind == CHANNEL:
        out["channel_types"] = list(TEXT_CHANNEL_TYPES)
    return out


def _choice_value(kind: int, value: str | int | float) -> str | int | float:
    if kind == INTEGER:
        return int(value)
    if kind == NUMBER:
        return float(value)
    return str(value)


def _leaf(cmd: Command, name: str, *, nested: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "description": cmd.description,
        "options": [option_json(o) for o in cmd.options],
    }
    if nested:
        out["type"] = SUB_COMMAND
    return out


def build_commands(registry: CommandRegistry) -> list[dict[str, Any]]:
    """The JSON array for `PUT /applications/{id}/commands`, in a stable order."""
    out: list[dict[str, Any]] = []
    for group in registry.groups():
        members = registry.in_group((group,))
        top = registry.get((group,))
        if top is not None:
            body = _leaf(top, group, nested=False)
        else:
            body = {
                "name": group,
                "description": registry.group_descriptions.get(group, group)[:100],
                "options": [],
            }
            for word in registry.children((group,)):
                sub = registry.get((group, word))
                if sub is not None:
                    body["options"].append(_leaf(sub, word, nested=True))
                    continue
                inner = registry.in_group((group, word))
                body["options"].append(
                    {
                        "type": SUB_COMMAND_GROUP,
                        "name": word,
                        "description": f"{group} {word} commands"[:100],
                        "options": [_leaf(c, c.path[2], nested=True) for c in inner],
                    }
                )
        body["type"] = CHAT_INPUT
        body["contexts"] = [0, 1]  # guilds and the bot's DMs
        if all(c.permission is Permission.MODERATOR for c in members):
            body["default_member_permissions"] = str(MANAGE_GUILD)
        out.append(body)
    return out


def commands_hash(commands: list[dict[str, Any]], guild_ids: list[int]) -> str:
    """What a sync depends on: the generated JSON, where it goes, and the generator version."""
    payload = json.dumps(
        {"v": GENERATOR_VERSION, "commands": commands, "guilds": sorted(guild_ids)},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
