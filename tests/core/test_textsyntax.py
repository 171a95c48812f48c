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
