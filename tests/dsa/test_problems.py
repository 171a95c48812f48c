"""The shipped problem set and the loader's validation errors."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from content import ContentError
from content.problems import (
    DIFFICULTIES,
    PATTERNS,
    TAGS,
    load_problems,
    parse_problems,
    problem_set,
)

VALID: dict[str, Any] = {
    "id": "two-sum",
    "title": "Two Sum",
    "url": "https://leetcode.com/problems/two-sum/",
    "difficulty": "easy",
    "pattern": "arrays-hashing",
    "premium": False,
    "hint": "Each number implies one partner value; how do you find it in constant time?",
}


def test_shipped_set_is_large_and_covers_every_pattern_and_difficulty() -> None:
    problems = problem_set()
    assert len(problems) >= 150
    by_pattern = Counter(p.pattern for p in problems)
    assert set(by_pattern) == set(PATTERNS)
    assert min(by_pattern.values()) >= 3
    assert set(Counter(p.difficulty for p in problems)) == set(DIFFICULTIES)
    for p in problems:
        if p.pattern == "ml-coding":
            assert p.id.startswith("ml-") and p.statement and p.url.startswith("https://")
        else:
            assert p.url == f"https://leetcode.com/problems/{p.id}/" and p.statement is None


def test_lookups_by_id_title_and_url() -> None:
    problems = problem_set()
    assert problems.find("two-sum") is problems.get("two-sum")
    assert problems.find("  TWO SUM ") is problems.get("two-sum")
    assert problems.find("https://leetcode.com/problems/two-sum/description/") is problems.get(
        "two-sum"
    )
    assert problems.find("no such problem") is None
    assert problems.search("two sum")[0].id == "two-sum"
    found = [p.id for p in problems.search("two sum")]
    assert found[:2] == ["two-sum", "two-sum-ii-input-array-is-sorted"]


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        ({"url": "https://leetcode.com/problems/three-sum/"}, "url", "id is 'two-sum'"),
        ({"url": "https://example.com/problems/two-sum/"}, "url", "leetcode.com/problems"),
        ({"url": "https://leetcode.com/problems/two-sum"}, "url", "leetcode.com/problems"),
        ({"difficulty": "tricky"}, "difficulty", "easy, medium, hard"),
        ({"pattern": "magic"}, "pattern", "not one of"),
        ({"premium": "no"}, "premium", "true or false"),
        ({"hint": "short"}, "hint", "characters"),
        ({"title": ""}, "title", "non-empty"),
        ({"id": "Two Sum"}, "id", "slug"),
        ({"extra": 1}, "extra", "unknown field"),
        ({"approach": "too short"}, "approach", "characters"),
        ({"tags": ["magic"]}, "tags", "not one of"),
        ({"tags": "prefix-sum"}, "tags", "list"),
        ({"tags": ["prefix-sum", "prefix-sum"]}, "tags", "twice"),
    ],
)
def test_invalid_entry_names_the_entry_and_field(
    change: dict[str, Any], where: str, problem: str
) -> None:
    bad = {**VALID, **change}
    with pytest.raises(ContentError) as err:
        parse_problems([bad], "problems.yaml")
    message = str(err.value)
    assert message.startswith("problems.yaml: problem 1")
    assert f": {where}:" in message
    assert problem in message


def test_missing_field_and_duplicates() -> None:
    missing = {k: v for k, v in VALID.items() if k != "hint"}
    with pytest.raises(ContentError, match=r"problem 1 \(two-sum\): hint: is missing"):
        parse_problems([missing])
    with pytest.raises(ContentError, match=r"problem 2 \(two-sum\): id: duplicates problem 1"):
        parse_problems([VALID, copy.deepcopy(VALID)])
    other = {
        **VALID,
        "id": "two-sum-ii",
        "url": "https://leetcode.com/problems/two-sum-ii/",
        "title": "two sum",
    }
    with pytest.raises(ContentError, match="title: duplicates problem 1"):
        parse_problems([VALID, other])
    with pytest.raises(ContentError, match="top level"):
        parse_problems({"id": "x"})


def test_bad_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"broken\.yaml: file: is not valid YAML"):
        load_problems(path)
    path.write_text(yaml.safe_dump([{**VALID, "difficulty": "hard-ish"}]), encoding="utf-8")
    with pytest.raises(ContentError, match=r"broken.yaml: problem 1 \(two-sum\): difficulty"):
        load_problems(path)


def test_optional_approach_and_tags_parse() -> None:
    plain = parse_problems([VALID], "p.yaml").get("two-sum")
    assert plain is not None and plain.approach is None and plain.tags == ()
    rich = {
        **VALID,
        "approach": "Keep a dict from value to index; look up target minus x.",
        "tags": ["prefix-sum"],
    }
    problem = parse_problems([rich], "p.yaml").get("two-sum")
    assert problem is not None
    assert problem.approach == rich["approach"]
    assert problem.tags == ("prefix-sum",)


def test_shipped_two_level_hints_tags_and_sql_track() -> None:
    problems = problem_set()
    assert len(problems) >= 190
    # the hints that used to state the whole method are nudges now, with the method on request
    for pid in ("rotate-image", "single-number", "word-search-ii", "reconstruct-itinerary"):
        problem = problems.get(pid)
        assert problem is not None and problem.approach, pid
        assert problem.hint != problem.approach
    # the hints named in issue 20 (and a few more that gave the method away) name no method
    method_words = {
        "longest-palindromic-substring": r"centre|center|expand|middle",
        "palindromic-substrings": r"centre|center|expand|middle",
        "rotate-image": r"transpose|reflect|reverse",
        "reconstruct-itinerary": r"euler|hierholzer|reverse",
        "sliding-window-maximum": r"deque|monotonic",
        "single-number": r"xor|\^",
        "missing-number": r"xor|sum",
        "word-search-ii": r"trie|prefix tree",
        "product-of-array-except-self": r"left of|right of|prefix|suffix",
        "walls-and-gates": r"bfs|breadth",
        "01-matrix": r"bfs|breadth",
        "word-search": r"dfs|depth-first|unmark",
        "rotting-oranges": r"bfs|breadth|queue",
        "maximum-product-subarray": r"minimum|\bmin\b",
        "partition-labels": r"last index|pushing",
        "minimum-number-of-arrows-to-burst-balloons": r"\bsort",
        "set-matrix-zeroes": r"first row|first column",
        "longest-increasing-subsequence": r"binary search|tails",
    }
    for pid, words in method_words.items():
        problem = problems.get(pid)
        assert problem is not None and problem.approach, pid
        assert not re.search(words, problem.hint, re.IGNORECASE), (pid, problem.hint)
        assert re.search(words, problem.approach, re.IGNORECASE), (pid, problem.approach)
    # pattern labels agree with their hints
    assert problems.get("generate-parentheses").pattern == "backtracking"  # type: ignore[union-attr]
    for pid in ("longest-palindromic-substring", "palindromic-substrings"):
        assert problems.get(pid).pattern == "two-pointers"  # type: ignore[union-attr]
    # every finer tag is in use and filters like a pattern
    for tag in TAGS:
        tagged = problems.matching(patterns={tag})
        assert len(tagged) >= 3, tag
        assert all(tag in p.tags for p in tagged)
    assert {p.id for p in problems.matching(patterns={"topological-sort"})} >= {
        "course-schedule",
        "alien-dictionary",
    }
    assert len(problems.matching(patterns={"sql"})) >= 20


OWN = {
    "id": "ml-softmax",
    "title": "Softmax",
    "url": "https://example.org/docs/softmax",
    "difficulty": "easy",
    "pattern": "ml-coding",
    "premium": False,
    "statement": (
        "Write softmax(z) in NumPy returning probabilities along the last axis, with no overflow."
    ),
    "hint": "What constant can you subtract from every input without changing the result?",
}


def test_own_ml_coding_exercises_need_a_statement_and_a_docs_link() -> None:
    problem = parse_problems([OWN], "p.yaml").get("ml-softmax")
    assert (
        problem is not None and problem.statement and problem.pattern_name.startswith("ML coding")
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"statement": None}, "statement", "missing"),
        ({"statement": "too short"}, "statement", "characters"),
        ({"id": "softmax"}, "id", "starts with 'ml-'"),
        ({"url": "https://leetcode.com/problems/softmax/", "id": "ml-softmax"}, "url", "reference"),
    ]
    for change, where, text in cases:
        bad = {k: v for k, v in {**OWN, **change}.items() if v is not None}
        with pytest.raises(ContentError, match=f": {where}: .*{text}"):
            parse_problems([bad], "p.yaml")
    with pytest.raises(ContentError, match="only ml-coding exercises carry a statement"):
        parse_problems([{**VALID, "statement": OWN["statement"]}], "p.yaml")
    assert len(problem_set().matching(patterns={"ml-coding"})) >= 8
