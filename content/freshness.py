"""Is the shipped content still current? Review dates and pinned versions, checked against a date.

```python
from content.freshness import check_freshness
findings = check_freshness(date(2026, 12, 5))   # [] when everything is current
```

The rule (the README's "Content" section states it for contributors):

- every tip and resource carries `last_reviewed`; an item whose date is more than
  `REVIEW_WINDOW` (a year) before `today`, or after `today` (a typo), is reported;
- a **pinned version** in a tip's text or a resource's description is reported when it is out
  of date. What counts as pinned:
  - a GitHub Action reference `owner/name@vN` (or `@vN.M...`): reported when its major is
    below the current major in `CURRENT_ACTION_MAJORS`, or when the action is not in that
    table (nobody has checked it, so add it there after checking its releases);
  - an exact Python requirement written without spaces, `name==1.2` or `name[extra]===1.2`
    (code such as `x == 1` is not a pin): always reported. Advice goes stale
    when it names an exact release; show a range (`pandas>=2`) and keep exact pins in lock
    files.

`today` is always passed in, so the check is deterministic: CI passes the date it runs on.
Each finding names the file to open and the item in it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from content.resources import Resource, shipped_resources
from content.tips import Tip, default_library

REVIEW_WINDOW = dt.timedelta(days=365)

#: The current major version of each GitHub Action our content shows, checked against the
#: actions' releases on 2026-12-05: checkout v7.0.0 (June 2026) and setup-python v7.0.0 (July
#: 2026, which dropped the `pip-install` input). Older majors may still run (checkout v5 and
#: setup-python v6 were the first on Node 24, the runtime GitHub moved actions to in 2026), but a
#: learner copies what a tip shows, so tips show the current major. When a new major ships,
#: raise its number here and the check names every tip to update.
CURRENT_ACTION_MAJORS: dict[str, int] = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
}

_ACTION_REF = re.compile(r"\b([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@v(\d+)(?:\.\d+)*\b")
_EXACT_PIN = re.compile(
    r"(?<![\w=<>!~.\[-])([A-Za-z][A-Za-z0-9_.-]*(?:\[[A-Za-z0-9_,-]+\])?)===?(\d+(?:\.\d+)*)"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to look at: the file to open, the item in it, and what is wrong."""

    file: str
    item: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file} ({self.item}): {self.problem}"


def pinned_version_problems(text: str) -> list[str]:
    """What is out of date among the pinned versions in `text` (see the module docstring)."""
    problems: list[str] = []
    for match in _ACTION_REF.finditer(text):
        action, major = match.group(1), int(match.group(2))
        current = CURRENT_ACTION_MAJORS.get(action.lower())
        if current is None:
            problems.append(
                f"`{match.group(0)}`: {action} is not in content.freshness.CURRENT_ACTION_MAJORS;"
                " check its current major and add it there"
            )
        elif major < current:
            problems.append(f"`{match.group(0)}` is out of date; use {action}@v{current} or later")
    for match in _EXACT_PIN.finditer(text):
        problems.append(
            f"`{match.group(0)}` pins an exact release; show a lower bound (e.g."
            f" `{match.group(1)}>={'.'.join(match.group(2).split('.')[:2])}`) instead"
        )
    return problems


def review_problem(last_reviewed: dt.date | None, today: dt.date) -> str | None:
    """Why a review date is not acceptable on `today`, or None."""
    if last_reviewed is None:
        return "has no last_reviewed date"
    if last_reviewed > today:
        return f"last_reviewed {last_reviewed.isoformat()} is after today ({today.isoformat()})"
    if today - last_reviewed > REVIEW_WINDOW:
        return (
            f"last reviewed {last_reviewed.isoformat()}, more than a year before"
            f" {today.isoformat()}: re-check it and update last_reviewed"
        )
    return None


def check_items(
    today: dt.date, tips: Iterable[Tip], resources: Iterable[Resource]
) -> list[Finding]:
    """Every finding for these tips and resources on `today`, tips first, in a stable order."""
    findings: list[Finding] = []
    for tip in tips:
        file = f"content/tips/{tip.file}"
        problem = review_problem(tip.last_reviewed, today)
        if problem:
            findings.append(Finding(file, tip.id, problem))
        text = "\n".join((tip.title, tip.try_this_week, tip.body))
        findings.extend(Finding(file, tip.id, p) for p in pinned_version_problems(text))
    for resource in resources:
        file = "content/resources.yaml"
        problem = review_problem(resource.last_reviewed, today)
        if problem:
            findings.append(Finding(file, resource.id, problem))
        text = "\n".join((resource.title, resource.description))
        findings.extend(Finding(file, resource.id, p) for p in pinned_version_problems(text))
    return findings


def check_freshness(today: dt.date) -> list[Finding]:
    """Every finding for the shipped tips and resources on `today`."""
    return check_items(today, default_library(), shipped_resources())
