"""Slack command names and the prefix rewriting of command mentions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.naming import command_renamer, rename_commands, unchanged
from bot.messages import Field, Message, Section

GROUPS = ["help", "resource", "dsa"]


def test_mentions_are_prefixed_but_urls_and_longer_words_are_not() -> None:
    rename = command_renamer(GROUPS, "ml-")
    text = "Type `/help resource` or /resource, not https://x.org/help, /helpful, /dsa-x (/dsa)"
    assert rename(text) == (
        "Type `/ml-help resource` or /ml-resource, not https://x.org/help, /helpful, /dsa-x "
        "(/ml-dsa)"
    )


def test_no_prefix_changes_nothing() -> None:
    assert command_renamer(GROUPS, "") is unchanged
    message = Message(body="/help")
    assert rename_commands(message, unchanged) is message


def test_every_text_of_a_message_is_renamed() -> None:
    rename = command_renamer(GROUPS, "ml-")
    message = Message(
        title="/help",
        body="/dsa",
        sections=(Section("/resource", "/help"),),
        fields=(Field("/dsa", "/dsa"),),
        footer="/help",
    )
    out = rename_commands(message, rename)
    assert out.plain_text().count("/ml-") == message.plain_text().count("/")


@given(st.text())
def test_renaming_only_inserts_the_prefix(text: str) -> None:
    renamed = command_renamer(GROUPS, "ml-")(text)
    assert renamed.replace("/ml-", "/") == text.replace("/ml-", "/")
