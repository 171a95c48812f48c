"""The application-command JSON generated from the declarations."""

from __future__ import annotations

from typing import Any

from bot.adapters.discord.commands import build_commands, commands_hash
from bot.cog import Cog
from bot.commands import CommandRegistry
from cogs.help import HelpCog
from tests.discord.demo_cog import DemoCog


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


def test_groups_become_commands_with_subcommands_and_typed_options() -> None:
    commands = build_commands(registry_of(HelpCog, DemoCog))
    assert [c["name"] for c in commands] == ["admin", "demo", "help"]
    demo = by_name(commands, "demo")
    assert demo["type"] == 1 and demo["description"] == "Demo commands for adapter tests"
    assert "default_member_permissions" not in demo
    echo = by_name(demo["options"], "echo")
    assert echo["type"] == 1  # SUB_COMMAND
    assert echo["options"] == [
        {"type": 3, "name": "words", "description": "Words to repeat", "required": True},
        {
            "type": 4,
            "name": "times",
            "description": "How often",
            "required": False,
            "min_value": 1,
            "max_value": 3,
        },
        {
            "type": 3,
            "name": "level",
            "description": "How loud",
            "required": False,
            "choices": [{"name": "Quiet", "value": "quiet"}, {"name": "Loud", "value": "loud"}],
        },
    ]
    topic = by_name(demo["options"], "topic")["options"][0]
    assert topic["autocomplete"] is True
    where = by_name(demo["options"], "where")["options"]
    assert where[0]["type"] == 7 and where[0]["channel_types"] == [0, 5]
    assert where[1]["type"] == 6


def test_a_top_level_command_is_a_command_with_options() -> None:
    help_ = by_name(build_commands(registry_of(HelpCog)), "help")
    assert help_["options"][0]["name"] == "command"
    assert help_["options"][0]["max_length"] == 100
    assert help_["options"][0]["autocomplete"] is True


def test_moderator_only_groups_carry_manage_server_and_nest_subcommand_groups() -> None:
    admin = by_name(build_commands(registry_of(DemoCog)), "admin")
    assert admin["default_member_permissions"] == "32"
    purge = by_name(admin["options"], "purge")
    assert purge["type"] == 1
    set_ = by_name(admin["options"], "set")
    assert set_["type"] == 2  # SUB_COMMAND_GROUP
    assert set_["options"][0]["name"] == "days" and set_["options"][0]["type"] == 1


def test_the_hash_changes_with_the_declarations_and_the_target_guilds() -> None:
    full = build_commands(registry_of(HelpCog, DemoCog))
    assert commands_hash(full, []) == commands_hash(
        build_commands(registry_of(DemoCog, HelpCog)), []
    )
    assert commands_hash(full, []) != commands_hash(build_commands(registry_of(HelpCog)), [])
    assert commands_hash(full, []) != commands_hash(full, [123])
