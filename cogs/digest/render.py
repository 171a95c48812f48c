"""Rendering a digest issue as a newsletter-style `Message`.

Parts inside a section are separated by blank lines: a single newline is a soft break in
Markdown and the console (rich) would run the lines together.

Layout: the title carries the community, issue number and date; the body holds the moderator's
note and the headline tip in full; each shorter tip, the featured resource and the problem of
the week is a section; community figures are fields; the footer says how to unsubscribe.

Sizes are bounded so every platform renderer can show the issue as one message without cutting
it: the body stays under Discord's 4,096-character embed description, every section under 1,024
(an embed field) and the whole under Discord's 6,000-character embed total, with room for a
subscriber's topic line; Slack's 3,000 per section text and 50 blocks are then met too. When an
issue would be longer (a long note, a long headline and long shorter tips together), the
headline tip is shown up to a paragraph that fits and points to `/tip <id>` for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum

from bot.messages import Field, Link, Message, Section
from bot.sanitize import truncate
from cogs.digest.compose import IssueContent
from content.tips import Tip

MAX_BODY = 3_000
MAX_SECTION = 1_000
MAX_SUMMARY = 360
MAX_NOTE = 600
MAX_MENTIONS = 200
# The whole issue (`text_size`), leaving room under Discord's 6,000 for MAX_TOPICS_LEAD.
MAX_TOTAL = 5_400
MAX_TOPICS_LEAD = 500


class Audience(StrEnum):
    CHANNEL = "channel"
    DM = "dm"


def issue_title(content: IssueContent) -> str:
    day = f"{content.date.day} {content.date:%B %Y}"
    return truncate(
        f"{content.community_name} weekly digest · Issue #{content.number} · {day}", 250
    )


def render_issue(
    content: IssueContent, audience: Audience = Audience.CHANNEL, *, web_url: str | None = None
) -> Message:
    """The issue as posted to the channel (`CHANNEL`) or sent to a subscriber (`DM`).

    `web_url` is the issue's page in the public web archive, when the community has one: the
    title links to it and a last link says so.
    """
    # What gives when the issue is too long: the headline's text first, then its "Read more"
    # links (also on /tip and the web page); sections, figures and the footer never do.
    for read_more in (True, False):
        message = _issue(content, audience, web_url, read_more=read_more)
        limit = len(content.headline.body)
        while (over := _overflow(message)) > 0 and limit > 0:
            limit -= over
            message = _issue(content, audience, web_url, limit=limit, read_more=read_more)
        if over <= 0:
            break
    return message


def _overflow(message: Message) -> int:
    return max(text_size(message) - MAX_TOTAL, len(message.body) - MAX_BODY)


def text_size(message: Message) -> int:
    """The characters Discord counts towards one message's 6,000: the title, the text (body,
    section headings and bodies, links, as the Discord renderer lays them out), the fields and
    the footer."""
    size = len(message.title or "") + len(message.body) + len(message.footer or "")
    size += sum(len(s.heading) + len(s.body) + 7 for s in message.sections)
    size += sum(len(link.label) + len(link.url) + 7 for link in message.links)
    return size + sum(len(f.name) + len(f.value) for f in message.fields)


def _issue(
    content: IssueContent,
    audience: Audience,
    web_url: str | None,
    *,
    limit: int | None = None,
    read_more: bool = True,
) -> Message:
    parts: list[str] = []
    if content.note:
        parts.append(f"**From the moderators:** {truncate(content.note, MAX_NOTE)}")
    parts.append(_headline(content, limit))
    if content.tip_resources and read_more:
        # the headline's links sit with it, before the community figures
        parts.append(
            "**Read more:** "
            + " · ".join(f"[{r.title}]({r.url})" for r in content.tip_resources[:3])
        )
    body = truncate("\n\n".join(parts), MAX_BODY)

    sections = [Section(SHORT_PREFIX + t.title, _short(t)) for t in content.shorts]
    if content.resource is not None:
        r = content.resource
        detail = f"{r.kind}, {r.details}" if r.details else r.kind
        text = f"[{r.title}]({r.url}) ({detail})\n\n{r.description}"
        sections.append(Section("Featured resource", truncate(text, MAX_SECTION)))
    if content.problem is not None:
        p = content.problem
        text = f"[{p.title}]({p.url}) ({p.difficulty}, {p.pattern})"
        if p.hint:
            text += f"\n\n*Nudge:* {p.hint}"
        text += f"\n\nSolved it? Log it with `/dsa done {p.id}`."
        sections.append(Section("DSA problem of the week", truncate(text, MAX_SECTION)))

    fields = tuple(Field(f.label, f.value) for f in content.figures)
    if content.mentions:
        fields += (Field(SUBSCRIBERS_FIELD, _names(content.mentions), inline=False),)
    links: tuple[Link, ...] = ()
    if web_url:
        links += (Link("Read this issue on the web", web_url),)
    footer = footer_for(audience, content.community_name)
    return Message(
        title=issue_title(content),
        url=web_url,
        body=body,
        sections=tuple(sections),
        fields=fields,
        links=links,
        footer=footer,
    )


SUBSCRIBERS_FIELD = "For our subscribers"
SHORT_PREFIX = "More tips: "


def dm_copy(post: Message, community_name: str) -> Message:
    """The channel post as a subscriber's DM: its own footer, without the channel-only line
    naming the members who asked to be mentioned in the channel."""
    return replace(
        post,
        footer=footer_for(Audience.DM, community_name),
        fields=tuple(f for f in post.fields if f.name != SUBSCRIBERS_FIELD),
    )


def for_topics(dm: Message, tips: Sequence[Tip], topics: Sequence[str]) -> Message:
    """A subscriber's DM leading with the issue's tips on their topics.

    `tips` are the issue's tips (headline first). The body opens with a line naming the tips on
    the subscriber's topics (or, when none is, how to get one now), and the shorter tips on
    their topics move up to be the first sections.
    """
    wanted = set(topics)
    mine = [t for t in tips if wanted & set(t.topics)]
    names = ", ".join(topics)
    if mine:
        listed = "; ".join(
            f"*{t.title}*" + (" (this week's headline)" if t is tips[0] else "") for t in mine
        )
        lead = f"**On your topics ({names}):** {listed}."
    else:
        lead = (
            f"**On your topics ({names}):** nothing this week; `/tip {topics[0]}` gives you "
            "one now."
        )
    titles = {SHORT_PREFIX + t.title for t in mine}
    sections = sorted(dm.sections, key=lambda s: 0 if s.heading in titles else 1)
    lead = truncate(lead, MAX_TOPICS_LEAD)
    return replace(dm, body=f"{lead}\n\n{dm.body}", sections=tuple(sections))


def footer_for(audience: Audience, community_name: str) -> str:
    """How to unsubscribe (and find past issues), worded for where the issue is read."""
    if audience is Audience.DM:
        return (
            f"You get this because you subscribed in {community_name}. "
            "Unsubscribe with /digest unsubscribe · past issues: /digest archive"
        )
    return (
        "Get it by DM: /digest subscribe · unsubscribe any time with /digest unsubscribe "
        "· past issues: /digest archive"
    )


def _names(names: tuple[str, ...], limit: int = MAX_MENTIONS) -> str:
    """`@a, @b and 12 more`, at most `limit` characters."""
    shown: list[str] = []
    for n, name in enumerate(names):
        rest = len(names) - n
        candidate = ", ".join([*shown, f"@{name}"])
        if len(candidate) + len(f" and {rest} more") > limit and rest > 1:
            return ", ".join(shown) + f" and {rest} more" if shown else f"{rest} members"
        shown.append(f"@{name}")
    return truncate(", ".join(shown), limit)


def _headline(content: IssueContent, limit: int | None = None) -> str:
    tip = content.headline
    body = tip.body if limit is None else cut_tip(tip, limit)
    return f"**This week: {tip.title}**\n\n{body}\n\n**Try this week:** {tip.try_this_week}"


def cut_tip(tip: Tip, limit: int) -> str:
    """The tip's text within `limit` characters: its whole paragraphs that fit (never ending
    inside a code block), then where to read the rest. The first paragraph is cut at a word
    only when not even it fits."""
    if len(tip.body) <= limit:
        return tip.body
    pointer = f"*The whole tip:* `/tip {tip.id}`"
    room = limit - len(pointer) - 2
    if room < 40:
        return pointer
    kept: list[str] = []
    for paragraph in tip.body.split("\n\n"):
        if len("\n\n".join([*kept, paragraph])) > room:
            break
        kept.append(paragraph)
    while kept and "\n\n".join(kept).count("```") % 2:
        kept.pop()
    text = "\n\n".join(kept) if kept else truncate(summary(tip), room)
    return f"{text}\n\n{pointer}"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*\"'(])")


def summary(tip: Tip) -> str:
    """How a shorter tip appears in an issue, the same way for every tip: the whole sentences
    of its first paragraph that fit in `MAX_SUMMARY` characters, never cut mid-sentence. A
    sentence ending in a colon (it introduces code or a list not shown) is left out; "Full tip:
    /tip <id>" follows for the rest. Only a first sentence longer than the limit is cut, at a
    word, with "…"."""
    first = " ".join(tip.body.split("\n\n", 1)[0].split())
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(first):
        if sentence.endswith(":"):
            break
        if len(" ".join([*kept, sentence])) > MAX_SUMMARY:
            break
        kept.append(sentence)
    if kept:
        return " ".join(kept)
    return truncate(first.rstrip(":"), MAX_SUMMARY)


def _short(tip: Tip) -> str:
    text = f"{summary(tip)}\n\n**Try this week:** {tip.try_this_week}\n\nFull tip: `/tip {tip.id}`"
    return truncate(text, MAX_SECTION)
