"""The Block Kit renderer keeps every Slack limit and loses no short content."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import blocks as bk
from bot.messages import Button, ButtonStyle, Field, Link, Message, Section, Tone


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def check_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= bk.MAX_BLOCKS
    action_ids: list[str] = []
    for block in blocks:
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= bk.MAX_SECTION_TEXT
            fields = block.get("fields", [])
            assert len(fields) <= bk.MAX_FIELDS
            assert all(len(f["text"]) <= bk.MAX_FIELD_TEXT for f in fields)
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= bk.MAX_HEADER
        elif block["type"] == "actions":
            assert 0 < len(block["elements"]) <= bk.MAX_ACTIONS
            for el in block["elements"]:
                assert 0 < len(el["text"]["text"]) <= bk.MAX_BUTTON_LABEL
                assert len(el["value"]) <= bk.MAX_BUTTON_VALUE
                action_ids.append(el["action_id"])
        elif block["type"] == "context":
            assert all(len(e["text"]) <= bk.MAX_SECTION_TEXT for e in block["elements"])
    assert len(action_ids) == len(set(action_ids)), "action_ids must be unique in a message"


def test_markdown_subset_becomes_mrkdwn() -> None:
    out = bk.to_mrkdwn("**bold** and *italic*, [docs](https://x.org/a_b) `**code**`\n- item")
    assert out == "*bold* and _italic_, <https://x.org/a_b|docs> `**code**`\n• item"


def test_fenced_code_is_left_alone() -> None:
    assert bk.to_mrkdwn("```\n**x** <y>\n```") == "```\n**x** &lt;y&gt;\n```"


def test_mentions_cannot_ping() -> None:
    out = bk.to_mrkdwn("hi <!everyone> and @here and <@U123>")
    assert "<!everyone>" not in out and "<@U123>" not in out
    assert "@here" not in out
    blocks = bk.render_blocks(Message(title="@channel news", body="x"))
    assert "@channel" not in blocks[0]["text"]["text"]
    long_title = bk.render_blocks(Message(title="@here " * 40))
    assert len(long_title[0]["text"]["text"]) <= bk.MAX_HEADER


def test_long_body_is_split_into_sections_without_losing_words() -> None:
    words = [f"word{i}" for i in range(2500)]
    body = " ".join(words)
    blocks = bk.render_blocks(Message(body=body))
    check_limits(blocks)
    assert len(blocks) > 1
    assert " ".join(section_texts(blocks)).split() == words


def test_split_prefers_paragraphs() -> None:
    para = "a" * 2000
    pieces = bk.split_text(f"{para}\n\n{para}", 3000)
    assert pieces == [para, para]


def test_too_much_content_is_cut_to_fifty_blocks_with_a_notice() -> None:
    message = Message(
        sections=tuple(Section(f"tip {i}", "text") for i in range(80)),
        footer="footer",
        buttons=(Button("More", "more", "1"),),
    )
    blocks = bk.render_blocks(message)
    check_limits(blocks)
    assert len(blocks) == bk.MAX_BLOCKS
    assert blocks[-1]["type"] == "actions" and blocks[-2]["type"] == "context"
    assert bk.TRIMMED_NOTICE in blocks[-3]["elements"][0]["text"]


def test_fields_are_grouped_ten_per_section() -> None:
    message = Message(fields=tuple(Field(f"f{i}", "v") for i in range(23)))
    blocks = bk.render_blocks(message)
    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]


def test_buttons_carry_action_and_value_and_get_unique_ids() -> None:
    message = Message(
        buttons=tuple(Button("Go" * 60, "act", "v", ButtonStyle.DANGER) for _ in range(30))
    )
    blocks = bk.render_blocks(message)
    check_limits(blocks)
    elements = [el for b in blocks for el in b["elements"]]
    assert len(elements) == 30
    assert elements[0]["style"] == "danger"
    assert bk.parse_button_value(elements[0]["value"]) == ("act", "v")


def test_title_with_url_and_tone() -> None:
    blocks = bk.render_blocks(
        Message(title="Issue #3", url="https://example.org/3", body="b", tone=Tone.WARNING)
    )
    assert blocks[0]["text"]["text"] == ":warning: *<https://example.org/3|Issue #3>*"
    links = bk.render_blocks(Message(links=(Link("A & B", "https://a.b"),)))
    assert links[0]["text"]["text"] == "• <https://a.b|A &amp; B>"


def test_render_has_fallback_text() -> None:
    out = bk.render(Message(body="hello <there>"))
    assert out["text"] == "hello &lt;there&gt;"
    assert out["blocks"]


_text = st.text(min_size=0, max_size=4000)


@settings(max_examples=60, deadline=None)
@given(
    title=st.none() | st.text(min_size=1, max_size=300),
    body=_text,
    sections=st.lists(st.tuples(st.text(max_size=200), _text), max_size=30),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=2500)), max_size=25),
    n_buttons=st.integers(0, 60),
    footer=st.none() | st.text(max_size=4000),
)
def test_any_message_stays_within_limits(
    title: str | None,
    body: str,
    sections: list[tuple[str, str]],
    fields: list[tuple[str, str]],
    n_buttons: int,
    footer: str | None,
) -> None:
    message = Message(
        title=title,
        body=body,
        sections=tuple(Section(h, b) for h, b in sections),
        fields=tuple(Field(n, v) for n, v in fields),
        buttons=tuple(Button(f"b{i}", "act", str(i)) for i in range(n_buttons)),
        footer=footer,
    )
    check_limits(bk.render_blocks(message))
