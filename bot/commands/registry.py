"""Command declarations: a cog declares each command once; every adapter builds from these.

A command has a path (`("resource", "search")`), a description, typed options, a permission
level and a privacy default. The `CommandRegistry` holds every declared command and action
(button handler) and answers lookups by path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.commands.context import ActionContext, AutocompleteContext

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class OptionType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIME = "time"  # -> datetime.time
    TIMEZONE = "timezone"  # -> canonical IANA name (str)
    WEEKDAY = "weekday"  # -> int, Monday = 0
    DAYS = "days"  # -> frozenset[int]
    CHANNEL = "channel"  # -> ChannelRef
    USER = "user"  # -> UserRef
    ROLE = "role"  # -> RoleRef
    URL = "url"  # -> str, http(s) only


class Permission(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value of an option (or one autocomplete suggestion)."""

    name: str
    value: str | int | float


AutocompleteSource = Callable[["AutocompleteContext", str], Awaitable[Sequence[Choice]]]
CommandHandler = Callable[..., Awaitable[None]]
ActionHandler = Callable[["ActionContext", str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Option:
    """A typed option of a command.

    `rest=True` (strings only, one per command) swallows every remaining positional word, so
    `/resource search feature stores` works without quotes; later options are then given as
    `key:value`.
    """

    name: str
    type: OptionType
    description: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    autocomplete: AutocompleteSource | None = None
    default: Any = None
    rest: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name, "option")
        if not 1 <= len(self.description) <= 100:
            raise ValueError(f"option {self.name!r}: description must be 1-100 characters")
        if self.rest and self.type is not OptionType.STRING:
            raise ValueError(f"option {self.name!r}: only string options can take the rest")
        if self.choices and self.autocomplete:
            raise ValueError(f"option {self.name!r}: choices and autocomplete exclude each other")
        if len(self.choices) > 25:
            raise ValueError(f"option {self.name!r}: at most 25 choices")


@dataclass(frozen=True, slots=True)
class Command:
    """A declared command. `path` is the words typed after the slash."""

    path: tuple[str, ...]
    description: str
    handler: CommandHandler
    options: tuple[Option, ...] = ()
    permission: Permission = Permission.MEMBER
    private: bool = False
    examples: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.path) <= 3:
            raise ValueError(f"command path {self.path!r} must have 1 to 3 words")
        for word in self.path:
            _check_name(word, "command")
        if not 1 <= len(self.description) <= 100:
            raise ValueError(f"command {self.name!r}: description must be 1-100 characters")
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError(f"command {self.name!r}: duplicate option names")
        seen_optional = False
        for opt in self.options:
            if opt.required and seen_optional:
                raise ValueError(f"command {self.name!r}: required options must come first")
            seen_optional = seen_optional or not opt.required
        if sum(o.rest for o in self.options) > 1:
            raise ValueError(f"command {self.name!r}: only one option can take the rest")

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def group(self) -> str:
        return self.path[0]

    def option(self, name: str) -> Option | None:
        for opt in self.options:
            if opt.name == name:
                return opt
        return None

    def usage(self) -> str:
        parts = ["/" + self.name]
        for opt in self.options:
            label = f"{opt.name}" if opt.type is OptionType.STRING else f"{opt.name}:{opt.type}"
            parts.append(f"<{label}>" if opt.required else f"[{label}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Action:
    """A button handler. Buttons whose `action` equals `name` are routed to `handler`."""

    name: str
    handler: ActionHandler
    permission: Permission = Permission.MEMBER
    private: bool = True

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name or len(self.name) > 40:
            raise ValueError(f"action name {self.name!r} must be 1-40 chars without ':'")


def _check_name(name: str, what: str) -> None:
    if not 1 <= len(name) <= 32 or not set(name) <= NAME_CHARS or name != name.lower():
        raise ValueError(f"{what} name {name!r} must be 1-32 lowercase letters, digits, - or _")


@dataclass
class CommandRegistry:
    """Every command and action the loaded cogs declared."""

    commands: dict[tuple[str, ...], Command] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    group_descriptions: dict[str, str] = field(default_factory=dict)

    def add(self, command: Command) -> None:
        if command.path in self.commands:
            raise ValueError(f"command /{command.name} is declared twice")
        for path in self.commands:
            shorter, longer = sorted((path, command.path), key=len)
            if shorter != longer and longer[: len(shorter)] == shorter:
                raise ValueError(
                    f"/{' '.join(shorter)} cannot be both a command and a group of /"
                    f"{' '.join(longer)}"
                )
        self.commands[command.path] = command

    def add_action(self, action: Action) -> None:
        if action.name in self.actions:
            raise ValueError(f"action {action.name!r} is declared twice")
        self.actions[action.name] = action

    def describe_group(self, group: str, description: str) -> None:
        self.group_descriptions[group] = description

    def remove_many(self, commands: Iterable[Command], actions: Iterable[Action]) -> None:
        for cmd in commands:
            self.commands.pop(cmd.path, None)
        for act in actions:
            self.actions.pop(act.name, None)

    def get(self, path: Sequence[str]) -> Command | None:
        return self.commands.get(tuple(path))

    def groups(self) -> list[str]:
        return sorted({path[0] for path in self.commands})

    def in_group(self, prefix: Sequence[str]) -> list[Command]:
        """Commands whose path starts with `prefix`, in declaration-independent order."""
        n = len(prefix)
        return sorted(
            (c for c in self.commands.values() if c.path[:n] == tuple(prefix)),
            key=lambda c: c.path,
        )

    def children(self, prefix: Sequence[str]) -> list[str]:
        """The words that may follow `prefix` (subcommand or subgroup names)."""
        n = len(prefix)
        return sorted(
            {
                c.path[n]
                for c in self.commands.values()
                if len(c.path) > n and c.path[:n] == tuple(prefix)
            }
        )

    def is_group(self, prefix: Sequence[str]) -> bool:
        return bool(self.children(prefix)) and tuple(prefix) not in self.commands

    def all(self) -> list[Command]:
        return sorted(self.commands.values(), key=lambda c: c.path)

    def schema(self) -> list[dict[str, Any]]:
        """A JSON-able description of every command (what a platform sync depends on)."""
        out: list[dict[str, Any]] = []
        for cmd in self.all():
            out.append(
                {
                    "path": list(cmd.path),
                    "description": cmd.description,
                    "permission": str(cmd.permission),
                    "options": [
                        {
                            "name": o.name,
                            "type": str(o.type),
                            "description": o.description,
                            "required": o.required,
                            "choices": [[c.name, c.value] for c in o.choices],
                            "min_value": o.min_value,
                            "max_value": o.max_value,
                            "min_length": o.min_length,
                            "max_length": o.max_length,
                            "autocomplete": o.autocomplete is not None,
                        }
                        for o in cmd.options
                    ],
                }
            )
        return out

    def schema_hash(self) -> str:
        payload = json.dumps(
            {"commands": self.schema(), "groups": self.group_descriptions}, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()
