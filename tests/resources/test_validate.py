"""Checking typed resource fields: plain text only, topics, ids; merging community changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.errors import OptionError
from cogs.resources import validate
from cogs.resources.catalog import merge, resource_data, resource_from_data
from content.resources import shipped_resources
from storage.resources import CatalogChange


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("hello @everyone", "mentions"),
        ("hi @HERE", "mentions"),
        ("<@123> look", "mentions"),
        ("<@&42>", "mentions"),
        ("<!channel>", "mentions"),
        ("[free course](https://evil.example)", "without links"),
        ("see https://x.example.org", "without links"),
        ("www.example.org", "without links"),
        ("   ", "is empty"),
        ("x" * 151, "the limit is 150"),
    ],
)
def test_titles_must_be_plain_text(raw: str, problem: str) -> None:
    with pytest.raises(OptionError) as info:
        validate.title(raw)
    assert problem in str(info.value)
    assert info.value.option == "title"


def test_plain_titles_are_cleaned() -> None:
    assert validate.title("  Great \x00 course\n\tfor\u200b you ") == "Great course for you"
    assert validate.description(None) == "" and validate.description("  ") == ""
    assert validate.author(" ") is None


def test_topics_accept_ids_names_aliases_and_separators() -> None:
    assert validate.topics("mlops, python") == ("mlops", "python")
    assert validate.topics("k8s docker") == ("kubernetes", "docker")
    assert validate.topics("Time series, CI/CD, mlops, MLOps") == ("forecasting", "ci-cd", "mlops")
    with pytest.raises(OptionError, match="Did you mean `kubernetes`"):
        validate.topics("kubernets")
    with pytest.raises(OptionError, match="at least one"):
        validate.topics(" , ")
    with pytest.raises(OptionError, match="at most 5"):
        validate.topics("ml dl cv rl sql git")


def test_ids_and_slugs() -> None:
    assert validate.resource_id(" My-Course ") == "my-course"
    with pytest.raises(OptionError):
        validate.resource_id("no spaces")
    assert validate.slug("Café: The Course!", set()) == "cafe-the-course"
    assert validate.slug("A", {"a", "a-2"}) == "a-3"
    assert validate.slug("!!!", set()) == "resource"


@given(st.text(max_size=80), st.sets(st.text("ab-", max_size=4)))
def test_slugs_are_valid_and_fresh(title: str, taken: set[str]) -> None:
    new = validate.slug(title, taken)
    assert new not in taken
    assert validate.resource_id(new) == new


def test_merge_applies_edits_removals_and_additions() -> None:
    shipped = list(shipped_resources()[:3])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    edited = resource_data(shipped[1]) | {"title": "Edited"}
    added = resource_data(shipped[0]) | {"url": "https://new.example.org/", "description": ""}
    changes = [
        CatalogChange("brand-new", added, "mia", now),
        CatalogChange(shipped[0].id, None, "mia", now),
        CatalogChange(shipped[1].id, edited, "mia", now),
    ]
    merged = merge(shipped, changes)
    assert [r.id for r in merged] == [shipped[1].id, shipped[2].id, "brand-new"]
    assert merged[0].title == "Edited"
    assert merged[2].description == ""
    assert resource_from_data(shipped[2].id, resource_data(shipped[2])) == shipped[2]
