"""Message.to_dict / from_dict: what the outbox stores must come back identical."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Attachment, Button, ButtonStyle, Field, Link, Message, Section, Tone

texts = st.text(max_size=40)
messages = st.builds(
    Message,
    body=texts,
    title=st.none() | texts,
    url=st.none() | texts,
    sections=st.lists(st.builds(Section, texts, texts), max_size=3).map(tuple),
    fields=st.lists(st.builds(Field, texts, texts, st.booleans()), max_size=3).map(tuple),
    links=st.lists(st.builds(Link, texts, texts), max_size=3).map(tuple),
    footer=st.none() | texts,
    buttons=st.lists(
        st.builds(Button, texts, texts, texts, st.sampled_from(ButtonStyle), st.booleans()),
        max_size=3,
    ).map(tuple),
    private=st.none() | st.booleans(),
    tone=st.sampled_from(Tone),
    attachments=st.lists(
        st.builds(Attachment, texts, st.binary(max_size=64), texts), max_size=2
    ).map(tuple),
)


@given(messages)
def test_round_trip_through_json(message: Message) -> None:
    stored = json.loads(json.dumps(message.to_dict()))
    assert Message.from_dict(stored) == message


def test_defaults_are_left_out() -> None:
    assert Message().to_dict() == {}
    assert Message(body="hi", tone=Tone.SUCCESS).to_dict() == {"body": "hi", "tone": "success"}


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="colour"):
        Message.from_dict({"body": "x", "colour": "red"})
