"""Neutralising mentions and limiting user-supplied text.

The bot never pings `@everyone`, `@here`, a role or a user because of content somebody typed.
Renderers call `neutralize_mentions` on every text they emit; platform-level guards (Discord
`allowed_mentions`) are a second line, not the only one.
"""

from __future__ import annotations

import re
import unicodedata

ZWSP = "\u200b"

# Discord: @everyone, @here, <@123>, <@!123>, <@&123>. Slack: <!everyone>, <!channel>,
# <!here>, <!subteam^ID>, <@U123>.
_BROADCAST = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<([@!#])")


def neutralize_mentions(value: str) -> str:
    """Break every mention syntax with a zero-width space so it renders but does not ping."""
    value = _BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", value)
    return _ANGLE_MENTION.sub(lambda m: f"<{ZWSP}{m.group(1)}", value)


_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_line(value: str, *, max_length: int) -> str:
    """Collapse a single-line user value: strip control characters and squeeze whitespace.

    Raises `ValueError` when the result is empty or longer than `max_length`.
    """
    cleaned = "".join(
        ch if unicodedata.category(ch) not in _CONTROL else " "
        for ch in value
        if ch not in "\u200b\u200c\u200d\u2060\ufeff"
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise ValueError("is empty")
    if len(cleaned) > max_length:
        raise ValueError(f"is {len(cleaned)} characters long; the limit is {max_length}")
    return cleaned


def truncate(value: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `value` to at most `limit` characters, preferring a word boundary."""
    if len(value) <= limit:
        return value
    cut = value[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
