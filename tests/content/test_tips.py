"""The tips library: errors name file and field; the shipped tips are complete and distinct."""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable
from collections.abc import Set as AbstractSet
from datetime import date
from pathlib import Path

import pytest

from content import ContentError
from content.tips import MAX_BODY, default_library, load_tips, parse_tip

GOOD = """---
id: good-tip
title: A tip with a clear title
topics: [testing, python]
try_this_week: >-
  Do the concrete thing once.
resources: [pytest-docs]
last_reviewed: 2026-12-05
---
{body}
"""
BODY = "A concrete body. " * 20


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_parses() -> None:
    tip = parse_tip(GOOD.format(body=BODY), "good-tip.md", known_resources={"pytest-docs"})
    assert tip.id == "good-tip"
    assert tip.topics == ("testing", "python")
    assert tip.resources == ("pytest-docs",)
    assert tip.try_this_week == "Do the concrete thing once."
    assert tip.body == BODY.strip()
    assert tip.last_reviewed == date(2026, 12, 5)
    quoted = GOOD.format(body=BODY).replace("2026-12-05", '"2026-12-05"')
    assert parse_tip(quoted, "good-tip.md").last_reviewed == date(2026, 12, 5)


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (lambda t: t.replace("title: A tip with a clear title\n", ""), "title", "is required"),
        (lambda t: t.replace("topics: [testing, python]", "topics: []"), "topics", "required"),
        (lambda t: t.replace("id: good-tip", "id: Good_Tip"), "id", "lowercase"),
        (lambda t: t.replace("id: good-tip", "id: other-tip"), "id", "file name"),
        (lambda t: t.replace("[pytest-docs]", "[no-such-thing]"), "resources", "catalog"),
        (lambda t: t.replace("[testing, python]", "[testing, testing]"), "topics", "twice"),
        (lambda t: t.replace("[testing, python]", "[testing, cooking]"), "topics", "cooking"),
        (lambda t: t.replace("resources:", "colour: blue\nresources:"), "colour", "not a tip"),
        (lambda t: t.replace("topics: [testing, python]", "topics: {a: 1}"), "topics", "list"),
        (lambda t: t.replace(BODY, "Too short."), "body", "at least"),
        (lambda t: t.replace(BODY, "x " * (MAX_BODY)), "body", "limit"),
        (lambda t: t.replace("---\nid", "id", 1), "front matter", "---"),
        (lambda t: t.replace("topics: [testing, python]", "topics: [oops"), "front matter", "YAML"),
        (lambda t: t.replace("last_reviewed: 2026-12-05\n", ""), "last_reviewed", "required"),
        (lambda t: t.replace("2026-12-05", "last week"), "last_reviewed", "date like"),
        (lambda t: t.replace("2026-12-05", "2026-12-05T10:00:00"), "last_reviewed", "time"),
    ],
)
def test_errors_name_the_file_and_the_field(edit, field: str, problem: str) -> None:
    text = edit(GOOD.format(body=BODY))
    with pytest.raises(ContentError) as err:
        parse_tip(
            text,
            "good-tip.md",
            known_resources={"pytest-docs"},
            known_topics={"testing", "python"},
        )
    assert err.value.where == field
    assert str(err.value).startswith(f"good-tip.md: {field}: ")
    assert problem in err.value.problem


def test_loading_a_directory_names_the_bad_file(tmp_path: Path) -> None:
    write(tmp_path, "good-tip.md", GOOD.format(body=BODY))
    write(
        tmp_path,
        "bad-tip.md",
        GOOD.format(body=BODY)
        .replace("id: good-tip", "id: bad-tip")
        .replace("try_this_week: >-\n  Do the concrete thing once.\n", ""),
    )
    with pytest.raises(ContentError, match=r"^bad-tip.md: try_this_week: is required"):
        load_tips(tmp_path)


def test_duplicate_titles_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, "good-tip.md", GOOD.format(body=BODY))
    write(tmp_path, "twin-tip.md", GOOD.format(body=BODY).replace("id: good-tip", "id: twin-tip"))
    with pytest.raises(ContentError, match=r"^twin-tip.md: title: is the same as .*good-tip.md"):
        load_tips(tmp_path)


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no tip files"):
        load_tips(tmp_path)


# -- the shipped library ---------------------------------------------------------------------


def test_shipped_library_has_more_than_a_year_of_tips() -> None:
    library = default_library()  # validated against the topics and the resource catalog
    assert len(library) >= 60
    assert len(set(library.ids())) == len(library)
    assert all(tip.resources for tip in library), "every tip links to the catalog"


def test_the_default_library_checks_resource_ids_against_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import content.tips as tips_module

    write(tmp_path, "good-tip.md", GOOD.format(body=BODY).replace("pytest-docs", "not-in-catalog"))
    monkeypatch.setattr(tips_module, "TIPS_DIR", tmp_path)
    tips_module.default_library.cache_clear()
    try:
        with pytest.raises(ContentError, match="not-in-catalog' is not in the resource catalog"):
            tips_module.default_library()
    finally:
        tips_module.default_library.cache_clear()


