"""`/help` and `/help <command>`, generated from the command declarations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cog import Cog, command
from bot.commands.context import AutocompleteContext, Context
from bot.commands.errors import NotFound
from bot.commands.registry import Choice, Command, Option, OptionType, Permission
from bot.messages import Field, Message, Section


async def _command_names(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    typed = typed.strip().lstrip("/").lower()
    names = sorted({c.name for c in ctx.app.registry.all()} | set(ctx.app.registry.groups()))
    starts = [n for n in names if n.startswith(typed)]
    contains = [n for n in names if typed in n and n not in starts]
    return [Choice(name=f"/{n}", value=n) for n in (starts + contains)[:25]]


class HelpCog(Cog):
    name = "help"
    description = "Lists commands and explains each one."
    groups = {"help": "Lists every command, or explains one"}

    @command(
        "help",
        "List every command, or explain one",
        Option(
            "command",
            OptionType.STRING,
            "A command or group, e.g. resource search",
            max_length=100,
            autocomplete=_command_names,
            rest=True,
        ),
        private=True,
        examples=("/help", "/help resource search"),
    )
    async def help(self, ctx: Context, command: str | None) -> None:
        registry = self.app.registry
        if not command:
            await ctx.reply(self._overview(ctx))
            return
        path = tuple(command.strip().lstrip("/").lower().split())
        found = registry.get(path)
        if found is not None:
            await ctx.reply(_command_help(found))
            return
        members = registry.in_group(path)
        if members:
            await ctx.reply(self._group_help(path, members, ctx.is_moderator))
            return
        raise NotFound(
            f"There is no command /{' '.join(path)}.", hint="Type /help to see every command."
        )

    def _overview(self, ctx: Context) -> Message:
        """One screen: a line per group with the subcommands this person can run.

        Members never see moderator-only commands; moderators get them in a second part.
        """
        registry = self.app.registry
        member_lines: list[str] = []
        moderator_lines: list[str] = []
        for group in registry.groups():
            commands = registry.in_group((group,))
            description = registry.group_descriptions.get(group, "")
            for permission, lines in (
                (Permission.MEMBER, member_lines),
                (Permission.MODERATOR, moderator_lines),
            ):
                mine = [c for c in commands if c.permission is permission]
                names = [_short_name(c) for c in mine]
                if names:
                    about = description if permission is Permission.MEMBER else ""
                    if [c.path for c in mine] == [(group,)]:  # a one-word command: its own
                        about = mine[0].description
                    lines.append(_group_line(group, names, about))
        sections = [Section("What you can do", "\n".join(member_lines))]
        if ctx.is_moderator and moderator_lines:
            sections.append(Section("For moderators", "\n".join(moderator_lines)))
        return Message(
            title="mlebot commands",
            body="Type `/help <group>` for a group's commands and options, e.g. "
            "`/help resource`, or `/help resource search` for one command.",
            sections=tuple(sections),
            footer='Options: positional values, key:value, and "quoted values" with spaces.',
        )

    def _group_help(
        self, path: tuple[str, ...], members: list[Command], is_moderator: bool
    ) -> Message:
        visible = [c for c in members if is_moderator or c.permission is Permission.MEMBER]
        hidden = len(members) - len(visible)
        lines = []
        for cmd in visible:
            mod = " *(moderators)*" if cmd.permission is Permission.MODERATOR else ""
            lines.append(f"- `{cmd.usage()}` — {cmd.description}{mod}")
        if not visible:
            lines.append("These commands are for moderators.")
        elif hidden:
            lines.append(f"\n{_plural(hidden, 'more command')} for moderators.")
        description = self.app.registry.group_descriptions.get(path[0], "")
        return Message(
            title=f"/{' '.join(path)}",
            body=(description + "\n\n" if description and len(path) == 1 else "")
            + "\n".join(lines),
            footer=f"Type /help {' '.join(path)} <subcommand> for details.",
        )


def _short_name(cmd: Command) -> str:
    return " ".join(cmd.path[1:]) or cmd.path[0]


def _group_line(group: str, names: list[str], description: str) -> str:
    about = f" — {description}" if description else ""
    if names == [group]:  # a one-word command such as /help
        return f"- `/{group}`{about}"
    return f"- `/{group}` {' · '.join(names)}{about}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _command_help(cmd: Command) -> Message:
    fields = []
    for opt in cmd.options:
        detail = opt.description
        if opt.choices:
            detail += " — one of: " + ", ".join(str(c.value) for c in opt.choices)
        if opt.min_value is not None or opt.max_value is not None:
            detail += f" — from {_num(opt.min_value)} to {_num(opt.max_value)}"
        kind = "required" if opt.required else "optional"
        fields.append(Field(f"{opt.name} ({opt.type}, {kind})", detail, inline=False))
    body = cmd.description + "."
    if cmd.help:
        body += "\n\n" + cmd.help
    if cmd.permission is Permission.MODERATOR:
        body += "\n\n*Moderators only.*"
    if cmd.examples:
        body += "\n\nExamples:\n" + "\n".join(f"- `{e}`" for e in cmd.examples)
    return Message(title=f"`{cmd.usage()}`", body=body, fields=tuple(fields))


def _num(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)
