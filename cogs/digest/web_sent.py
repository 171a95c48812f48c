"""What the web pages read from a stored issue as it was sent (`StoredIssue.message`): the
figures that are plain numbers, and the headline of a tip that has left the library since."""

from __future__ import annotations

import re
from collections.abc import Mapping

# `render_issue` writes the headline as "**This week: <title>**", a blank line, then the tip.
_THIS_WEEK = re.compile(r"^\*\*This week: (?P<title>[^\n]+?)\*\*[ \t]*$", re.MULTILINE)


def numeric_figures(message: Mapping[str, object]) -> list[tuple[str, str]]:
    """The issue's figures that are plain numbers: counts, never names."""
    out: list[tuple[str, str]] = []
    fields = message.get("fields")
    if not isinstance(fields, list):
        return out
    for item in fields:
        if isinstance(item, list) and len(item) >= 2:
            label, value = str(item[0]), str(item[1])
            if re.fullmatch(r"[0-9][0-9,.]*", value.strip()):
                out.append((label, value.strip()))
    return out


def sent_headline(body: str, note: str | None) -> tuple[str, str] | None:
    """The headline tip's title and text (Markdown) as the channel post carried them, after
    the moderators' note (shown on its own); None when the body has no such headline."""
    start = 0
    if note and note in body:
        start = body.index(note) + len(note)
    m = _THIS_WEEK.search(body, start)
    if m is None:
        return None
    return m.group("title").strip(), body[m.end() :].strip("\n")
