"""Discord's slash commands as a discord.py `app_commands.CommandTree` built from the declarations.

Each top-level word becomes one command (or `app_commands.Group`); longer paths become
subcommands and subcommand groups. Every declared option becomes a parameter of a generated
callback (its `__signature__`), typed so that discord.py emits the right option: `str`/`int`/
`float`/`bool`, `app_commands.Range` for bounds and lengths, `discord.User`, `discord.Role`, and
a text/announcement channel transformer. Descriptions, choices, autocomplete and renames (option
names such as `moderator-role` are not Python identifiers) go through discord.py's public
decorators. A group whose every command is for moderators gets `default_permissions` Manage
Server, so Discord hides it from members by default (the dispatcher still checks every call).

The callbacks hold no feature logic: they hand the command path and the option values (in the
core's terms) to the adapter.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import keyword
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol

import discord
from discord import AppCommandOptionType, app_commands

from bot.adapters.discord.interactions import namespace_options, option_value
from bot.commands.registry import Choice, Command, CommandRegistry, Option, OptionType, Permission

#: Bumped when the generated commands change shape, so the next start re-syncs.
GENERATOR_VERSION = 2
#: Guilds and the bot's DMs (as before: every command also works in a DM with the bot).
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True)
#: The default member permission of moderator-only commands.
MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)
#: Channels a channel option accepts: text and announcement channels.
TEXT_CHANNEL_TYPES = (discord.ChannelType.text, discord.ChannelType.news)
#: Discord's longest string option.
MAX_STRING_LENGTH = 6000

OPTION_TYPES: dict[OptionType, AppCommandOptionType] = {
    OptionType.STRING: AppCommandOptionType.string,
    OptionType.INTEGER: AppCommandOptionType.integer,
    OptionType.NUMBER: AppCommandOptionType.number,
    OptionType.BOOLEAN: AppCommandOptionType.boolean,
    OptionType.TIME: AppCommandOptionType.string,
    OptionType.TIMEZONE: AppCommandOptionType.string,
    OptionType.WEEKDAY: AppCommandOptionType.string,
    OptionType.DAYS: AppCommandOptionType.string,
    OptionType.CHANNEL: AppCommandOptionType.channel,
    OptionType.USER: AppCommandOptionType.user,
    OptionType.ROLE: AppCommandOptionType.role,
    OptionType.URL: AppCommandOptionType.string,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INTERACTION_PARAMETER = "interaction"


class CommandHandlers(Protocol):
    """What the generated callbacks call: the adapter."""

    async def run_command(
        self, interaction: discord.Interaction, path: tuple[str, ...], options: dict[str, Any]
    ) -> None:
        """Run the command `path` with option values in the core's terms (by option name)."""

    async def complete(
        self,
        interaction: discord.Interaction,
        path: tuple[str, ...],
        option: str,
        typed: str,
        others: dict[str, Any],
    ) -> Sequence[Choice]:
        """Suggestions for `option` of `path` while the person types `typed`."""


class TextChannelTransformer(app_commands.Transformer):
    """A channel option limited to text and announcement channels.

    The value stays the partial channel Discord resolved in the interaction, so it works
    whether or not the guild's channels are cached."""

    @property
    def type(self) -> AppCommandOptionType:
        return AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return list(TEXT_CHANNEL_TYPES)

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        return value


def option_type(opt: Option) -> AppCommandOptionType:
    """The Discord option type an option is declared as."""
    return OPTION_TYPES[opt.type]


def annotation(opt: Option) -> Any:
    """The parameter annotation from which discord.py derives the option's type and bounds."""
    kind = option_type(opt)
    if kind is AppCommandOptionType.string:
        low = opt.min_length
        high = min(opt.max_length, MAX_STRING_LENGTH) if opt.max_length is not None else None
        return str if low is None and high is None else app_commands.Range[str, low, high]
    if kind in (AppCommandOptionType.integer, AppCommandOptionType.number):
        cast: type[int] | type[float] = int if kind is AppCommandOptionType.integer else float
        low_n = None if opt.min_value is None else cast(opt.min_value)
        high_n = None if opt.max_value is None else cast(opt.max_value)
        if low_n is None and high_n is None:
            return cast
        return app_commands.Range[cast, low_n, high_n]
    if kind is AppCommandOptionType.boolean:
        return bool
    if kind is AppCommandOptionType.user:
        return discord.User
    if kind is AppCommandOptionType.role:
        return discord.Role
    return TextChannelTransformer()


def python_names(options: Sequence[Option]) -> dict[str, str]:
    """A Python parameter name for each option (name -> option name), renamed where needed."""
    used = {_INTERACTION_PARAMETER}
    out: dict[str, str] = {}
    for i, opt in enumerate(options):
        name = opt.name.replace("-", "_")
        if not name.isidentifier() or keyword.iskeyword(name) or name in used:
            name = f"option{i}_{name}" if name.isidentifier() else f"option{i}"
            while name in used:
                name += "_"
        used.add(name)
        out[name] = opt.name
    return out


def _choice(kind: AppCommandOptionType, choice: Choice) -> app_commands.Choice[Any]:
    value: str | int | float
    if kind is AppCommandOptionType.integer:
        value = int(choice.value)
    elif kind is AppCommandOptionType.number:
        value = float(choice.value)
    else:
        value = str(choice.value)
    return app_commands.Choice(name=choice.name[:100], value=value)


