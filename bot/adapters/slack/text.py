"""Slack's text format, both ways: what a person typed, from the text Slack sends; and links
that show exactly the label we mean.

https://api.slack.com/reference/surfaces/formatting#escaping: Slack uses `&`, `<` and `>`
as control characters and sends them as `&amp;`, `&lt;` and `&gt;`; it turns what a person
typed into control sequences - a web address `<https://x.org/?a=1&amp;b=2>` (or with the text
shown, `<https://x.org|x.org>`), a channel `<#C123|general>`, a member `<@U123|ana>` (or
`<@U123>`), a broadcast `<!here>`, a user group `<!subteam^S123|team>`.
"""

from __future__ import annotations

import re

_SEQUENCE = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_WEB = re.compile(r"^(?:https?|mailto):", re.IGNORECASE)


def unescape(value: str) -> str:
    """`&amp;`, `&lt;`, `&gt;` back to `&`, `<`, `>` (in one pass: `&amp;lt;` is `&lt;`)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], value)


def escape(value: str) -> str:
    """Escape the three characters Slack's text format reserves."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decode_command_text(text: str) -> str:
    """The text of a slash command as the person typed it, ready for the core's text syntax.

    Links become their address, decoded (`<https://x.org/?a=1&amp;b=2|label>` ->
    `https://x.org/?a=1&b=2`); channel, member and group references stay as Slack wrote them
    (`<#C123|general>`, `<@U123>`: the option converters read their ids); broadcasts stay too,
    so plain-text checks still see and refuse them; everything else is unescaped.
    """
    out: list[str] = []
    pos = 0
    for match in _SEQUENCE.finditer(text):
        out.append(unescape(text[pos : match.start()]))
        inner = match.group(1)
        if _WEB.match(inner):
            out.append(unescape(inner.partition("|")[0]))
        else:
            out.append(match.group(0))
        pos = match.end()
    out.append(unescape(text[pos:]))
    return "".join(out)


def link(url: str, label: str) -> str:
    """`<url|label>` showing exactly `label` and leading exactly to `url`.

    Both parts are escaped; a `|` in the address is percent-encoded (Slack splits the sequence
    at the first `|`, so an unencoded one would let the rest of the address become the label).
    """
    target = escape(url).replace("|", "%7C")
    return f"<{target}|{escape(label)}>"
