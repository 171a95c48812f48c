"""Print what the bot ships and whether it is current: `uv run python -m content [YYYY-MM-DD]`.

The counts are those the README states (tips, resources, problems by track); the freshness
check is the one CI runs (`content.freshness`), for today or the date given. The exit status is
1 when something is out of date, so the command can gate a release script too.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence

from content.freshness import check_freshness
from content.problems import OWN_EXERCISE_PATTERN, SQL_PATTERN, load_problems
from content.resources import shipped_resources
from content.tips import load_tips


def summary() -> list[str]:
    """The counts, one line each."""
    tips = load_tips()
    resources = shipped_resources()
    problems = list(load_problems())
    tracks = Counter(
        p.pattern if p.pattern in (SQL_PATTERN, OWN_EXERCISE_PATTERN) else "algorithms"
        for p in problems
    )
    home_lab = sum(1 for t in tips if t.id.startswith("home-lab-"))
    return [
        f"tips: {len(tips)} ({home_lab} home-lab)",
        f"resources: {len(resources)}",
        f"problems: {len(problems)} (algorithms {tracks['algorithms']}, sql {tracks[SQL_PATTERN]},"
        f" ml-coding {tracks[OWN_EXERCISE_PATTERN]})",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m content [YYYY-MM-DD]", file=sys.stderr)
        return 2
    try:
        today = dt.date.fromisoformat(args[0]) if args else dt.date.today()
    except ValueError:
        print(f"not a date: {args[0]!r} (use YYYY-MM-DD)", file=sys.stderr)
        return 2
    for line in summary():
        print(line)
    findings = check_freshness(today)
    if not findings:
        print(f"freshness on {today.isoformat()}: everything current")
        return 0
    print(f"freshness on {today.isoformat()}: {len(findings)} to look at")
    for finding in findings:
        print(f"  {finding}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