_STOP_WORDS = """
the a an and or of to in on for with is are be it that this you your as at by from not
if when what how than then but can will do does into its each their they more one before after use
"""
_STOP = frozenset(_STOP_WORDS.split())


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP]


def _jaccard(a: AbstractSet[Hashable], b: AbstractSet[Hashable]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def test_no_two_tips_are_near_duplicates() -> None:
    """Word-level similarity of every pair of bodies and titles stays well below copy level.

    The shipped tips peak at 0.06 (3-word phrases), 0.18 (vocabulary) and 0.25 (titles); a
    rewritten or pasted tip lands far above the thresholds.
    """
    library = list(load_tips())
    phrases = {
        t.id: {tuple(w[i : i + 3]) for i in range(len(w) - 2)}
        for t in library
        for w in [_words(t.body)]
    }
    vocab = {t.id: set(_words(t.body)) for t in library}
    titles = {t.id: set(_words(t.title)) for t in library}
    problems = []
    for a, b in itertools.combinations(library, 2):
        scores = (
            _jaccard(phrases[a.id], phrases[b.id]),
            _jaccard(vocab[a.id], vocab[b.id]),
            _jaccard(titles[a.id], titles[b.id]),
        )
        if scores[0] > 0.15 or scores[1] > 0.35 or scores[2] > 0.5:
            problems.append(f"{a.id} ~ {b.id}: {scores}")
    assert problems == []


def test_the_similarity_check_catches_a_reworded_copy() -> None:
    library = list(load_tips())
    original = library[0]
    copy = original.body.replace("the ", "your ").replace(".", "!")
    a, b = set(_words(original.body)), set(_words(copy))
    assert _jaccard(a, b) > 0.35


#: Areas the issue requires, each as (topic tags a tip may carry, words its text must contain).
REQUIRED_COVERAGE: dict[str, tuple[set[str], str]] = {
    "typing": ({"production-code", "python"}, r"type hints?|mypy"),
    "linting": ({"production-code", "python"}, r"\blint"),
    "formatting": ({"production-code", "python"}, r"format"),
    "unit tests": ({"testing"}, r"pytest|unit test"),
    "mocking": ({"testing"}, r"\bmock|patch"),
    "ci/cd": ({"ci-cd"}, r"\bCI\b|pipeline|workflow"),
    "cloud deployment": ({"cloud", "deployment"}, r"deploy"),
    "serving": ({"deployment"}, r"serv(e|ing|er)"),
    "command line": ({"command-line"}, r"."),
    "git": ({"git"}, r"\bgit\b"),
    "squashing": ({"git", "code-review"}, r"squash"),
    "pull requests": ({"git", "code-review"}, r"pull request"),
    "code review": ({"code-review"}, r"review"),
    "dsa for interviews": ({"dsa"}, r"interview"),
    "monitoring": ({"mlops", "monitoring"}, r"monitor"),
    "drift": ({"mlops", "monitoring"}, r"drift"),
    "retraining": ({"mlops"}, r"retrain"),
    "logging": ({"mlops", "monitoring", "production-code"}, r"\blog"),
    "a/b tests": ({"experimentation"}, r"A/B"),
    "shadow deployments": ({"mlops", "deployment"}, r"shadow"),
    "ml system design": ({"ml-system-design"}, r"."),
    "forecasting": ({"forecasting"}, r"forecast"),
    "optimisation": ({"optimization"}, r"optimi[sz]"),
    "nlp": ({"nlp"}, r"text|token"),
    "vision": ({"computer-vision"}, r"image"),
    "blogging": ({"writing", "portfolio"}, r"blog"),
    "portfolio": ({"portfolio"}, r"portfolio"),
    "interviews": ({"interviews"}, r"interview"),
    # issue 20's themes
    "cloud secrets and identity": ({"cloud"}, r"secret"),
    "infrastructure as code": ({"cloud"}, r"infrastructure as code"),
    "cloud cost": ({"cloud"}, r"budget"),
    "rollbacks": ({"ci-cd"}, r"rollback"),
    "staging and promotion": ({"ci-cd"}, r"staging"),
    "adversarial inputs": ({"machine-learning", "testing"}, r"adversar"),
    "data poisoning": ({"machine-learning", "data-engineering"}, r"poison"),
    "supply chain": ({"production-code", "python"}, r"pickle|typosquat"),
    "prompt injection": ({"llm"}, r"injection"),
    "llm inference cost": ({"llm"}, r"token"),
    "specialism": ({"career"}, r"speciali[sz]"),
    "pairing": ({"career", "production-code"}, r"pair"),
    "home lab": ({"docker", "kubernetes", "deployment"}, r"laptop"),
}


@pytest.mark.parametrize("area", sorted(REQUIRED_COVERAGE))
def test_required_topics_are_covered(area: str) -> None:
    tags, words = REQUIRED_COVERAGE[area]
    pattern = re.compile(words, re.IGNORECASE)
    matching = [
        t.id
        for t in load_tips()
        if tags & set(t.topics) and pattern.search(f"{t.title}\n{t.body}\n{t.try_this_week}")
    ]
    assert matching, f"no tip covers {area}"


#: Issue 20's themes: the tips written for each (at least three per theme), with the topic tags
#: one of which each carries and words its text must contain. The report and README cite these.
THEME_TIPS: dict[str, tuple[tuple[str, ...], set[str], str]] = {
    "cloud": (
        (
            "cloud-first-managed-container",
            "cloud-least-privilege-and-secrets",
            "cloud-object-storage-for-artefacts",
            "cloud-infrastructure-as-code-locally",
            "cloud-cost-guardrails",
        ),
        {"cloud"},
        r"cloud|bucket|terraform",
    ),
    "continuous delivery": (
        (
            "cd-build-once-promote-everywhere",
            "cd-staging-that-resembles-production",
            "cd-rehearse-the-rollback",
        ),
        {"ci-cd"},
        r"staging|rollback|promot",
    ),
    "typing": (
        (
            "typing-strict-one-module-at-a-time",
            "typing-protocols-for-swappable-models",
            "typing-literal-and-exhaustive-match",
            "typing-pick-dataclass-typeddict-or-pydantic",
        ),
        {"python", "production-code"},
        r"mypy|type checker|Protocol|Literal|TypedDict",
    ),
    "mocking": (
        (
            "mock-with-autospec",
            "mock-boundaries-fake-your-own-code",
            "mock-time-and-randomness-by-injection",
        ),
        {"testing"},
        r"\bmock|\bpatch|\bfake",
    ),
    "choosing and signalling a specialism": (
        ("choose-a-specialism-by-experiment", "signal-your-specialism", "t-shaped-not-narrow"),
        {"career"},
        r"speciali[sz]",
    ),
    "pairing with and learning from software engineers": (
        (
            "pair-with-a-software-engineer",
            "read-the-codebase-around-your-model",
            "turn-review-comments-into-habits",
        ),
        {"career", "production-code", "code-review"},
        r"\bengineer|review",
    ),
    "ml security": (
        (
            "test-models-against-adversarial-inputs",
            "guard-training-data-against-poisoning",
            "load-model-files-safely",
            "prompt-injection-is-untrusted-input",
        ),
        {"machine-learning", "production-code", "llm"},
        r"adversar|poison|pickle|injection",
    ),
    "llm serving and inference cost": (
        (
            "llm-serving-throughput-vs-latency",
            "llm-cost-is-tokens-times-price",
            "llm-try-the-smallest-model-that-passes",
        ),
        {"llm"},
        r"token|throughput|cost",
    ),
}


@pytest.mark.parametrize("theme", sorted(THEME_TIPS))
def test_each_issue_theme_has_at_least_three_tips(theme: str) -> None:
    ids, tags, words = THEME_TIPS[theme]
    by_id = {t.id: t for t in load_tips()}
    assert len(ids) >= 3
    for tid in ids:
        tip = by_id.get(tid)
        assert tip is not None, f"{theme}: {tid} is missing"
        assert tags & set(tip.topics), f"{theme}: {tid} has none of {sorted(tags)}"
        text = f"{tip.title}\n{tip.body}\n{tip.try_this_week}"
        assert re.search(words, text, re.IGNORECASE), f"{theme}: {tid} does not mention it"


#: Tips whose exercise assumes a production system or a team, each with its home-lab version.
HOME_LAB_FALLBACKS = (
    "ab-test-sample-size-first",
    "autoscale-on-the-right-signal",
    "canary-releases",
    "data-drift-vs-concept-drift",
    "shadow-deployments",
    "training-serving-skew",
    "log-every-prediction",
    "cost-per-prediction",
    "labels-arrive-late",
    "k8s-resource-requests",
    "readiness-vs-liveness-probes",
    "cd-build-once-promote-everywhere",
    "frame-requirements-first",
    "small-pull-requests",
    "review-others-code-well",
    "turn-review-comments-into-habits",
)
_NEEDS_PRODUCTION = re.compile(
    r"\bproduction\b|\blive (?:requests|traffic|product|model)|next (?:model )?release"
    r"|stakeholder|(?-i:Deployment)|\bpod\b|monthly instance cost|reviewer|gets reviewed"
    r"|your next review",
    re.IGNORECASE,
)
_HOME_LAB = re.compile(
    r"\bNo [\w ,'-]+\?|Working alone\?|\blaptop\b|\blocal(?:ly)?\b|\bkind\b|Compose"
    r"|public [\w -]*dataset|synthetic|simulat|open-source|this community",
    re.IGNORECASE,
)


def test_exercises_that_need_production_or_a_team_have_a_home_lab_version() -> None:
    tips = load_tips()
    by_id = {t.id: t for t in tips}
    needing = {t.id for t in tips if _NEEDS_PRODUCTION.search(t.try_this_week)}
    assert set(HOME_LAB_FALLBACKS) <= set(by_id)
    without = [
        tid
        for tid in sorted(needing | set(HOME_LAB_FALLBACKS))
        if not _HOME_LAB.search(by_id[tid].try_this_week)
    ]
    assert without == [], f"give these a version a learner can do alone: {without}"
    assert len([t for t in tips if t.id.startswith("home-lab-")]) >= 10
