"""The resource catalog shipped in `content/resources.yaml`, validated on load.

```python
from content.resources import shipped_resources, normalize_url

catalog = shipped_resources()          # tuple[Resource, ...], loaded and validated once
by_id = {r.id: r for r in catalog}
```

Validation errors are `content.ContentError`s naming the file, the entry (index and id) and the
field: unique ids, unique normalised URLs, http(s) URLs only, and known types, topics
(`content.topics`), levels and costs. `parse_resource` validates a single entry, so resources
added by moderators at run time pass the same checks as the shipped ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml

from content import ContentError, content_path, parse_review_date
from content.topics import TOPIC_IDS, suggest_topic

#: Resource types with their display names.
RESOURCE_TYPES: dict[str, str] = {
    "course": "Course",
    "book": "Book",
    "blog": "Blog",
    "newsletter": "Newsletter",
    "podcast": "Podcast",
    "youtube": "YouTube channel",
    "documentation": "Documentation",
    "practice": "Practice site",
    "community": "Community",
}
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
COSTS: tuple[str, ...] = ("free", "freemium", "paid")

MAX_ID = 64
MAX_TITLE = 150
MAX_AUTHOR = 120
MAX_DESCRIPTION = 500
MAX_URL = 2048
MAX_TOPICS = 5

#: Ids of shipped entries merged into another entry, and the entry that replaced them. Data
#: stored before a merge (digest issues, for instance) resolves old ids through this.
MERGED_RESOURCE_IDS: dict[str, str] = {
    "neetcode-roadmap": "neetcode",
    "neetcode-practice-lists": "neetcode",
    "bytebytego-newsletter": "bytebytego",
}

_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_REQUIRED = ("id", "title", "url", "type", "topics", "level", "cost", "description")
_OPTIONAL = ("author", "last_reviewed")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Resource:
    """One catalog entry. `topics` are canonical ids from `content.topics`."""

    id: str
    title: str
    url: str
    type: str
    topics: tuple[str, ...]
    level: str
    cost: str
    description: str
    author: str | None = None
    #: When the entry was last checked (link alive, description true). Required in the shipped
    #: catalog; resources added by moderators at run time have none.
    last_reviewed: dt.date | None = None

    @property
    def normalized_url(self) -> str:
        return normalize_url(self.url)

    @property
    def type_name(self) -> str:
        return RESOURCE_TYPES.get(self.type, self.type)


def check_url(url: str) -> str:
    """Return `url` stripped if it is an acceptable http(s) address, else raise ValueError.

    Acceptable: http or https, a host name with a dot, no user name or password, no spaces,
    at most `MAX_URL` characters.
    """
    value = url.strip()
    if not value:
        raise ValueError("is empty")
    if len(value) > MAX_URL:
        raise ValueError(f"is longer than {MAX_URL} characters")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    if any(ch in "|<>" for ch in value):
        # Chat platforms write links as `<url|label>`: such an address could end a link early
        # or carry a label of its own.
        raise ValueError("must not contain `|`, `<` or `>`; paste the web address on its own")
    parts = urlsplit(value)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError(f"{value[:80]!r} must start with https:// or http://")
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        raise ValueError(f"{value[:80]!r} has a malformed host or port") from None
    if not host or "." not in host.strip("."):
        raise ValueError(f"{value[:80]!r} has no valid host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    return value


def normalize_url(url: str) -> str:
    """The form in which two addresses of the same page compare equal.

    Ignores the scheme (http/https), case of the host, a leading `www.`, default ports, a
    trailing slash, the fragment, `utm_*` tracking parameters and query parameter order.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_")
    )
    out = host + path
    if query:
        out += "?" + urlencode(query)
    return out


