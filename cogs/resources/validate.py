"""Checking what people type for a resource: titles, descriptions, topics, URLs and ids.

Everything here raises `OptionError` naming the option, with a message the person can act on.
Text must be plain: no mentions (@everyone, @here, <@…>) and no Markdown links, so stored text
can never ping anybody or disguise a link, whatever renders it later.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.commands.errors import OptionError
from bot.sanitize import clean_line
from cogs.resources.search import fold
from content.resources import MAX_AUTHOR, MAX_DESCRIPTION, MAX_TITLE, MAX_TOPICS, check_url
from content.topics import resolve_topic, suggest_topic

_MENTION = re.compile(r"@(everyone|here|channel)\b|<[@#!]", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\s*\(|https?://|www\.", re.IGNORECASE)
_SLUG = re.compile(r"[a-z0-9]+")
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def plain_text(option: str, raw: str, *, max_length: int) -> str:
    """One line of plain text: trimmed, no control characters, no mentions, no links."""
    try:
        value = clean_line(raw, max_length=max_length)
    except ValueError as exc:
        raise OptionError(option, f"{exc}.") from None
    if _MENTION.search(value):
        raise OptionError(
            option, "must not contain mentions (@everyone, @here, <@…>); please write plain text."
        )
    if _MARKDOWN_LINK.search(value):
        raise OptionError(
            option, "must be plain text without links; the address goes in the `url` option."
        )
    return value


def title(raw: str) -> str:
    return plain_text("title", raw, max_length=MAX_TITLE)


def description(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return ""
    return plain_text("description", raw, max_length=MAX_DESCRIPTION)


def author(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    return plain_text("author", raw, max_length=MAX_AUTHOR)


def url(raw: str) -> str:
    """An http(s) address with a real host name (the option converter checked the basics)."""
    try:
        return check_url(raw.strip().strip("<>"))
    except ValueError as exc:
        raise OptionError("url", f"{exc}.") from None


def topic(raw: str, option: str = "topic") -> str:
    """A canonical topic id from an id, name or alias."""
    found = resolve_topic(raw)
    if found is None:
        guess = suggest_topic(raw)
        hint = f" Did you mean `{guess}`?" if guess else ""
        shown = raw.strip()[:40]
        raise OptionError(option, f"{shown!r} is not a topic.{hint} See /resource topics.")
    return found


def topics(raw: str) -> tuple[str, ...]:
    """Comma- or space-separated topics (`mlops, python` or `k8s docker`) as canonical ids."""
    pieces = [p.strip() for p in raw.split(",") if p.strip()]
    found: list[str] = []
    for piece in pieces:
        resolved = resolve_topic(piece)
        if resolved is not None:
            found.append(resolved)
            continue
        for word in piece.split():
            found.append(topic(word, "topics"))
    unique = tuple(dict.fromkeys(found))
    if not unique:
        raise OptionError("topics", "name at least one topic, e.g. `mlops, python`.")
    if len(unique) > MAX_TOPICS:
        raise OptionError("topics", f"at most {MAX_TOPICS} topics, please.")
    return unique


def resource_id(raw: str) -> str:
    value = raw.strip().lower()
    if not _ID.match(value) or len(value) > 64:
        raise OptionError(
            "id", "must be lowercase letters, digits and hyphens, e.g. `my-favourite-course`."
        )
    return value


def slug(text: str, taken: Collection[str]) -> str:
    """A new resource id made from a title, unique among `taken`."""
    base = "-".join(_SLUG.findall(fold(text)))[:48].strip("-") or "resource"
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate
