"""The relevance set (bench/search_relevance.yaml): hit@3 must stay at or above 90%."""

from __future__ import annotations

from bench.search import hit_at_3, relevance_cases
from cogs.resources.search import SearchIndex
from content.resources import shipped_resources
from content.topics import TOPIC_IDS


def test_relevance_set_is_large_and_valid() -> None:
    cases = relevance_cases()
    assert len(cases) >= 40
    ids = {r.id for r in shipped_resources()}
    for case in cases:
        assert case.expect in ids, case
        assert case.filters.topic in (None, *TOPIC_IDS)
    assert sum(c.filters.active for c in cases) >= 5


def test_hit_at_3_is_at_least_90_percent() -> None:
    rate, misses = hit_at_3(SearchIndex(shipped_resources()), relevance_cases())
    assert rate >= 0.9, "\n".join(misses)
