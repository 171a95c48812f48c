"""Slack text as Slack sends it: entities and control sequences are read back into what the
person typed before validation, and links we render cannot be given a false label."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack import blocks as bk
from bot.adapters.slack.text import decode_command_text, escape, link, unescape
from bot.commands.converters import validate_url
from bot.messages import Link, Message
from storage.resources import resource_suggestions
from tests.slack import test_every_cog
from tests.slack.conftest import SlackBot
from tests.slack.test_http_mode import texts

MEMBER = test_every_cog.MEMBER
full_bot = test_every_cog.full_bot  # the fixture: every cog installed

# -- reading what Slack sends ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("<https://x.org/?a=1&amp;b=2>", "https://x.org/?a=1&b=2"),
        ("<https://x.org/a|x.org/a> course", "https://x.org/a course"),
        ('"Tips &amp; tricks" &lt;3', '"Tips & tricks" <3'),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        ("to <#C123|general> as <@U42>", "to <#C123|general> as <@U42>"),
        ("<!here> hi", "<!here> hi"),
        ("<mailto:a@b.org|a@b.org>", "mailto:a@b.org"),
    ],
)
def test_decode_command_text(sent: str, typed: str) -> None:
    assert decode_command_text(sent) == typed


_plain = st.text(max_size=200)


@given(_plain)
def test_whatever_is_typed_survives_slacks_escaping(typed: str) -> None:
    assert decode_command_text(escape(typed)) == typed


@given(st.text(alphabet="abcxyz0123456789/?=&%#.-_~;:", max_size=80), _plain)
def test_a_linked_address_comes_back_as_typed(path: str, label: str) -> None:
    url = "https://example.org/" + path
    assert decode_command_text(f"<{escape(url)}>") == url
    assert decode_command_text(f"see <{escape(url)}|{escape(label)}> now") == f"see {url} now"


# -- links we write ---------------------------------------------------------------------------


def slack_links(mrkdwn: str) -> list[tuple[str, str]]:
    """How Slack reads `<url|label>` sequences: split at the first `|`, then unescape."""
    found = []
    for inner in re.findall(r"<([^<>]*)>", mrkdwn):
        url, _, label = inner.partition("|")
        found.append((unescape(url), unescape(label)))
    return found


@given(st.text(max_size=80), _plain)
def test_a_rendered_link_shows_exactly_its_label(path: str, label: str) -> None:
    url = "https://example.org/" + path
    assert slack_links(link(url, label)) == [(url.replace("|", "%7C"), label)]


def test_a_spoofing_address_or_label_stays_one_link() -> None:
    message = Message(
        title="Real title",
        url="https://good.example/a|Click me>now<https://evil.example|Bank",
        links=(Link("Docs> <https://evil.example|x", "https://good.example/docs"),),
    )
    blocks = bk.render_blocks(message)
    title = slack_links(blocks[0]["text"]["text"])
    assert title == [
        ("https://good.example/a%7CClick me>now<https://evil.example%7CBank", "Real title")
    ]
    docs = slack_links(blocks[-1]["text"]["text"])
    assert docs == [("https://good.example/docs", "Docs> <https://evil.example|x")]


@pytest.mark.parametrize("url", ["https://x.org/a|b", "https://x.org/<b>", "https://x.org/a>b"])
def test_addresses_with_link_characters_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=re.escape("must not contain `|`, `<` or `>`")):
        validate_url(url)


# -- through the real app ---------------------------------------------------------------------


async def suggestions(bot: SlackBot) -> list[tuple[str, str]]:
    async with bot.app.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(resource_suggestions.c.url, resource_suggestions.c.title)
        )
        return [(r.url, r.title) for r in rows]


async def test_a_suggested_address_with_a_query_is_stored_as_typed(full_bot: SlackBot) -> None:
    # What Slack sends for: /resource suggest https://example.org/course?a=1&b=2 "Tips & tricks"…
    sent = '<https://example.org/course?a=1&amp;b=2> "Tips &amp; tricks" course mlops'
    status, body = await full_bot.command("/resource", f"suggest {sent}", user=MEMBER, name="bea")
    await full_bot.adapter.idle()
    assert status == 200, body
    assert await suggestions(full_bot) == [("https://example.org/course?a=1&b=2", "Tips & tricks")]


async def test_an_address_with_angle_brackets_is_refused_kindly(full_bot: SlackBot) -> None:
    # The person typed https://example.org/<x>; Slack sends the brackets as entities.
    sent = 'https://example.org/&lt;x&gt; "A course" course mlops'
    _, body = await full_bot.command("/resource", f"suggest {sent}", user=MEMBER, name="bea")
    await full_bot.adapter.idle()
    assert "must not contain `|`, `<` or `>`" in unescape(texts(body))
    assert await suggestions(full_bot) == []
