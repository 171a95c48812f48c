"""The search engine: weighting, typos, prefixes, synonyms, filters and hostile input."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.resources.search import (
    SearchFilters,
    SearchIndex,
    damerau_within,
    query_words,
    tokenize,
)
from content.resources import COSTS, LEVELS, RESOURCE_TYPES, Resource, shipped_resources
from content.topics import TOPIC_IDS


@cache
def shipped_index() -> SearchIndex:
    return SearchIndex(shipped_resources())


def res(rid: str, title: str, description: str = "Words.", **kw: object) -> Resource:
    fields: dict[str, object] = dict(
        id=rid,
        title=title,
        url=f"https://{rid}.example.org/",
        type="blog",
        topics=("python",),
        level="beginner",
        cost="free",
        description=description,
    )
    fields.update(kw)
    return Resource(**fields)  # type: ignore[arg-type]


def ids(index: SearchIndex, query: str, filters: SearchFilters | None = None) -> list[str]:
    return [h.resource.id for h in index.search(query, filters).hits]


def test_title_outweighs_topics_outweighs_description() -> None:
    index = SearchIndex(
        [
            res("in-description", "Alpha", "All about widgets."),
            res("in-topic", "Beta", topics=("kubernetes",)),
            res("in-title", "Widgets and kubernetes"),
        ]
    )
    # a word only in a description is too weak to show beside a title naming it
    assert ids(index, "widgets") == ["in-title"]
    assert ids(index, "kubernetes") == ["in-title", "in-topic"]
    alone = SearchIndex([res("in-description", "Alpha", "All about widgets.")])
    result = alone.search("widgets")
    assert [h.resource.id for h in result.hits] == ["in-description"] and result.weak
    assert not index.search("kubernetes").weak


def test_documents_matching_every_word_come_first() -> None:
    index = SearchIndex(
        [
            res("one-word", "Feature engineering", "feature feature feature"),
            res("both", "Stores", "A feature store explained."),
        ]
    )
    assert ids(index, "feature stores")[0] == "both"


def test_typos_are_tolerated() -> None:
    index = shipped_index()
    assert ids(index, "pytorh")[0].startswith("pytorch")
    assert "kubernetes-docs" in ids(index, "kubernets")
    assert "towards-data-science" in ids(index, "towrds data sciense")[:1]


def test_prefixes_match_while_typing() -> None:
    index = shipped_index()
    assert ids(index, "pyto")[0].startswith("pytorch")
    assert "statquest" in ids(index, "statq")
    assert "kubernetes-docs" in ids(index, "kubernetes doc")


def test_known_words_are_not_prefix_matched_unless_last() -> None:
    index = SearchIndex([res("a", "Testing tips"), res("b", "Test driven")])
    assert ids(index, "test driven")[0] == "b"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("k8s", "kubernetes-docs"),
        ("dsa", "neetcode-dsa-course"),
        ("sklearn", "scikit-learn-user-guide"),
        ("ddia", "designing-data-intensive-applications"),
        ("cv course", "stanford-cs231n"),
        ("llm course", "huggingface-llm-course"),
        ("mlops", "mlops-zoomcamp"),
    ],
)
def test_synonyms(query: str, expected: str) -> None:
    assert expected in ids(shipped_index(), query)


def test_filters_narrow_results() -> None:
    index = shipped_index()
    books = index.search("machine learning", SearchFilters(type="book"), limit=50)
    assert books.hits and all(h.resource.type == "book" for h in books.hits)
    advanced = index.search("learning", SearchFilters(level="advanced"), limit=50)
    assert all(h.resource.level == "advanced" for h in advanced.hits)
    free = index.search("course", SearchFilters(free_only=True), limit=50)
    assert free.hits and all(h.resource.cost == "free" for h in free.hits)
    topic = index.search("course", SearchFilters(topic="dsa"), limit=50)
    assert topic.hits and all("dsa" in h.resource.topics for h in topic.hits)
    unfiltered = index.search("course", limit=50)
    assert free.total < unfiltered.total
    assert index.search("course", SearchFilters(type="no-such-type")).total == 0


def test_total_counts_every_match_and_limit_bounds_hits() -> None:
    result = shipped_index().search("python", limit=5)
    assert len(result.hits) == 5
    assert result.total > 5


def test_matching_and_topic_counts() -> None:
    index = shipped_index()
    dsa = index.matching(SearchFilters(topic="dsa"))
    assert dsa and all("dsa" in r.topics for r in dsa)
    counts = index.topic_counts()
    assert counts["dsa"] == len(dsa)
    assert set(counts) == TOPIC_IDS
    assert index.get("leetcode") is not None and index.get("nope") is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "!!!???",
        "x" * 2000,
        "word " * 400,
        "'; DROP TABLE resources; --",
        'title:"pytorch" AND NOT (x OR y*) NEAR/3 z',
        "@everyone [click](https://evil.example/)",
        "\x00\u200b\ufeff",
    ],
)
def test_hostile_queries_do_not_crash(query: str) -> None:
    result = shipped_index().search(query)
    assert result.total >= len(result.hits)
    assert len(result.words) <= 8


def test_query_words_drop_stopwords_but_not_everything() -> None:
    assert query_words("The art of PyTorch") == ["art", "pytorch"]
    assert query_words("the") == ["the"]
    assert query_words("!!!") == []


def test_tokenize_folds_and_joins() -> None:
    assert tokenize("Scikit-Learn fast.ai Café") == [
        "scikit",
        "learn",
        "scikitlearn",
        "fast",
        "ai",
        "fastai",
        "cafe",
    ]


def _osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcd", max_size=8), st.text("abcd", max_size=8), st.integers(0, 3))
def test_damerau_within_agrees_with_the_full_table(a: str, b: str, limit: int) -> None:
    assert damerau_within(a, b, limit) == (_osa(a, b) <= limit)


_filters = st.builds(
    SearchFilters,
    type=st.none() | st.sampled_from(sorted(RESOURCE_TYPES)),
    topic=st.none() | st.sampled_from(sorted(TOPIC_IDS)),
    level=st.none() | st.sampled_from(LEVELS),
    free_only=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60), _filters, st.integers(1, 10))
def test_any_query_gives_ordered_filtered_bounded_results(
    query: str, filters: SearchFilters, limit: int
) -> None:
    result = shipped_index().search(query, filters, limit=limit)
    assert len(result.hits) <= limit
    assert result.total >= len(result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits:
        r = hit.resource
        assert filters.type in (None, r.type)
        assert filters.level in (None, r.level)
        assert filters.topic is None or filters.topic in r.topics
        assert not filters.free_only or r.cost == "free"
    assert COSTS  # the cost vocabulary the filter relies on exists


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(shipped_resources()))
def test_every_resource_is_found_by_its_own_title(resource: Resource) -> None:
    result = shipped_index().search(resource.title, limit=10)
    assert resource.id in [h.resource.id for h in result.hits]
