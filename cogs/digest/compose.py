"""Composing a digest issue: what it contains, decided without I/O.

`plan_issue` picks the content ids from the rotation state and history; the cog resolves them
to tips, a resource and a problem and hands an `IssueContent` to the renderer. Everything here
is deterministic for a community (its seed) and its stored history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from cogs.digest.rotation import pick_rotating, pick_tips
from content.tips import Tip, TipLibrary

#: Shorter tips per issue: three, or two when a moderator's note takes some of the space.
SHORTS = 3
SHORTS_WITH_NOTE = 2


@dataclass(frozen=True, slots=True)
class IssuePlan:
    headline: str
    shorts: tuple[str, ...]
    resource: str | None
    problem: str | None

    @property
    def tip_ids(self) -> tuple[str, ...]:
        return (self.headline, *self.shorts)


def plan_issue(
    library: TipLibrary,
    *,
    seed: str,
    last_shown: Mapping[str, int],
    pinned: str | None = None,
    has_note: bool = False,
    resource_ids: Sequence[str] = (),
    resource_history: Sequence[str] = (),
    problem_ids: Sequence[str] = (),
    problem_history: Sequence[str] = (),
) -> IssuePlan:
    """The next issue's content ids for a community (`seed`) given its rotation history.

    `last_shown` maps tip ids to the number of the issue that last showed them; the histories
    list featured resource and problem ids, oldest first.
    """
    count = 1 + (SHORTS_WITH_NOTE if has_note else SHORTS)
    if pinned is not None and pinned not in library:
        pinned = None  # a pin whose tip was removed from the library is ignored

    def primary(tip_id: str) -> str:
        tip = library.get(tip_id)
        return tip.topics[0] if tip else ""

    tip_ids = pick_tips(
        library.ids(),
        seed=seed,
        last_shown=last_shown,
        count=count,
        pinned=pinned,
        primary_topic=primary,
    )
    prefer: list[str] = []
    for tip_id in tip_ids:
        tip = library.get(tip_id)
        if tip is not None:
            prefer.extend(r for r in tip.resources if r not in prefer)
    resource = (
        pick_rotating(
            resource_ids, seed=seed, salt="resource", history=resource_history, prefer=prefer
        )
        if resource_ids
        else None
    )
    problem = (
        pick_rotating(problem_ids, seed=seed, salt="problem", history=problem_history)
        if problem_ids
        else None
    )
    return IssuePlan(headline=tip_ids[0], shorts=tip_ids[1:], resource=resource, problem=problem)


@dataclass(frozen=True, slots=True)
class FeaturedResource:
    id: str
    title: str
    url: str
    kind: str  # course, book, blog...
    description: str
    details: str = ""  # e.g. "beginner · free"


@dataclass(frozen=True, slots=True)
class FeaturedProblem:
    id: str
    title: str
    url: str
    difficulty: str
    pattern: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """A community figure shown in the issue, e.g. ("New subscribers", "3")."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class IssueContent:
    """Everything one issue shows, resolved, ready to render."""

    community_name: str
    number: int
    date: date
    headline: Tip
    shorts: tuple[Tip, ...]
    resource: FeaturedResource | None = None
    problem: FeaturedProblem | None = None
    figures: tuple[Figure, ...] = ()
    note: str | None = None
    tip_resources: tuple[FeaturedResource, ...] = ()  # the headline's related resources
    mentions: tuple[str, ...] = ()  # display names of channel-mention subscribers
