"""The DSA problem set: curated LeetCode problems in `content/problems.yaml`, validated on load.

```yaml
- id: two-sum                      # the LeetCode slug
  title: "Two Sum"
  url: https://leetcode.com/problems/two-sum/
  difficulty: easy                 # easy | medium | hard
  pattern: arrays-hashing          # one of PATTERNS
  premium: false                   # true when LeetCode shows it to subscribers only
  hint: >-
    A nudge in our own words that does not give the solution away.
  approach: >-                     # optional: the approach, shown only on request
    The idea of a solution, in a few sentences (no code).
  tags: [prefix-sum]               # optional: finer techniques, from TAGS
```

Hints come in two levels: `hint` is a nudge shown with the problem; `approach` (when present)
states the method and is shown only when a member asks (`/dsa hint`, "Show approach" button).
Filters accept a pattern id or a tag id (`patterns:trees,union-find`).

Every entry is checked; a problem raises `ContentError` naming the entry and the field. The URL
must be the problem's real address, `https://leetcode.com/problems/<id>/`, except for the
`ml-coding` track: our own exercises (`id: ml-...`) with a `statement` of the task and a `url`
to the reference documentation of what they implement.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from content import ContentError, content_path

PROBLEMS_FILE = content_path("problems.yaml")

#: The standard interview patterns, in study order, with their display names.
PATTERNS: dict[str, str] = {
    "arrays-hashing": "Arrays & hashing",
    "two-pointers": "Two pointers",
    "sliding-window": "Sliding window",
    "stack": "Stack",
    "binary-search": "Binary search",
    "linked-list": "Linked list",
    "trees": "Trees",
    "tries": "Tries",
    "heap": "Heap / priority queue",
    "backtracking": "Backtracking",
    "graphs": "Graphs",
    "advanced-graphs": "Advanced graphs",
    "dp-1d": "1-D dynamic programming",
    "dp-2d": "2-D dynamic programming",
    "greedy": "Greedy",
    "intervals": "Intervals",
    "math-geometry": "Math & geometry",
    "bit-manipulation": "Bit manipulation",
    "sql": "SQL (database rounds)",
    "ml-coding": "ML coding (from scratch)",
}

#: The SQL track's pattern: LeetCode's database problems, for interviews' SQL rounds.
SQL_PATTERN = "sql"

#: The one pattern whose problems are our own exercises rather than LeetCode problems: their id
#: starts with `ml-`, `statement` specifies the task, and `url` points to reference docs.
OWN_EXERCISE_PATTERN = "ml-coding"
MIN_STATEMENT, MAX_STATEMENT = 80, 450  # with the hint, fits a 1,024-character embed field

#: Finer techniques a problem may also carry; usable wherever patterns filter problems.
TAGS: dict[str, str] = {
    "prefix-sum": "Prefix sum",
    "union-find": "Union-find",
    "topological-sort": "Topological sort",
    "monotonic-stack": "Monotonic stack",
}

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL = re.compile(r"^https://leetcode\.com/problems/([a-z0-9]+(?:-[a-z0-9]+)*)/$")
MAX_TITLE = 100
MIN_HINT, MAX_HINT = 30, 300
MAX_APPROACH = 500

_FIELDS = ("id", "title", "url", "difficulty", "pattern", "premium", "hint")
_OPTIONAL = ("approach", "tags", "statement")


@dataclass(frozen=True, slots=True)
class Problem:
    """One practice problem."""

    id: str
    title: str
    url: str
    difficulty: str
    pattern: str
    premium: bool
    hint: str
    approach: str | None = None  # the method, shown only on request
    tags: tuple[str, ...] = ()  # finer techniques, from TAGS
    statement: str | None = None  # the task, for our own exercises (pattern ml-coding)

    @property
    def pattern_name(self) -> str:
        return PATTERNS[self.pattern]

    def in_any(self, patterns: Collection[str]) -> bool:
        """Whether the problem's pattern or one of its tags is in `patterns`."""
        return self.pattern in patterns or any(t in patterns for t in self.tags)

    def label(self) -> str:
        """`Two Sum (easy, Arrays & hashing)`."""
        return f"{self.title} ({self.difficulty}, {self.pattern_name})"


