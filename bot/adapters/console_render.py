"""Rendering Messages for a terminal with rich."""

from __future__ import annotations

import re

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


#: Terminal escape sequences (CSI, OSC, and two-character ones) and every other control
#: character but newline and tab: typed or stored text must never steer the terminal.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """`text` without escape sequences or control characters (`^[[A` from an arrow key...)."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text if keep_newlines else " ".join(text.split())


def hard_breaks(text: str) -> str:
    """Keep single line breaks, as Discord and Slack show them (Markdown would join the lines
    into one paragraph: "…in #digest When: … Next run: …"). Code blocks are left alone."""
    out: list[str] = []
    in_code = False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not in_code and line.strip() and nxt.strip() and not line.endswith("  "):
            line += "  "
        out.append(line)
    return "\n".join(out)


def render(
    message: Message,
    *,
    label: str | None = None,
    numbered: dict[int, Button] | None = None,
    hyperlinks: bool = True,
) -> RenderableType:
    """A rich renderable for `message`. `numbered` maps console button numbers to buttons.

    `hyperlinks=False` (output that is not a terminal) prints a link's address after its
    text, `title (https://…)`, instead of a terminal hyperlink that a pipe would lose.
    """
    parts: list[RenderableType] = []

    def markdown(text: str) -> Markdown:
        return Markdown(hard_breaks(printable(text)), hyperlinks=hyperlinks)

    if message.body:
        parts.append(markdown(message.body))
    for section in message.sections:
        parts.append(Text(printable(section.heading), style="bold"))
        parts.append(markdown(section.body))
    if message.fields:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for f in message.fields:
            table.add_row(printable(f.name), markdown(f.value))
        parts.append(table)
    for link in message.links:
        parts.append(
            Text.assemble(
                ("→ ", "dim"),
                (printable(link.label), "bold"),
                " ",
                (printable(link.url, keep_newlines=False), "underline"),
            )
        )
    if numbered:
        buttons = Text()
        for number, button in numbered.items():
            buttons.append(f"[{number}: {button.label}] ", style="bold magenta")
        buttons.append("(type :click N)", style="dim")
        parts.append(buttons)
    disabled = [b for b in message.buttons if b.disabled]
    if disabled:
        parts.append(
            Text(" ".join(f"[{printable(b.label)}]" for b in disabled) + " (disabled)", style="dim")
        )
    if message.footer:
        parts.append(Text(printable(message.footer), style="dim"))
    title = printable(message.title or "", keep_newlines=False)
    if message.url and title:
        title = f"{title} ({message.url})"
    subtitle = "only you can see this" if message.private else None
    if label:
        title = f"{printable(label, keep_newlines=False)} {title}".strip()
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
