"""The Slack/console text syntax: tokens, paths, positional, key:value and quoted values."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.errors import UsageError
from bot.commands.registry import Command, CommandRegistry, Option, OptionType
from bot.commands.textsyntax import invocation_target, parse_line, tokenize


async def _noop(ctx: object, **kw: object) -> None:
    return None


def registry() -> CommandRegistry:
    reg = CommandRegistry()
    reg.add(
        Command(
            ("resource", "search"),
            "Search",
            _noop,
            (
                Option("query", OptionType.STRING, "What", required=True, rest=True),
                Option("level", OptionType.STRING, "Level"),
                Option("free_only", OptionType.BOOLEAN, "Free"),
            ),
        )
    )
    reg.add(
        Command(
            ("resource", "show"),
            "Show",
            _noop,
            (Option("id", OptionType.STRING, "Id", required=True),),
        )
    )
    reg.add(
        Command(
            ("schedule", "digest"),
            "Digest",
            _noop,
            (
                Option("channel", OptionType.CHANNEL, "Where", required=True),
                Option("day", OptionType.WEEKDAY, "Day", required=True),
                Option("time", OptionType.TIME, "Time", required=True),
            ),
        )
    )
    reg.add(
        Command(("help",), "Help", _noop, (Option("command", OptionType.STRING, "Cmd", rest=True),))
    )
    return reg


def test_quoted_value_and_key_value() -> None:
    parsed = parse_line('/resource search "feature stores" level:beginner', registry())
    assert parsed.path == ("resource", "search")
    assert parsed.options == {"query": "feature stores", "level": "beginner"}


def test_rest_option_swallows_unquoted_words() -> None:
    parsed = parse_line("resource search feature stores free_only:yes", registry())
    assert parsed.options == {"query": "feature stores", "free_only": "yes"}


def test_key_with_quoted_value_and_smart_quotes() -> None:
    parsed = parse_line("/resource search query:“ml ops” level:'very advanced'", registry())
    assert parsed.options == {"query": "ml ops", "level": "very advanced"}


def test_url_is_not_mistaken_for_key() -> None:
    parsed = parse_line("/resource show https://example.com/a", registry())
    assert parsed.options == {"id": "https://example.com/a"}


def test_positional_fill_in_order() -> None:
    parsed = parse_line("/schedule digest #tips mon 09:00", registry())
    assert parsed.options == {"channel": "#tips", "day": "mon", "time": "09:00"}


def test_group_alone_runs_group_help() -> None:
    parsed = parse_line("/resource", registry())
    assert parsed.command is None
    assert invocation_target(parsed) == (("help",), {"command": "resource"})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/resorce search x", "There is no command /resorce"),
        ("/resource serch x", "/resource has no subcommand `serch`"),
        ('/resource search "unclosed', "never closed"),
        ("/resource show a b", "I don't know what to do with `b`"),
        ("/resource search x level:a level:b", "`level` is given twice"),
        ("/resource search " + "x" * 5000, "the limit is 4000"),
    ],
)
def test_usage_errors_name_the_mistake(line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_line(line, registry())
    assert message in str(info.value)


safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\"'“”‘’„«»"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s)


@given(safe_text)
def test_any_quoted_value_round_trips(value: str) -> None:
    assert [t.text for t in tokenize(f'"{value}"')] == [value]


@given(st.text(max_size=200))
def test_tokenizer_never_crashes(line: str) -> None:
    with contextlib.suppress(UsageError):
        parse_line(line, registry())


@pytest.mark.parametrize(
    ("line", "query"),
    [
        ("/resource search o'reilly", "o'reilly"),
        ("/resource search chip huyen's book", "chip huyen's book"),
        ("/resource search 'chip huyen's book'", "chip huyen's book"),
        ("/resource search 'tis the season", "'tis the season"),
        ("/resource search Don't miss it", "Don't miss it"),
        ("/resource search rock ’n’ roll", "rock ’n’ roll"),
    ],
)
def test_a_quote_inside_a_word_is_a_character(line: str, query: str) -> None:
    assert parse_line(line, registry()).options["query"] == query


def test_unknown_option_name_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        parse_line("/resource search pytorch foo:bar", registry())
    text = str(info.value)
    assert "/resource search has no option `foo`" in text
    assert "Its options: query, level, free_only." in text
    assert '"foo:bar"' in text  # how to search for it anyway


@pytest.mark.parametrize(
    ("line", "query"),
    [
        ("/resource search https://example.com/a?b=c", "https://example.com/a?b=c"),
        ("/resource search mailto:ana@example.com", "mailto:ana@example.com"),
        ("/resource search Note: pytorch", "Note: pytorch"),
        ('/resource search "foo:bar"', "foo:bar"),
        ("/resource search arxiv:2301.00001", "arxiv:2301.00001"),
    ],
)
def test_values_holding_a_colon_stay_values(line: str, query: str) -> None:
    assert parse_line(line, registry()).options["query"] == query


def test_a_missing_argument_is_named_instead_of_shifting_the_others() -> None:
    with pytest.raises(UsageError) as info:
        parse_line("/schedule digest mon 09:00", registry())
    assert "`channel` is missing (Where)" in str(info.value)
    with pytest.raises(UsageError) as info:
        parse_line("/schedule digest #tips 09:00", registry())
    assert "`day` is missing (Day)" in str(info.value)
    with pytest.raises(UsageError) as info:
        parse_line("/schedule digest #tips mon", registry())
    assert "`time` is missing" in str(info.value)


def test_values_that_fit_no_alignment_are_left_to_the_converters() -> None:
    # two values, neither a weekday nor a time: the converter will name the bad one
    parsed = parse_line("/schedule digest #tips someday", registry())
    assert parsed.options == {"channel": "#tips", "day": "someday"}


words = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="'’-."),
    min_size=1,
    max_size=12,
).filter(lambda w: w[0] not in "'’")


@given(st.lists(words, min_size=1, max_size=8))
def test_words_with_inner_apostrophes_round_trip(parts: list[str]) -> None:
    """Words that do not start with a quote come back exactly, apostrophes included."""
    parsed = parse_line("/resource search " + " ".join(parts), registry())
    assert parsed.options["query"] == " ".join(parts)


@given(safe_text, st.sampled_from(["level", "free_only"]))
def test_quoted_key_values_round_trip(value: str, key: str) -> None:
    parsed = parse_line(f'/resource search x {key}:"{value}"', registry())
    assert parsed.options[key] == value


@given(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
        lambda k: (
            k not in {"query", "level", "free_only", "https", "http"}
            and k not in {"mailto", "urn", "doi", "arxiv", "isbn", "tel", "data", "javascript"}
            and k not in {"file", "about"}
        )
    ),
    st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
)
def test_any_unknown_key_is_refused(key: str, value: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_line(f"/resource search pytorch {key}:{value}", registry())
    assert f"has no option `{key}`" in str(info.value)