def _choices(opt: Option) -> list[app_commands.Choice[Any]]:
    kind = option_type(opt)
    if opt.choices:
        return [_choice(kind, c) for c in opt.choices]
    if opt.type is OptionType.WEEKDAY and opt.autocomplete is None:
        return [app_commands.Choice(name=d.capitalize(), value=d) for d in WEEKDAYS]
    return []


#: Discord docs, Receiving and Responding, Autocomplete: up to 25 choices, each name and value
#: 1-100 characters.
CHOICE_LIMIT = 100
MAX_CHOICES = 25


def _autocomplete(
    handlers: CommandHandlers, cmd: Command, opt: Option
) -> Callable[[discord.Interaction, Any], Awaitable[list[app_commands.Choice[Any]]]]:
    async def complete(
        interaction: discord.Interaction, current: Any
    ) -> list[app_commands.Choice[Any]]:
        others = namespace_options(cmd, interaction.namespace, skip=opt.name)
        found = await handlers.complete(
            interaction, cmd.path, opt.name, "" if current is None else str(current), others
        )
        # Discord refuses the whole answer over a choice whose name or string value is empty or
        # over 100 characters: a long name is shortened, a long value (which cannot be cut
        # without naming something else) is left out.
        return [
            app_commands.Choice(name=c.name[:CHOICE_LIMIT], value=c.value)
            for c in found
            if c.name and not (isinstance(c.value, str) and not 0 < len(c.value) <= CHOICE_LIMIT)
        ][:MAX_CHOICES]

    return complete


def _callback(handlers: CommandHandlers, cmd: Command) -> Callable[..., Coroutine[Any, Any, None]]:
    """A coroutine taking the interaction and one keyword per option, with a matching
    `__signature__` for discord.py to read, and the decorators' metadata applied."""
    names = python_names(cmd.options)
    declared = {param: cmd.option(name) for param, name in names.items()}

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        options: dict[str, Any] = {}
        for param, value in values.items():
            opt = declared.get(param)
            if opt is not None and value is not None:
                options[opt.name] = option_value(opt.type, value)
        await handlers.run_command(interaction, cmd.path, options)

    parameters = [
        inspect.Parameter(
            _INTERACTION_PARAMETER,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=discord.Interaction,
        )
    ]
    descriptions: dict[str, str] = {}
    renames: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[Any]]] = {}
    completers: dict[str, Any] = {}
    for param, name in names.items():
        opt = cmd.option(name)
        assert opt is not None
        parameters.append(
            inspect.Parameter(
                param,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation(opt),
                default=inspect.Parameter.empty if opt.required else None,
            )
        )
        descriptions[param] = opt.description
        if param != name:
            renames[param] = name
        if listed := _choices(opt):
            choices[param] = listed
        if opt.autocomplete is not None:
            completers[param] = _autocomplete(handlers, cmd, opt)
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    decorated: Callable[..., Coroutine[Any, Any, None]] = callback
    if descriptions:
        decorated = app_commands.describe(**descriptions)(decorated)
    if renames:
        decorated = app_commands.rename(**renames)(decorated)
    if choices:
        decorated = app_commands.choices(**choices)(decorated)
    if completers:
        decorated = app_commands.autocomplete(**completers)(decorated)
    return decorated


def _command(
    handlers: CommandHandlers, cmd: Command, name: str
) -> app_commands.Command[Any, ..., Any]:
    return app_commands.Command(
        name=name, description=cmd.description, callback=_callback(handlers, cmd)
    )


def build_tree(
    client: discord.Client,
    registry: CommandRegistry,
    handlers: CommandHandlers,
    *,
    guild_ids: Sequence[int] = (),
) -> app_commands.CommandTree[discord.Client]:
    """The client's command tree: every declared command, global (and copied to `guild_ids`).

    Guild commands carry no `contexts` and `dm_permission: false`: Discord documents both fields
    as "only for globally-scoped commands" (Application Commands, application command object:
    https://discord.com/developers/docs/interactions/application-commands#application-command-object),
    and a guild command cannot be used in the bot's DMs anyway. discord.py sends
    `dm_permission = not guild_only` on every top-level command, so guild trees set `guild_only`.
    """
    contexts = app_commands.AppCommandContext() if guild_ids else CONTEXTS
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
        client, allowed_contexts=contexts
    )
    for group in registry.groups():
        top: app_commands.Command[Any, ..., Any] | app_commands.Group
        single = registry.get((group,))
        if single is not None:
            top = _command(handlers, single, group)
        else:
            top = app_commands.Group(
                name=group,
                description=registry.group_descriptions.get(group, group)[:100],
            )
            for word in registry.children((group,)):
                sub = registry.get((group, word))
                if sub is not None:
                    top.add_command(_command(handlers, sub, word))
                    continue
                inner = app_commands.Group(
                    name=word, description=f"{group} {word} commands"[:100], parent=top
                )
                for leaf in registry.in_group((group, word)):
                    inner.add_command(_command(handlers, leaf, leaf.path[2]))
        if all(c.permission is Permission.MODERATOR for c in registry.in_group((group,))):
            top.default_permissions = MODERATOR_PERMISSIONS
        top.guild_only = bool(guild_ids)
        tree.add_command(top)
    for guild_id in guild_ids:
        tree.copy_global_to(guild=discord.Object(id=guild_id))
    return tree


def tree_json(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The global commands as discord.py sends them to the bulk-overwrite endpoint."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def commands_hash(commands: list[dict[str, Any]], guild_ids: Sequence[int]) -> str:
    """What a sync depends on: the commands' JSON, where it goes, and the generator version."""
    payload = json.dumps(
        {"v": GENERATOR_VERSION, "commands": commands, "guilds": sorted(guild_ids)},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
