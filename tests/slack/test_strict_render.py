"""Whatever a cog puts in a Message, Slack accepts the rendering.

The judge is `tests/slack/slack_rules.py` (Slack's documented limits, written down independently
of the renderer's constants), so a renderer change that breaks a limit fails here even when the
renderer's own idea of the limit changed with it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import blocks as bk
from bot.messages import Button, ButtonStyle, Field, Link, Message, Section, Tone
from tests.slack import slack_rules as rules

_text = st.text(min_size=0, max_size=4000)
_url = st.builds(
    lambda path: "https://example.org/" + path,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/?=&%.", max_size=2000),
)


@settings(max_examples=80, deadline=None)
@given(
    title=st.none() | st.text(min_size=1, max_size=400),
    url=st.none() | _url,
    body=_text,
    sections=st.lists(st.tuples(st.text(max_size=300), _text), max_size=30),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=2500)), max_size=25),
    links=st.lists(st.tuples(st.text(max_size=200), _url), max_size=40),
    buttons=st.lists(
        st.tuples(st.text(max_size=120), st.text(min_size=1, max_size=300), st.text(max_size=40)),
        max_size=60,
    ),
    footer=st.none() | st.text(max_size=4000),
    tone=st.sampled_from(list(Tone)),
)
def test_slack_accepts_any_rendered_message(
    title: str | None,
    url: str | None,
    body: str,
    sections: list[tuple[str, str]],
    fields: list[tuple[str, str]],
    links: list[tuple[str, str]],
    buttons: list[tuple[str, str, str]],
    footer: str | None,
    tone: Tone,
) -> None:
    message = Message(
        title=title,
        url=url,
        body=body,
        sections=tuple(Section(h, b) for h, b in sections),
        fields=tuple(Field(n, v) for n, v in fields),
        links=tuple(Link(label, u) for label, u in links),
        buttons=tuple(Button(lb, a, v, ButtonStyle.DANGER) for lb, a, v in buttons),
        footer=footer,
        tone=tone,
    )
    assert rules.message_error(bk.render(message)) is None


def test_long_action_names_keep_action_ids_unique() -> None:
    """Slack refuses two buttons with one action_id in a block (button-element docs)."""
    action = "x" * 300
    body = bk.render(Message(buttons=tuple(Button(f"b{i}", action, str(i)) for i in range(3))))
    assert rules.message_error(body) is None
    ids = [el["action_id"] for el in body["blocks"][-1]["elements"]]
    assert len(set(ids)) == 3 and all(len(i) <= rules.MAX_ACTION_ID for i in ids)


_WORDS = " ".join(f"word{i}" for i in range(4000))
EXTREMES = {
    "long body": Message(body=_WORDS),
    "one huge word": Message(body="x" * 9000),
    "long title": Message(title="T" * 400, body="b"),
    "long title with url and tone": Message(
        title="&<>" * 200, url="https://example.org/" + "p" * 1900, tone=Tone.WARNING
    ),
    "many sections": Message(sections=tuple(Section(f"tip {i}", _WORDS[:500]) for i in range(80))),
    "long section": Message(sections=(Section("h" * 500, _WORDS),)),
    "many long fields": Message(fields=tuple(Field("n" * 300, "v" * 2500) for i in range(30))),
    "long footer": Message(body="b", footer="f " * 4000),
    "many long buttons": Message(
        buttons=tuple(Button("label " * 30, "act" * 100, "v" * 3000) for _ in range(60))
    ),
    "many long links": Message(
        links=tuple(
            Link("label & <more> " * 20, "https://example.org/" + "a" * 500) for _ in range(60)
        )
    ),
    "everything at once": Message(
        title="T" * 400,
        body=_WORDS,
        sections=tuple(Section(f"tip {i}", _WORDS[:4000]) for i in range(60)),
        fields=tuple(Field("n", "v" * 2500) for _ in range(40)),
        footer="f" * 5000,
        buttons=tuple(Button("Go" * 60, "act", str(i)) for i in range(30)),
    ),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_slack_accepts_extreme_messages(name: str) -> None:
    body = bk.render(EXTREMES[name])
    assert rules.message_error(body) is None, name
