"""The Discord renderer keeps every payload within Discord's limits and loses no text."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    EPHEMERAL,
    embed_size,
    render,
    split_text,
)
from bot.messages import Button, ButtonStyle, Field, Link, Message, Section, Tone


def check_limits(payload: dict[str, Any]) -> None:
    assert payload["allowed_mentions"] == {"parse": []}
    assert len(payload.get("content") or "") <= CONTENT_LIMIT
    embeds = payload.get("embeds") or []
    assert len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(embed_size(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    for embed in embeds:
        assert len(embed.get("title", "")) <= 256
        assert len(embed.get("description", "")) <= DESCRIPTION_LIMIT
        assert len(embed.get("fields", [])) <= 25
        assert len(embed.get("footer", {}).get("text", "")) <= 2048
        for f in embed.get("fields", []):
            assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
    rows = payload.get("components") or []
    assert len(rows) <= 5
    for row in rows:
        assert len(row["components"]) <= 5
        for button in row["components"]:
            assert len(button["label"]) <= 80 and len(button["custom_id"]) <= 100


def test_a_short_plain_message_is_content() -> None:
    (payload,) = render(Message(body="hello @everyone"))
    assert payload == {"content": "hello @everyone", "allowed_mentions": {"parse": []}}


def test_a_rich_message_is_an_embed_with_fields_footer_links_and_colour() -> None:
    (payload,) = render(
        Message(
            title="Tip",
            url="https://example.org",
            body="Try **this**.",
            sections=(Section("Why", "Because."),),
            fields=(Field("Level", "beginner"),),
            links=(Link("Docs", "https://docs.example.org"),),
            footer="mlebot",
            tone=Tone.SUCCESS,
            private=True,
        )
    )
    (embed,) = payload["embeds"]
    assert embed["title"] == "Tip" and embed["url"] == "https://example.org"
    assert embed["description"] == (
        "Try **this**.\n\n**Why**\nBecause.\n\n- [Docs](https://docs.example.org)"
    )
    assert embed["fields"] == [{"name": "Level", "value": "beginner", "inline": True}]
    assert embed["footer"] == {"text": "mlebot"}
    assert embed["color"] == 0x57F287
    assert payload["flags"] == EPHEMERAL


def test_a_warning_is_an_embed_even_when_short() -> None:
    (payload,) = render(Message(body="No such command.", tone=Tone.WARNING))
    assert payload["embeds"][0]["description"] == "No such command."


def test_long_text_is_split_across_embeds_and_messages_without_losing_lines() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(300)]  # ~30,000 characters
    payloads = render(Message(title="Long", body="\n".join(lines)))
    assert len(payloads) > 1
    for payload in payloads:
        check_limits(payload)
    text = "\n".join(e["description"] for p in payloads for e in p["embeds"])
    assert text.split("\n") == lines


def test_buttons_go_on_the_last_message_in_rows_of_five() -> None:
    buttons = tuple(Button(f"B{i}", "act", str(i), ButtonStyle.SECONDARY) for i in range(7))
    payloads = render(Message(body="x" * 9000, buttons=buttons))
    assert "components" not in payloads[0] or len(payloads) == 1
    rows = payloads[-1]["components"]
    assert [len(r["components"]) for r in rows] == [5, 2]
    assert rows[0]["components"][0] == {
        "type": 2,
        "style": 2,
        "label": "B0",
        "custom_id": "act:0",
    }


def test_many_fields_spill_into_more_embeds() -> None:
    fields = tuple(Field(f"F{i}", "v" * 500) for i in range(40))
    payloads = render(Message(title="Fields", fields=fields))
    for payload in payloads:
        check_limits(payload)
    rendered = [f["name"] for p in payloads for e in p["embeds"] for f in e.get("fields", [])]
    assert rendered == [f"F{i}" for i in range(40)]


def test_split_text_closes_and_reopens_code_fences() -> None:
    code = "```\n" + "\n".join("print(1)" for _ in range(100)) + "\n```"
    chunks = split_text(code, 300)
    assert len(chunks) > 1
    assert all(c.count("```") % 2 == 0 for c in chunks)
    assert all(len(c) <= 300 for c in chunks)


def test_overlong_names_are_trimmed_with_an_ellipsis() -> None:
    (payload,) = render(Message(title="T" * 300, fields=(Field("N" * 300, "V" * 2000),)))
    embed = payload["embeds"][0]
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert embed["fields"][0]["value"].endswith("…")


_text = st.text(max_size=3000)


@settings(max_examples=60, deadline=None)
@given(
    title=st.none() | st.text(max_size=400),
    body=_text,
    sections=st.lists(st.tuples(st.text(max_size=300), _text), max_size=4),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=1500)), max_size=40),
    footer=st.none() | st.text(max_size=3000),
    buttons=st.integers(0, 30),
    private=st.booleans(),
)
def test_any_message_renders_within_limits(
    title: str | None,
    body: str,
    sections: list[tuple[str, str]],
    fields: list[tuple[str, str]],
    footer: str | None,
    buttons: int,
    private: bool,
) -> None:
    message = Message(
        title=title,
        body=body,
        sections=tuple(Section(h, b) for h, b in sections),
        fields=tuple(Field(n, v) for n, v in fields),
        footer=footer,
        buttons=tuple(Button(f"b{i}" * 50, "a", "v" * 120) for i in range(buttons)),
        private=private,
    )
    payloads = render(message)
    assert payloads
    for payload in payloads:
        check_limits(payload)
        assert payload.get("embeds") or payload.get("content")
        assert (payload.get("flags") == EPHEMERAL) is private