def parse_resource(entry: Any, *, file: str | Path, where: str) -> Resource:
    """Validate one raw entry (a mapping as read from YAML) into a `Resource`.

    `where` names the entry in error messages, e.g. "entry 12". Raises `ContentError`.
    """
    if not isinstance(entry, Mapping):
        raise ContentError(file, where, "must be a mapping of fields")
    entry_id = entry.get("id")
    if isinstance(entry_id, str) and entry_id:
        where = f"{where} ({entry_id})"

    def fail(field: str, problem: str) -> ContentError:
        return ContentError(file, f"{where}: field '{field}'", problem)

    unknown = sorted(str(k) for k in entry if k not in _REQUIRED and k not in _OPTIONAL)
    if unknown:
        known = ", ".join((*_REQUIRED, *_OPTIONAL))
        raise fail(unknown[0], f"is not a resource field (fields: {known})")
    for name in _REQUIRED:
        if entry.get(name) in (None, "", []):
            raise fail(name, "is required")

    def text(name: str, limit: int) -> str:
        value = entry.get(name)
        if not isinstance(value, str):
            raise fail(name, f"must be text, not {type(value).__name__}")
        value = " ".join(value.split())
        if not value:
            raise fail(name, "is required")
        if len(value) > limit:
            raise fail(name, f"is {len(value)} characters long; the limit is {limit}")
        return value

    resource_id = text("id", MAX_ID)
    if not _ID.match(resource_id):
        raise fail("id", f"{resource_id!r} must be lowercase letters, digits and inner hyphens")
    try:
        url = check_url(text("url", MAX_URL))
    except ValueError as exc:
        raise fail("url", str(exc)) from None

    rtype = text("type", 40)
    if rtype not in RESOURCE_TYPES:
        raise fail("type", f"{rtype!r} is not one of: {', '.join(RESOURCE_TYPES)}")
    level = text("level", 40)
    if level not in LEVELS:
        raise fail("level", f"{level!r} is not one of: {', '.join(LEVELS)}")
    cost = text("cost", 40)
    if cost not in COSTS:
        raise fail("cost", f"{cost!r} is not one of: {', '.join(COSTS)}")

    raw_topics = entry.get("topics")
    if not isinstance(raw_topics, list) or not all(isinstance(t, str) for t in raw_topics):
        raise fail("topics", "must be a list of topic ids, e.g. [mlops, python]")
    if len(raw_topics) > MAX_TOPICS:
        raise fail("topics", f"has {len(raw_topics)} topics; the limit is {MAX_TOPICS}")
    if len(set(raw_topics)) != len(raw_topics):
        raise fail("topics", "lists a topic twice")
    for topic in raw_topics:
        if topic not in TOPIC_IDS:
            guess = suggest_topic(topic)
            hint = f"; did you mean {guess!r}?" if guess else " (see content/topics.py)"
            raise fail("topics", f"{topic!r} is not a known topic id{hint}")

    author = entry.get("author")
    reviewed = entry.get("last_reviewed")
    last_reviewed = None
    if reviewed not in (None, ""):
        try:
            last_reviewed = parse_review_date(file, where, reviewed)
        except ContentError as exc:
            raise fail("last_reviewed", exc.problem) from None
    return Resource(
        id=resource_id,
        title=text("title", MAX_TITLE),
        url=url,
        type=rtype,
        topics=tuple(raw_topics),
        level=level,
        cost=cost,
        description=text("description", MAX_DESCRIPTION),
        author=None if author in (None, "") else text("author", MAX_AUTHOR),
        last_reviewed=last_reviewed,
    )


def parse_resources(data: Any, *, file: str | Path) -> tuple[Resource, ...]:
    """Validate a whole catalog (a list of entries): each entry, unique ids and unique URLs."""
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise ContentError(file, "top level", "must be a list of resources")
    resources: list[Resource] = []
    ids: dict[str, int] = {}
    urls: dict[str, int] = {}
    for index, entry in enumerate(data, start=1):
        resource = parse_resource(entry, file=file, where=f"entry {index}")
        where = f"entry {index} ({resource.id})"
        if resource.id in ids:
            raise ContentError(
                file, f"{where}: field 'id'", f"duplicates the id of entry {ids[resource.id]}"
            )
        normalized = resource.normalized_url
        if normalized in urls:
            raise ContentError(
                file,
                f"{where}: field 'url'",
                f"is the same page as entry {urls[normalized]} ({normalized})",
            )
        ids[resource.id] = index
        urls[normalized] = index
        resources.append(resource)
    return tuple(resources)


def load_resources(path: Path | None = None) -> tuple[Resource, ...]:
    """Read and validate a catalog file (default: the shipped `resources.yaml`)."""
    path = path or content_path("resources.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(path, "file", f"cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise ContentError(path, where, f"is not valid YAML: {exc}") from None
    return parse_resources(data, file=path)


@cache
def shipped_resources() -> tuple[Resource, ...]:
    """The shipped catalog, loaded and validated once per process.

    Every shipped entry must carry `last_reviewed` (see `content.freshness`).
    """
    path = content_path("resources.yaml")
    catalog = load_resources(path)
    for index, resource in enumerate(catalog, start=1):
        if resource.last_reviewed is None:
            raise ContentError(
                path, f"entry {index} ({resource.id}): field 'last_reviewed'", "is required"
            )
    return catalog
