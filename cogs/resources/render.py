"""Messages for resource lookups and moderation: results, one resource, topics, the queue."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.messages import Field, Link, Message, Section
from bot.sanitize import neutralize_mentions, truncate
from cogs.resources.search import SearchFilters, SearchResult
from content.resources import LEVELS, RESOURCE_TYPES, Resource
from content.topics import TOPIC_IDS, get_topic
from storage.resources import Suggestion

_MARKDOWN = re.compile(r"([\\`*_\[\]()~|>#])")

COST_LABELS = {"free": "free", "freemium": "free tier", "paid": "paid"}


def escape(text: str) -> str:
    """Text that renders literally in our Markdown subset and pings nobody."""
    return neutralize_mentions(_MARKDOWN.sub(r"\\\1", text))


def topic_label(topic_id: str) -> str:
    return get_topic(topic_id).name if topic_id in TOPIC_IDS else topic_id


def summary_line(resource: Resource) -> str:
    """`Book · beginner · free` — the facts a result list shows for each resource."""
    return (
        f"{resource.type_name} · {resource.level} · {COST_LABELS.get(resource.cost, resource.cost)}"
    )


def hit_section(number: int, resource: Resource, *, description: bool = True) -> Section:
    """One result: numbered title; type, level, cost and id; the description; the link."""
    parts = [f"{summary_line(resource)} · `{resource.id}`"]
    if description and resource.description:
        parts.append(escape(truncate(resource.description, 160)))
    parts.append(resource.url)
    return Section(f"{number}. {neutralize_mentions(resource.title)}", "\n\n".join(parts))


def describe_filters(filters: SearchFilters) -> str:
    parts = []
    if filters.type:
        parts.append(f"type:{filters.type}")
    if filters.topic:
        parts.append(f"topic:{filters.topic}")
    if filters.level:
        parts.append(f"level:{filters.level}")
    if filters.free_only:
        parts.append("free_only:true")
    return " ".join(parts)


def search_message(
    query: str,
    filters: SearchFilters,
    result: SearchResult,
    narrowing: Sequence[tuple[str, str, int]] = (),
) -> Message:
    """The top hits with title, type, level, cost and link, plus "n more" and how to narrow."""
    shown_query = truncate(" ".join(query.split()), 80)
    narrowed = describe_filters(filters)
    title = f"Resources for “{shown_query}”" + (f" ({narrowed})" if narrowed else "")
    sections = tuple(
        hit_section(number, hit.resource) for number, hit in enumerate(result.hits, start=1)
    )
    more = result.total - len(result.hits)
    footer = "See one in full: /resource show <id>."
    if more > 0:
        hints = ", ".join(f"{key}:{value} ({n})" for key, value, n in narrowing[:3])
        footer = (
            f"{more} more {'matches' if more == 1 else 'match'}. "
            + (f"Narrow with {hints}. " if hints else "")
            + footer
        )
    body = None
    if result.weak:
        body = (
            f"Nothing fits “{escape(shown_query)}” well: these only mention it in passing. "
            "Know a good one? Suggest it with `/resource suggest <url> <title> <type> <topics>`."
        )
    return Message(
        title=neutralize_mentions(title), body=body or "", sections=sections, footer=footer
    )


def no_results_message(query: str, filters: SearchFilters, suggestions: Sequence[str]) -> Message:
    shown_query = escape(truncate(" ".join(query.split()), 80))
    narrowed = describe_filters(filters)
    body = f"Nothing matches “{shown_query}”" + (f" with {narrowed}" if narrowed else "") + "."
    tips = []
    if narrowed:
        tips.append("try again without the filters")
    tips.append("use fewer or more general words")
    tips.append("browse /resource topics")
    body += "\nYou could " + ", ".join(tips) + "."
    if suggestions:
        body += "\nClosest titles: " + "; ".join(escape(s) for s in suggestions) + "."
    return Message(body=body)


def resource_message(resource: Resource, *, heading: str | None = None) -> Message:
    """One resource in full."""
    fields = [
        Field("Type", resource.type_name),
        Field("Level", resource.level),
        Field("Cost", COST_LABELS.get(resource.cost, resource.cost)),
        Field("Topics", ", ".join(topic_label(t) for t in resource.topics)),
    ]
    if resource.author:
        fields.append(Field("By", escape(resource.author)))
    fields.append(Field("ID", f"`{resource.id}`"))
    body = escape(resource.description) if resource.description else ""
    if heading:
        body = f"{heading}\n\n{body}".strip()
    return Message(
        title=neutralize_mentions(resource.title),
        url=resource.url,
        body=body,
        fields=tuple(fields),
        links=(Link("Open", resource.url),),
    )


def topics_message(counts: Mapping[str, int]) -> Message:
    """Every topic with its resource count, the biggest first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], topic_label(item[0])))
    lines = [f"- **{topic_label(t)}** (`{t}`): {n}" for t, n in ordered if n > 0]
    return Message(
        title="Resource topics",
        body="\n".join(lines) if lines else "The catalog is empty.",
        footer="Search within one: /resource search <words> topic:<topic>. "
        "Something random: /resource random <topic>.",
    )


def suggestion_section(s: Suggestion) -> Section:
    facts = [RESOURCE_TYPES.get(s.type, s.type), ", ".join(s.topics)]
    if s.level:
        facts.append(s.level)
    if s.cost:
        facts.append(s.cost)
    facts.append(f"suggested by {escape(s.suggested_by_name)}")
    parts = [" · ".join(facts)]
    if s.description:
        parts.append(escape(truncate(s.description, 200)))
    parts.append(s.url)
    return Section(f"#{s.id} {neutralize_mentions(s.title)}", "\n\n".join(parts))


def browse_message(filters: SearchFilters, matching: Sequence[Resource], *, limit: int) -> Message:
    order = {level: i for i, level in enumerate(LEVELS)}
    ranked = sorted(matching, key=lambda r: (order.get(r.level, 9), r.title.casefold()))
    narrowed = describe_filters(filters)
    if not ranked:
        return Message(body=f"Nothing matches {narrowed}. Try fewer filters.")
    sections = tuple(hit_section(n, r, description=False) for n, r in enumerate(ranked[:limit], 1))
    more = len(ranked) - limit
    footer = "Add words to rank by relevance: /resource search <words> " + narrowed
    if more > 0:
        footer = f"{more} more match. " + footer
    return Message(title=f"Resources with {narrowed}", sections=sections, footer=footer)
