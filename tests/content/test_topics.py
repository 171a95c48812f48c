"""The shared topic vocabulary: canonical ids, names, aliases and how typed text resolves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from content import content_path
from content.resources import shipped_resources
from content.topics import TOPIC_IDS, TOPICS, get_topic, resolve_topic, suggest_topic, topic_key


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("k8s", "kubernetes"),
        ("K8S", "kubernetes"),
        ("dsa", "dsa"),
        ("Data Structures and Algorithms", "dsa"),
        ("LLMs", "llm"),
        ("cv", "computer-vision"),
        ("Computer Vision", "computer-vision"),
        ("computer_vision", "computer-vision"),
        ("MLOps", "mlops"),
        ("ml ops", "mlops"),
        ("CI/CD", "ci-cd"),
        ("ci cd", "ci-cd"),
        ("A/B testing", "experimentation"),
        ("time series", "forecasting"),
        ("  rl  ", "reinforcement-learning"),
    ],
)
def test_resolve_accepts_ids_names_and_aliases(typed: str, expected: str) -> None:
    assert resolve_topic(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "!!!", "cooking", "kubernets"])
def test_resolve_rejects_unknown_words(typed: str) -> None:
    assert resolve_topic(typed) is None


def test_suggest_finds_near_misses() -> None:
    assert suggest_topic("kubernets") == "kubernetes"
    assert suggest_topic("statistcs") == "statistics"
    assert suggest_topic("cooking") is None


def test_vocabulary_is_consistent() -> None:
    assert len(TOPIC_IDS) == len(TOPICS)
    for topic in TOPICS:
        assert topic.id == topic.id.lower() and " " not in topic.id
        assert get_topic(topic.id) is topic
        assert resolve_topic(topic.name) == topic.id
        for alias in topic.aliases:
            assert resolve_topic(alias) == topic.id, alias
    assert topic_key("  CI/CD ") == "ci cd"


def test_every_topic_is_used_by_some_resource() -> None:
    used = {t for r in shipped_resources() for t in r.topics}
    assert used == TOPIC_IDS


def _front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path.name
    data = yaml.safe_load(text.split("---\n", 2)[1])
    assert isinstance(data, dict), path.name
    return data


def test_tips_use_known_topics_and_resource_ids() -> None:
    tips = sorted(content_path("tips").glob("*.md"))
    assert tips
    ids = {r.id for r in shipped_resources()}
    for path in tips:
        meta = _front_matter(path)
        topics = meta.get("topics")
        assert isinstance(topics, list) and topics, path.name
        unknown = [t for t in topics if t not in TOPIC_IDS]
        assert not unknown, f"{path.name}: unknown topics {unknown}"
        refs = meta.get("resources") or []
        assert isinstance(refs, list)
        missing = [r for r in refs if r not in ids]
        assert not missing, f"{path.name}: unknown resource ids {missing}"
