"""The discord.py command tree built from the declarations, and the JSON it syncs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from discord import app_commands

from bot.adapters.discord.commands import build_tree, commands_hash, python_names, tree_json
from bot.cog import Cog, command
from bot.commands.context import Context
from bot.commands.registry import Choice, CommandRegistry, Option, OptionType
from bot.loader import load_cog_classes
from cogs.help import HelpCog
from tests.conftest import AppFactory
from tests.discord.demo_cog import DemoCog
from tests.discord.schema import by_name, check_commands_match, new_client, registry_of


class _NoHandlers:
    async def run_command(self, *args: Any) -> None:
        raise AssertionError("not called")

    async def complete(self, *args: Any) -> Sequence[Choice]:
        raise AssertionError("not called")


def json_of(registry: CommandRegistry, guild_ids: Sequence[int] = ()) -> list[dict[str, Any]]:
    return tree_json(build_tree(new_client(), registry, _NoHandlers(), guild_ids=guild_ids))


class OddNamesCog(Cog):
    """Option names that are not Python identifiers, keywords, and clashing spellings."""

    name = "odd"
    groups: ClassVar[dict[str, str]] = {"odd": "Odd option names"}

    @command(
        "odd names",
        "Options whose names need renaming",
        Option("first-name", OptionType.STRING, "Has a dash", required=True),
        Option("first_name", OptionType.STRING, "Same identifier once the dash is gone"),
        Option("class", OptionType.INTEGER, "A keyword", min_value=-5),
        Option("interaction", OptionType.NUMBER, "The callback's first parameter", max_value=2.5),
        Option("2fa", OptionType.BOOLEAN, "Starts with a digit"),
        Option("note", OptionType.STRING, "Bounded length", min_length=2, max_length=9000),
    )
    async def names(self, ctx: Context, **values: Any) -> None:
        await ctx.reply(repr(sorted(values.items())))


def test_the_tree_matches_the_demo_declarations() -> None:
    registry = registry_of(HelpCog, DemoCog)
    commands = json_of(registry)
    check_commands_match(commands, registry)
    assert [c["name"] for c in commands] == ["admin", "demo", "help"]
    echo = by_name(by_name(commands, "demo")["options"], "echo")
    assert echo["options"][1] == {
        "type": 4,
        "name": "times",
        "description": "How often",
        "required": False,
        "min_value": 1,
        "max_value": 3,
    }
    assert echo["options"][2]["choices"] == [
        {"name": "Quiet", "value": "quiet"},
        {"name": "Loud", "value": "loud"},
    ]
    set_ = by_name(by_name(commands, "admin")["options"], "set")
    assert set_["type"] == 2 and set_["options"][0]["type"] == 1


async def test_the_tree_matches_every_installed_cogs_declarations(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    check_commands_match(json_of(app.registry), app.registry)


def test_option_names_that_are_not_identifiers_are_renamed() -> None:
    registry = registry_of(OddNamesCog)
    commands = json_of(registry)
    check_commands_match(commands, registry)
    names = by_name(by_name(commands, "odd")["options"], "names")
    assert [o["name"] for o in names["options"]] == [
        "first-name",
        "first_name",
        "class",
        "interaction",
        "2fa",
        "note",
    ]
    assert names["options"][5]["max_length"] == 6000
    params = python_names(registry.get(("odd", "names")).options)  # type: ignore[union-attr]
    assert all(p.isidentifier() and p != "interaction" for p in params)
    assert list(params.values()) == [o["name"] for o in names["options"]]


def test_the_tree_routes_to_generated_commands() -> None:
    tree = build_tree(new_client(), registry_of(DemoCog), _NoHandlers())
    purge = tree.get_command("admin")
    assert isinstance(purge, app_commands.Group)
    days = purge.get_command("set")
    assert isinstance(days, app_commands.Group)
    leaf = days.get_command("days")
    assert isinstance(leaf, app_commands.Command)
    assert leaf.qualified_name == "admin set days"


def test_the_hash_changes_with_the_declarations_and_the_target_guilds() -> None:
    full = json_of(registry_of(HelpCog, DemoCog))
    assert commands_hash(full, []) == commands_hash(json_of(registry_of(DemoCog, HelpCog)), [])
    assert commands_hash(full, []) != commands_hash(json_of(registry_of(HelpCog)), [])
    assert commands_hash(full, []) != commands_hash(full, [123])


def test_guild_ids_get_copies_of_the_global_commands() -> None:
    from discord import Object

    tree = build_tree(new_client(), registry_of(DemoCog), _NoHandlers(), guild_ids=[42])
    assert [c.name for c in tree.get_commands(guild=Object(id=42))] == ["admin", "demo"]
