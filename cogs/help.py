"""`/help` and `/help <command>`, and the setup guide a new community gets, all generated from
the command declarations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.cog import Cog, command
from bot.commands.context import AutocompleteContext, Context
from bot.commands.errors import NotFound
from bot.commands.registry import Choice, Command, CommandRegistry, Option, OptionType, Permission
from bot.events import CommunityJoined
from bot.messages import Field, Message, Section
from bot.scheduling.jobs import Delivery

log = logging.getLogger(__name__)

#: The first steps a moderator usually takes, shown first in the setup guide when installed.
FIRST_STEPS = (
    ("settings", "timezone"),
    ("schedule", "digest"),
    ("schedule", "dsa"),
    ("settings", "moderator-role"),
)
MAX_STEPS = 8


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

    _unsubscribe: Callable[[], None] | None = None

    async def setup(self) -> None:
        self._unsubscribe = self.app.events.on_joined(self.welcome)

    async def teardown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    async def welcome(self, event: CommunityJoined) -> None:
        """Send a community the bot just joined the setup guide, where the platform says a
        welcome can go (e.g. a Discord server's system channel, else its owner's DMs).

        Through the outbox, keyed by the community: sent once, retried like any post."""
        if event.welcome_to is None:
            return
        guide = setup_guide(self.app.registry, event.name)
        await self.app.delivery.queue(
            f"{event.platform}:welcome:{event.community_id}",
            [Delivery(event.welcome_to, guide)],
        )
        log.info("setup guide queued for %s community %s", event.platform, event.community_id)

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


def setup_guide(registry: CommandRegistry, community_name: str) -> Message:
    """The short guide for a new community's moderators, built from the installed commands
    so it never names a command the bot lacks."""
    moderator = [c for c in registry.all() if c.permission is Permission.MODERATOR]
    first = [registry.get(path) for path in FIRST_STEPS]
    ordered = [c for c in first if c is not None]
    ordered += [c for c in moderator if c not in ordered]
    lines = [f"- `/{c.name}` — {c.description}" for c in ordered[:MAX_STEPS]]
    body = (
        "I share weekly ML engineering tips, look up learning resources and help people keep a "
        "DSA practice habit.\n\n"
    )
    if lines:
        body += "**Setting up (members with Manage Server):**\n" + "\n".join(lines) + "\n\n"
    body += "Everyone can type `/help` to see every command."
    return Message(
        title=f"Thanks for adding mlebot to {community_name}!"[:256],
        body=body,
        footer="Give a role moderator rights with /settings moderator-role."
        if registry.get(("settings", "moderator-role"))
        else None,
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