class ProblemSet:
    """Every problem, in file order, with lookups by id and by what a person types."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self._by_id = {p.id: p for p in self.problems}
        self._by_title = {p.title.casefold(): p for p in self.problems}

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __contains__(self, problem_id: object) -> bool:
        return problem_id in self._by_id

    def get(self, problem_id: str) -> Problem | None:
        return self._by_id.get(problem_id)

    def find(self, typed: str) -> Problem | None:
        """A problem by id, title (any case) or LeetCode URL; None when nothing matches."""
        value = typed.strip()
        m = re.match(r"^(?:https?://)?(?:www\.)?leetcode\.com/problems/([a-z0-9-]+)", value)
        if m:
            value = m.group(1)
        return self._by_id.get(value.lower()) or self._by_title.get(value.casefold())

    def search(self, typed: str, limit: int = 25) -> list[Problem]:
        """Problems whose id or title contains what was typed (prefix matches first)."""
        needle = typed.strip().casefold()
        starts = [p for p in self.problems if p.title.casefold().startswith(needle)]
        contains = [
            p
            for p in self.problems
            if p not in starts and (needle in p.title.casefold() or needle in p.id)
        ]
        return (starts + contains)[:limit]

    def suggest(self, typed: str, limit: int = 3) -> list[Problem]:
        """The closest problems to a misspelt title or id (substring matches first)."""
        found = self.search(typed, limit)
        if found:
            return found
        folded = typed.strip().casefold()
        close = difflib.get_close_matches(folded, list(self._by_title), n=limit, cutoff=0.6)
        return [self._by_title[c] for c in close]

    def matching(
        self,
        *,
        difficulties: Collection[str] = (),
        patterns: Collection[str] = (),
        include_premium: bool = True,
    ) -> list[Problem]:
        """The problems passing a filter; an empty collection means "any"."""
        return [
            p
            for p in self.problems
            if (not difficulties or p.difficulty in difficulties)
            and (not patterns or p.in_any(patterns))
            and (include_premium or not p.premium)
        ]


def parse_problems(raw: Any, file: str | Path = PROBLEMS_FILE) -> ProblemSet:
    """Validate the parsed YAML of a problems file."""
    if not isinstance(raw, list) or not raw:
        raise ContentError(file, "top level", "must be a non-empty list of problems")
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_titles: dict[str, int] = {}
    for index, entry in enumerate(raw, start=1):
        problem = _parse_entry(entry, index, file)
        where = f"problem {index} ({problem.id})"
        if problem.id in seen_ids:
            raise ContentError(file, f"{where}: id", f"duplicates problem {seen_ids[problem.id]}")
        folded = problem.title.casefold()
        if folded in seen_titles:
            raise ContentError(file, f"{where}: title", f"duplicates problem {seen_titles[folded]}")
        seen_ids[problem.id] = index
        seen_titles[folded] = index
        problems.append(problem)
    return ProblemSet(problems)


def _parse_entry(entry: Any, index: int, file: str | Path) -> Problem:
    where = f"problem {index}"
    if not isinstance(entry, dict):
        raise ContentError(file, where, "must be a mapping of id, title, url, ...")
    if isinstance(entry.get("id"), str):
        where = f"problem {index} ({entry['id']})"
    unknown = sorted(set(map(str, entry)) - set(_FIELDS) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join((*_FIELDS, *_OPTIONAL))
        raise ContentError(file, f"{where}: {unknown[0]}", f"unknown field; allowed: {allowed}")
    for name in _FIELDS:
        if name not in entry:
            raise ContentError(file, f"{where}: {name}", "is missing")

    def text(name: str) -> str:
        value = entry[name]
        if not isinstance(value, str) or not value.strip():
            raise ContentError(file, f"{where}: {name}", "must be a non-empty string")
        return " ".join(value.split())

    def sized(name: str, low: int, high: int) -> str:
        """`text(name)`, refused unless it is `low`-`high` characters long."""
        value = text(name)
        if not low <= len(value) <= high:
            raise ContentError(
                file, f"{where}: {name}", f"must be {low}-{high} characters, not {len(value)}"
            )
        return value

    pid = text("id")
    if not SLUG.match(pid):
        raise ContentError(
            file, f"{where}: id", "must be the LeetCode slug (lowercase words joined by -)"
        )
    title = text("title")
    if len(title) > MAX_TITLE:
        raise ContentError(file, f"{where}: title", f"is longer than {MAX_TITLE} characters")
    url = text("url")
    own = str(entry.get("pattern", "")).strip().lower() == OWN_EXERCISE_PATTERN
    statement = None
    if own:
        if not pid.startswith("ml-"):
            raise ContentError(file, f"{where}: id", "an ml-coding exercise's id starts with 'ml-'")
        if not url.startswith("https://") or "leetcode.com" in url or " " in url:
            raise ContentError(
                file, f"{where}: url", "must be an https:// link to the reference documentation"
            )
        if entry.get("statement") is None:
            raise ContentError(file, f"{where}: statement", "is missing (the task to implement)")
        statement = sized("statement", MIN_STATEMENT, MAX_STATEMENT)
    else:
        m = URL.match(url)
        if m is None:
            raise ContentError(
                file, f"{where}: url", "must look like https://leetcode.com/problems/<slug>/"
            )
        if m.group(1) != pid:
            raise ContentError(
                file,
                f"{where}: url",
                f"names {m.group(1)!r} but the id is {pid!r}; they must agree",
            )
        if entry.get("statement") is not None:
            raise ContentError(
                file, f"{where}: statement", "only ml-coding exercises carry a statement"
            )
    difficulty = text("difficulty").lower()
    if difficulty not in DIFFICULTIES:
        raise ContentError(
            file, f"{where}: difficulty", f"{difficulty!r} is not one of {', '.join(DIFFICULTIES)}"
        )
    pattern = text("pattern").lower()
    if pattern not in PATTERNS:
        raise ContentError(
            file, f"{where}: pattern", f"{pattern!r} is not one of {', '.join(PATTERNS)}"
        )
    premium = entry["premium"]
    if not isinstance(premium, bool):
        raise ContentError(file, f"{where}: premium", "must be true or false")
    hint = sized("hint", MIN_HINT, MAX_HINT)
    approach = None
    if entry.get("approach") is not None:
        approach = sized("approach", MIN_HINT, MAX_APPROACH)
    raw_tags = entry.get("tags", [])
    if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
        raise ContentError(file, f"{where}: tags", "must be a list of tag ids, e.g. [prefix-sum]")
    for tag in raw_tags:
        if tag not in TAGS:
            raise ContentError(file, f"{where}: tags", f"{tag!r} is not one of {', '.join(TAGS)}")
    if len(set(raw_tags)) != len(raw_tags):
        raise ContentError(file, f"{where}: tags", "lists a tag twice")
    return Problem(
        id=pid,
        title=title,
        url=url,
        difficulty=difficulty,
        pattern=pattern,
        premium=premium,
        hint=hint,
        approach=approach,
        tags=tuple(raw_tags),
        statement=statement,
    )


def load_problems(path: Path | None = None) -> ProblemSet:
    """Read and validate a problems file (the shipped one by default)."""
    file = path or PROBLEMS_FILE
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(file, "file", f"cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ContentError(file, "file", f"is not valid YAML: {exc}") from None
    return parse_problems(raw, file)


@functools.cache
def problem_set() -> ProblemSet:
    """The shipped problem set, loaded and validated once per process."""
    return load_problems()
