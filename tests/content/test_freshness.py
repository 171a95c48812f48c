"""The freshness rule: review dates within a year and no out-of-date pinned versions.

`test_shipped_content_is_current` is the check CI runs. It uses the date the suite runs on
(or `MLEBOT_CONTENT_TODAY=YYYY-MM-DD`, to reproduce a CI run); every finding names the file to
open. The other tests pin "today" so they never depend on the calendar.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date

from content.freshness import (
    CURRENT_ACTION_MAJORS,
    check_freshness,
    check_items,
    pinned_version_problems,
    review_problem,
)
from content.resources import parse_resource
from content.tips import parse_tip

TODAY = date(2026, 12, 5)

TIP = """---
id: a-tip
title: A tip
topics: [ci-cd]
try_this_week: >-
  {try_this_week}
resources: [x]
last_reviewed: {reviewed}
---
{body}
"""


def tip(body: str = "Plain advice. " * 20, reviewed: str = "2026-06-01", try_: str = "Do it."):
    text = TIP.format(body=body, reviewed=reviewed, try_this_week=try_)
    return parse_tip(text, "a-tip.md")


def resource(description: str = "A page.", reviewed: date | None = date(2026, 6, 1)):
    entry = {
        "id": "a-page",
        "title": "A page",
        "url": "https://example.org/",
        "type": "documentation",
        "topics": ["mlops"],
        "level": "beginner",
        "cost": "free",
        "description": description,
        "last_reviewed": reviewed,
    }
    return parse_resource(entry, file="resources.yaml", where="entry 1")


def test_shipped_content_is_current() -> None:
    today = date.fromisoformat(os.environ.get("MLEBOT_CONTENT_TODAY") or date.today().isoformat())
    findings = check_freshness(today)
    assert not findings, "Out-of-date content; look at:\n" + "\n".join(map(str, findings))


def test_review_window_is_one_year() -> None:
    assert review_problem(date(2025, 12, 5), TODAY) is None
    assert review_problem(TODAY, TODAY) is None
    old = review_problem(date(2025, 12, 4), TODAY)
    assert old is not None and "more than a year" in old
    future = review_problem(date(2027, 1, 1), TODAY)
    assert future is not None and "after today" in future
    assert review_problem(None, TODAY) == "has no last_reviewed date"


def test_findings_name_the_file_and_the_item() -> None:
    stale_tip = tip(reviewed="2025-01-01")
    stale_resource = resource(reviewed=date(2025, 1, 1))
    unreviewed = replace(resource(), id="never", last_reviewed=None)
    findings = check_items(TODAY, [stale_tip], [stale_resource, unreviewed])
    assert [(f.file, f.item) for f in findings] == [
        ("content/tips/a-tip.md", "a-tip"),
        ("content/resources.yaml", "a-page"),
        ("content/resources.yaml", "never"),
    ]
    assert str(findings[0]).startswith("content/tips/a-tip.md (a-tip): last reviewed 2025-01-01")
    assert check_items(TODAY, [tip()], [resource()]) == []
    # The same items are stale a year later: the result depends only on the date passed in.
    assert len(check_items(date(2027, 6, 2), [tip()], [resource()])) == 2


def test_out_of_date_action_majors_are_reported() -> None:
    for action, oldest in CURRENT_ACTION_MAJORS.items():
        assert pinned_version_problems(f"uses: {action}@v{oldest}") == []
        assert pinned_version_problems(f"uses: {action}@v{oldest + 1}.2.0") == []
        (problem,) = pinned_version_problems(f"- uses: {action}@v{oldest - 1}")
        assert "out of date" in problem and f"{action}@v{oldest}" in problem
    (unknown,) = pinned_version_problems("uses: someone/new-action@v3")
    assert "not in content.freshness.CURRENT_ACTION_MAJORS" in unknown


def test_exact_python_pins_are_reported_but_ranges_and_code_are_not() -> None:
    (pin,) = pinned_version_problems("pip install torch==2.1.0")
    assert "`torch==2.1.0`" in pin and "torch>=2.1" in pin
    assert len(pinned_version_problems('"pandera[pandas]===0.24"')) == 1
    assert pinned_version_problems("pandas>=2, numpy~=2.0, scipy!=1.1, x == 1, a==b") == []


def test_pins_anywhere_in_a_tip_or_resource_are_found() -> None:
    body = "Use this:\n\n```yaml\n- uses: actions/checkout@v4\n```\n" + "More words. " * 20
    findings = check_items(TODAY, [tip(body=body, try_="Pin `numpy==1.26`.")], [])
    assert len(findings) == 2
    (found,) = check_items(TODAY, [], [resource(description="Install with scikit-learn==1.3.")])
    assert found.item == "a-page" and "scikit-learn==1.3" in found.problem
