"""The resource catalog loader: the shipped file is valid; errors name file, entry and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import ContentError
from content.resources import (
    COSTS,
    LEVELS,
    RESOURCE_TYPES,
    check_url,
    load_resources,
    normalize_url,
    parse_resource,
    parse_resources,
    shipped_resources,
)


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "example-course",
        "title": "Example Course",
        "url": "https://example.org/course/",
        "type": "course",
        "topics": ["mlops", "python"],
        "level": "beginner",
        "cost": "free",
        "author": "Example Org",
        "description": "A course used by the tests.",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def error_of(data: Any) -> ContentError:
    with pytest.raises(ContentError) as info:
        parse_resources(data, file="resources.yaml")
    return info.value


def test_shipped_catalog_is_valid_and_large_enough() -> None:
    catalog = shipped_resources()
    assert len(catalog) >= 150
    assert {r.type for r in catalog} == set(RESOURCE_TYPES)
    assert {r.level for r in catalog} <= set(LEVELS)
    assert {r.cost for r in catalog} <= set(COSTS)
    assert len({r.normalized_url for r in catalog}) == len(catalog)


def test_shipped_catalog_names_what_the_community_asks_for() -> None:
    titles = " | ".join(r.title for r in shipped_resources()).casefold()
    for name in [
        "towards data science",
        "machine learning mastery",
        "software engineering daily",
        "o'reilly data show",
        "coursera",
        "edx",
        "udacity",
        "kaggle",
        "neetcode",
        "leetcode",
        "designing machine learning systems",
        "machine learning system design interview",
    ]:
        assert name in titles, name


def test_a_valid_entry_parses() -> None:
    resource = parse_resource(entry(), file="f.yaml", where="entry 1")
    assert resource.id == "example-course"
    assert resource.topics == ("mlops", "python")
    assert resource.type_name == "Course"
    assert resource.author == "Example Org"
    assert parse_resource(entry(author=None), file="f.yaml", where="entry 1").author is None
    assert resource.last_reviewed is None  # optional for resources added at run time
    reviewed = parse_resource(entry(last_reviewed=date(2026, 12, 5)), file="f", where="entry 1")
    assert reviewed.last_reviewed == date(2026, 12, 5)


def test_every_shipped_entry_has_a_review_date() -> None:
    assert all(r.last_reviewed is not None for r in shipped_resources())


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"type": "video"}, "type", "is not one of: course"),
        ({"level": "expert"}, "level", "is not one of: beginner"),
        ({"cost": "cheap"}, "cost", "is not one of: free"),
        ({"topics": ["cooking"]}, "topics", "'cooking' is not a known topic id"),
        ({"topics": ["k8s"]}, "topics", "did you mean 'kubernetes'?"),
        ({"topics": ["mlops", "mlops"]}, "topics", "lists a topic twice"),
        ({"topics": "mlops"}, "topics", "must be a list"),
        ({"topics": ["ml", "dl", "cv", "rl", "sql", "git"]}, "topics", "the limit is 5"),
        ({"url": "ftp://example.org/x"}, "url", "must start with https:// or http://"),
        ({"url": "javascript:alert(1)"}, "url", "must start with https:// or http://"),
        ({"url": "https://user:pw@example.org/"}, "url", "user name or password"),
        ({"url": "https://localhost/"}, "url", "no valid host name"),
        ({"url": "https://exa mple.org/"}, "url", "must not contain spaces"),
        ({"id": "Bad Id"}, "id", "lowercase letters"),
        ({"title": "x" * 151}, "title", "the limit is 150"),
        ({"title": 42}, "title", "must be text"),
        ({"description": None}, "description", "is required"),
        ({"level": None}, "level", "is required"),
        ({"extra": 1}, "extra", "is not a resource field"),
        ({"last_reviewed": "soon"}, "last_reviewed", "must be a date like 2026-12-05"),
    ],
)
def test_entry_errors_name_file_entry_and_field(
    changes: dict[str, Any], field: str, problem: str
) -> None:
    err = error_of([entry(id="first", url="https://a.example.org/"), entry(**changes)])
    assert str(err).startswith("resources.yaml: entry 2")
    assert f"field '{field}'" in err.where
    assert problem in err.problem


def test_aliases_are_not_accepted_in_files_but_suggested() -> None:
    err = error_of([entry(topics=["dsa", "LLMs"])])
    assert "did you mean 'llm'?" in str(err)


def test_duplicate_ids_are_rejected() -> None:
    err = error_of([entry(), entry(url="https://other.example.org/")])
    assert err.where == "entry 2 (example-course): field 'id'"
    assert "duplicates the id of entry 1" in err.problem


@pytest.mark.parametrize(
    "same",
    [
        "http://www.example.org/course",
        "https://EXAMPLE.org:443/course/#intro",
        "https://example.org/course?utm_source=x",
    ],
)
def test_duplicate_pages_are_rejected_by_normalised_url(same: str) -> None:
    err = error_of([entry(), entry(id="again", url=same)])
    assert err.where == "entry 2 (again): field 'url'"
    assert "same page as entry 1" in err.problem


def test_top_level_must_be_a_list_of_mappings() -> None:
    assert "must be a list" in str(error_of({"id": "x"}))
    assert "must be a mapping" in str(error_of(["just text"]))


def test_load_reports_yaml_errors_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("- id: a\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_resources(path)
    assert str(info.value).startswith("broken.yaml: line ")
    with pytest.raises(ContentError, match="cannot be read"):
        load_resources(tmp_path / "missing.yaml")


def test_load_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "- id: a\n  title: A\n  url: https://a.example.org/\n  type: blog\n"
        "  topics: [python]\n  level: advanced\n  cost: paid\n  description: Words.\n",
        encoding="utf-8",
    )
    (resource,) = load_resources(path)
    assert (resource.id, resource.type, resource.cost) == ("a", "blog", "paid")


def test_check_url_limits() -> None:
    assert check_url("  https://example.org/x ") == "https://example.org/x"
    with pytest.raises(ValueError, match="longer than"):
        check_url("https://example.org/" + "a" * 2100)
    with pytest.raises(ValueError, match="empty"):
        check_url(" ")
    with pytest.raises(ValueError, match="malformed"):
        check_url("https://example.org:99999/")


_hosts = st.from_regex(r"[a-z][a-z0-9]{0,10}\.(org|com|io)", fullmatch=True)
_paths = st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True), max_size=4)
_params = st.dictionaries(
    st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True)
)


@given(_hosts, _paths, _params)
def test_normalised_url_ignores_presentation_details(
    host: str, path: list[str], params: dict[str, str]
) -> None:
    params = {k: v for k, v in params.items() if not k.startswith("utm")}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    reversed_query = "&".join(f"{k}={v}" for k, v in reversed(params.items()))
    base = f"https://{host}/{'/'.join(path)}" + (f"?{query}" if query else "")
    variant = (
        f"http://WWW.{host.upper()}:80/{'/'.join(path)}/"
        + (f"?{reversed_query}&utm_source=x" if query else "?utm_medium=y")
        + "#frag"
    )
    assert normalize_url(base) == normalize_url(variant)
    assert normalize_url("https://" + normalize_url(base)) == normalize_url(base)


def test_normalised_url_keeps_what_matters() -> None:
    assert normalize_url("https://example.org/a") != normalize_url("https://example.org/b")
    assert normalize_url("https://example.org/a?id=1") != normalize_url(
        "https://example.org/a?id=2"
    )
    assert normalize_url("https://example.org:8443/") == "example.org:8443"
    assert normalize_url("https://www.org/") == "www.org"
    assert normalize_url("https://www.www.org/") == "www.org"


#: Docs issue 20 asked for, each linked from at least one tip that uses the tool.
LINKED_DOCS = (
    "pydantic-docs",
    "hypothesis-docs",
    "pandera-docs",
    "locust-docs",
    "duckdb-docs",
    "gradio-docs",
    "timm-docs",
    "feast-docs",
    "featurestore-org",
    "statsforecast-docs",
    "keda-docs",
    "jq-manual",
    "terraform-docs",
)


def test_requested_docs_exist_and_tips_link_them() -> None:
    from content.tips import default_library

    ids = {r.id for r in shipped_resources()}
    linked = {rid for tip in default_library() for rid in tip.resources}
    for rid in (*LINKED_DOCS, "aws-skill-builder", "google-cloud-skills-boost"):
        assert rid in ids, rid
    assert "microsoft-learn-training" in ids
    assert [rid for rid in LINKED_DOCS if rid not in linked] == []
    for rid in ("oreilly-what-are-ml-engineers", "real-world-ml"):
        assert rid in ids
    # near-duplicates were merged; the old ids resolve to the entry that replaced them
    from content.resources import MERGED_RESOURCE_IDS

    assert not set(MERGED_RESOURCE_IDS) & ids
    assert set(MERGED_RESOURCE_IDS.values()) <= ids
    assert len(shipped_resources()) >= 230


#: Entries with no author on purpose: the site names no person or organisation behind it, and
#: we do not guess one.
NO_PUBLIC_AUTHOR = {"sqlbolt", "deep-ml"}


def test_every_entry_names_its_author_unless_none_is_public() -> None:
    missing = {r.id for r in shipped_resources() if not r.author}
    assert missing == NO_PUBLIC_AUTHOR


def test_renamed_and_changed_offers_are_described_as_they_are_now() -> None:
    by_id = {r.id: r for r in shipped_resources()}
    vertex = by_id["google-vertex-ai-docs"]
    assert "Gemini Enterprise Agent Platform" in vertex.title and "Vertex AI" in vertex.title
    assert "gemini-enterprise-agent-platform" in vertex.url
    # Coursera no longer lets everyone audit every course for free
    assert "audit for free" not in by_id["coursera"].description.casefold()
    assert by_id["coursera"].cost == "freemium"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("feature store", {"featurestore-org", "feast-docs"}),
        ("vertex ai", {"google-vertex-ai-docs"}),
        ("agent platform", {"google-vertex-ai-docs"}),
        ("pandera", {"pandera-docs"}),
        ("terraform", {"terraform-docs"}),
        ("real world ml", {"real-world-ml"}),
        ("what are machine learning engineers", {"oreilly-what-are-ml-engineers"}),
    ],
)
def test_issue_20s_additions_are_found_by_resource_search(query: str, expected: set[str]) -> None:
    from cogs.resources.search import SearchIndex

    hits = SearchIndex(shipped_resources()).search(query, limit=3).hits
    top = {h.resource.id for h in hits}
    assert expected <= top, (query, top)
