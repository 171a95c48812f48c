"""Rendering Messages for a terminal with rich."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.messages import Button, Message, Tone

_TONE_STYLE = {
    Tone.NORMAL: "cyan",
    Tone.SUCCESS: "green",
    Tone.WARNING: "yellow",
    Tone.ERROR: "red",
}


def render(
    message: Message, *, label: str | None = None, numbered: dict[int, Button] | None = None
) -> RenderableType:
    """A rich renderable for `message`. `numbered` maps console button numbers to buttons."""
    parts: list[RenderableType] = []
    if message.body:
        parts.append(Markdown(message.body))
    for section in message.sections:
        parts.append(Text(section.heading, style="bold"))
        parts.append(Markdown(section.body))
    if message.fields:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for f in message.fields:
            table.add_row(f.name, Markdown(f.value))
        parts.append(table)
    for link in message.links:
        parts.append(
            Text.assemble(("→ ", "dim"), (link.label, "bold"), " ", (link.url, "underline"))
        )
    if numbered:
        buttons = Text()
        for number, button in numbered.items():
            buttons.append(f"[{number}: {button.label}] ", style="bold magenta")
        buttons.append("(type :click N)", style="dim")
        parts.append(buttons)
    if message.footer:
        parts.append(Text(message.footer, style="dim"))
    title = message.title or ""
    if message.url and title:
        title = f"{title} ({message.url})"
    subtitle = "only you can see this" if message.private else None
    if label:
        title = f"{label} {title}".strip()
    return Panel(
        Group(*parts) if parts else Text(""),
        title=Text(title, style="bold") if title else None,
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style=_TONE_STYLE[message.tone],
        expand=True,
    )


def make_console(*, interactive: bool) -> Console:
    """A rich console: colours on a terminal, plain and wide enough for logs when piped."""
    if interactive:
        return Console(highlight=False)
    return Console(highlight=False, force_terminal=False, no_color=True, width=100, soft_wrap=False)
