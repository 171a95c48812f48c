"""Composing and rendering an issue: deterministic, newsletter-shaped, within platform limits."""

from __future__ import annotations

from datetime import date
from typing import Any

from cogs.digest.compose import (
    FeaturedProblem,
    FeaturedResource,
    Figure,
    IssueContent,
    IssuePlan,
    plan_issue,
)
from cogs.digest.render import Audience, render_issue, summary
from content.problems import MAX_HINT
from content.resources import MAX_DESCRIPTION, MAX_TITLE
from content.tips import Tip, load_tips

RESOURCES = [f"res-{i}" for i in range(30)]
PROBLEMS = [f"prob-{i}" for i in range(20)]


def plan(**kw: Any) -> IssuePlan:
    defaults: dict[str, Any] = dict(
        seed="console:console", last_shown={}, resource_ids=RESOURCES, problem_ids=PROBLEMS
    )
    defaults.update(kw)
    return plan_issue(load_tips(), **defaults)


def test_plan_is_deterministic_and_has_a_headline_and_three_shorts() -> None:
    a, b = plan(), plan()
    assert a == b
    assert len(a.shorts) == 3 and len(set(a.tip_ids)) == 4
    assert a.resource in RESOURCES and a.problem in PROBLEMS
    assert plan(seed="discord:1") != a


def test_a_note_leaves_room_for_two_shorts_and_a_pin_leads() -> None:
    library = load_tips()
    pin = library.ids()[5]
    p = plan(has_note=True, pinned=pin)
    assert p.headline == pin and len(p.shorts) == 2
    assert plan(pinned="no-longer-exists").headline != "no-longer-exists"


def test_featured_resource_prefers_what_the_tips_link_to() -> None:
    library = load_tips()
    catalog = sorted({r for t in library for r in t.resources})
    p = plan(resource_ids=catalog)
    linked = [r for t in p.tip_ids for r in library.get(t).resources]  # type: ignore[union-attr]
    assert p.resource == linked[0]


def longest_tips() -> list[Tip]:
    library = load_tips()
    return sorted(library, key=lambda t: len(t.body) + len(t.try_this_week), reverse=True)


def content_for(tips: list[Tip], *, note: str | None = "x" * 600) -> IssueContent:
    resource = FeaturedResource(
        id="r",
        title="T" * MAX_TITLE,
        url="https://example.org/" + "p" * 100,
        kind="book",
        description=("D " * 300)[:MAX_DESCRIPTION],  # the catalog's longest allowed
        details="intermediate · paid",
    )
    problem = FeaturedProblem(
        id="p",
        title="Longest Problem Title Ever Seen",
        url="https://leetcode.com/problems/x/",
        difficulty="hard",
        pattern="advanced-graphs",
        hint=("H " * 200)[:MAX_HINT],  # the problem set's longest allowed
    )
    return IssueContent(
        community_name="N" * 100,
        number=1234,
        date=date(2026, 9, 30),
        headline=tips[0],
        shorts=tuple(tips[1:4]),
        resource=resource,
        problem=problem,
        figures=(
            Figure("Problems solved this week", "1,234"),
            Figure("Best streak", "@someone-with-a-long-name · 365 days"),
            Figure("New subscribers", "12"),
        ),
        note=note,
        tip_resources=(resource, resource, resource),
        mentions=tuple(f"member-with-a-long-name-{i}" for i in range(100)),
    )


def test_longest_tips_render_within_every_platform_limit() -> None:
    for audience in Audience:
        message = render_issue(content_for(longest_tips()), audience)
        # Discord embed: title 256, description 4,096, fields (our sections + fields) 25,
        # field name 256 / value 1,024, everything together 6,000.
        assert message.title is not None and len(message.title) <= 256
        assert len(message.body) <= 4096
        assert len(message.sections) + len(message.fields) <= 25
        for s in message.sections:
            assert len(s.heading) <= 256 and len(s.body) <= 1024
        total = (
            len(message.title)
            + len(message.body)
            + sum(len(s.heading) + len(s.body) for s in message.sections)
            + sum(len(f.name) + len(f.value) for f in message.fields)
            + len(message.footer or "")
        )
        assert total <= 6000
        # Slack: a section's text at most 3,000 characters; blocks well under 50.
        assert len(message.body) <= 3000
        assert 2 * len(message.sections) + len(message.fields) + 4 <= 50


def test_rendered_issue_reads_like_a_newsletter() -> None:
    tips = longest_tips()
    message = render_issue(content_for(tips, note="Welcome to our new members!"))
    assert message.title is not None and "Issue #1234" in message.title
    assert "30 September 2026" in message.title
    assert message.body.startswith("**From the moderators:** Welcome to our new members!")
    assert f"**This week: {tips[0].title}**" in message.body
    assert tips[0].body in message.body  # the headline is shown in full
    assert "**Try this week:**" in message.body
    headings = [s.heading for s in message.sections]
    assert headings[:3] == [f"More tips: {t.title}" for t in tips[1:4]]
    assert headings[3:] == ["Featured resource", "DSA problem of the week"]
    assert f"/tip {tips[1].id}" in message.sections[0].body
    assert message.fields[0].name == "Problems solved this week"
    assert "/digest unsubscribe" in (message.footer or "")
    dm = render_issue(content_for(tips), Audience.DM)
    assert "you subscribed" in (dm.footer or "")


def test_summary_is_the_first_paragraph_without_a_dangling_colon() -> None:
    for tip in load_tips():
        text = summary(tip)
        assert text and not text.endswith(":")
        assert len(text) <= 360
        assert "```" not in text


def test_channel_mention_names_are_listed_within_a_bound() -> None:
    from dataclasses import replace

    few = render_issue(replace(content_for(longest_tips()), mentions=("ana", "bob")))
    assert few.fields[-1].name == "For our subscribers" and few.fields[-1].value == "@ana, @bob"
    many = render_issue(
        replace(content_for(longest_tips()), mentions=tuple(f"member{i}" for i in range(500)))
    )
    value = many.fields[-1].value
    assert len(value) <= 200 and value.startswith("@member0, @member1") and "more" in value
