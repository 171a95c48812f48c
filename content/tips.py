"""The tips library: one Markdown file per tip in `content/tips/`, with YAML front matter.

```markdown
---
id: baseline-first
title: Ship a dumb baseline before building the clever model
topics: [machine-learning, ml-system-design]
try_this_week: >-
  Implement a heuristic baseline and report it next to your model's score.
resources: [rules-of-ml]
last_reviewed: 2026-12-05
---
The body: concise Markdown (bold, italics, code, bullet lists, links).
```

Every file is validated on load; a problem raises `ContentError` naming the file and the field.
`last_reviewed` is the date someone last checked the tip against current practice (ISO date);
`content.freshness` reports tips not reviewed within a year.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from content import ContentError, content_path, parse_review_date

TIPS_DIR = content_path("tips")

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOPIC_PATTERN = ID_PATTERN
MAX_ID = 60
MAX_TITLE = 100  # fits a Slack header block (150) and an embed title (256) with a prefix
MIN_BODY = 200
MAX_BODY = 1_000  # a headline tip must fit one Discord embed field (1,024) when rendered
MAX_TRY = 300
MAX_TOPICS = 4
MAX_RESOURCES = 4

_REQUIRED = ("id", "title", "topics", "try_this_week", "resources", "last_reviewed")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n(.*)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Tip:
    """One tip: a concrete piece of advice plus something to try this week."""

    id: str
    title: str
    topics: tuple[str, ...]
    try_this_week: str
    resources: tuple[str, ...]  # resource ids from the catalog
    body: str
    file: str  # file name, for error messages and `/tip` provenance
    last_reviewed: dt.date  # when the advice was last checked against current practice

    def has_topic(self, topic: str) -> bool:
        return topic in self.topics


class TipLibrary:
    """Every tip, in a stable order (by id), with lookups by id and topic."""

    def __init__(self, tips: Iterable[Tip]) -> None:
        self.tips: tuple[Tip, ...] = tuple(sorted(tips, key=lambda t: t.id))
        self._by_id = {t.id: t for t in self.tips}

    def __len__(self) -> int:
        return len(self.tips)

    def __iter__(self) -> Iterator[Tip]:
        return iter(self.tips)

    def __contains__(self, tip_id: object) -> bool:
        return tip_id in self._by_id

    def get(self, tip_id: str) -> Tip | None:
        return self._by_id.get(tip_id)

    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tips)

    def topics(self) -> list[str]:
        """Every topic at least one tip has, sorted."""
        return sorted({topic for t in self.tips for topic in t.topics})

    def with_topic(self, topic: str) -> list[Tip]:
        return [t for t in self.tips if topic in t.topics]


def parse_tip(
    text: str,
    file: str,
    *,
    known_resources: Collection[str] | None = None,
    known_topics: Collection[str] | None = None,
) -> Tip:
    """Parse and validate one tip file's text. `file` names it in errors."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ContentError(
            file, "front matter", "the file must start with a '---' line, YAML, and a '---' line"
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ContentError(file, "front matter", f"is not valid YAML ({exc})") from None
    if not isinstance(meta, Mapping):
        raise ContentError(file, "front matter", "must be a YAML mapping of fields")
    unknown = sorted(str(k) for k in meta if k not in _REQUIRED)
    if unknown:
        raise ContentError(
            file, unknown[0], f"is not a tip field (expected: {', '.join(_REQUIRED)})"
        )
    for name in _REQUIRED:
        if meta.get(name) in (None, "", []):
            raise ContentError(file, name, "is required")

    tip_id = _string(file, "id", meta["id"], MAX_ID)
    if not ID_PATTERN.match(tip_id):
        raise ContentError(file, "id", f"{tip_id!r} must be lowercase words joined by '-'")
    stem = Path(file).stem
    if stem != tip_id:
        raise ContentError(file, "id", f"{tip_id!r} must match the file name ({stem}.md)")
    title = _string(file, "title", meta["title"], MAX_TITLE)
    try_this_week = _string(file, "try_this_week", meta["try_this_week"], MAX_TRY)
    topics = _id_list(file, "topics", meta["topics"], MAX_TOPICS)
    if known_topics is not None:
        for topic in topics:
            if topic not in known_topics:
                raise ContentError(
                    file,
                    "topics",
                    f"{topic!r} is not a known topic (known: {', '.join(sorted(known_topics))})",
                )
    resources = _id_list(file, "resources", meta["resources"], MAX_RESOURCES)
    if known_resources is not None:
        for rid in resources:
            if rid not in known_resources:
                raise ContentError(file, "resources", f"{rid!r} is not in the resource catalog")

    last_reviewed = parse_review_date(file, "last_reviewed", meta["last_reviewed"])

    body = match.group(2).strip()
    if len(body) < MIN_BODY:
        raise ContentError(file, "body", f"is {len(body)} characters; write at least {MIN_BODY}")
    if len(body) > MAX_BODY:
        raise ContentError(
            file, "body", f"is {len(body)} characters; the limit is {MAX_BODY} (keep it concise)"
        )
    return Tip(
        id=tip_id,
        title=title,
        topics=topics,
        try_this_week=try_this_week,
        resources=resources,
        body=body,
        file=Path(file).name,
        last_reviewed=last_reviewed,
    )


def load_tips(
    directory: Path | None = None,
    *,
    known_resources: Collection[str] | None = None,
    known_topics: Collection[str] | None = None,
) -> TipLibrary:
    """Load and validate every `*.md` in `directory` (default: the shipped tips)."""
    directory = directory or TIPS_DIR
    files = sorted(directory.glob("*.md"))
    if not files:
        raise ContentError(directory, "tips", "no tip files (*.md) found")
    tips: list[Tip] = []
    seen: dict[str, str] = {}
    titles: dict[str, str] = {}
    for path in files:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ContentError(path, "file", "is not UTF-8 text") from None
        tip = parse_tip(raw, path.name, known_resources=known_resources, known_topics=known_topics)
        if tip.id in seen:
            raise ContentError(path, "id", f"{tip.id!r} is already used by {seen[tip.id]}")
        key = tip.title.casefold()
        if key in titles:
            raise ContentError(path, "title", f"is the same as the title of {titles[key]}")
        seen[tip.id] = path.name
        titles[key] = path.name
        tips.append(tip)
    return TipLibrary(tips)


@functools.cache
def default_library() -> TipLibrary:
    """The shipped tips, validated against the topic vocabulary and the resource catalog.

    Loaded once per process.
    """
    from content.resources import shipped_resources
    from content.topics import TOPIC_IDS

    return load_tips(known_resources={r.id for r in shipped_resources()}, known_topics=TOPIC_IDS)


def _string(file: str, name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ContentError(file, name, f"must be text, not {type(value).__name__}")
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ContentError(file, name, "is required")
    if len(cleaned) > limit:
        raise ContentError(file, name, f"is {len(cleaned)} characters; the limit is {limit}")
    return cleaned


def _id_list(file: str, name: str, value: Any, limit: int) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ContentError(file, name, "must be a list, e.g. [mlops, testing]")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not ID_PATTERN.match(item):
            raise ContentError(file, name, f"{item!r} must be a lowercase id like 'ml-ops'")
        if item in out:
            raise ContentError(file, name, f"{item!r} is listed twice")
        out.append(item)
    if len(out) > limit:
        raise ContentError(file, name, f"has {len(out)} entries; the limit is {limit}")
    return tuple(out)
