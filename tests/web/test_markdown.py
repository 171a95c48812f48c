"""The message Markdown subset as HTML: structure, and escaping of anything a person typed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.markdown import inline, to_html

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "a", "ul", "ol", "li"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_blocks_and_inline() -> None:
    html = to_html(
        "Intro with **bold**, *italic* and `x < y`.\nsame paragraph\n\n"
        "- one [docs](https://docs.python.org/3/)\n- two\n\n1. first\n2. second\n\n"
        "```python\nif a < b:\n    print('<ok>')\n```\n\nAfter."
    )
    assert "<p>Intro with <strong>bold</strong>, <em>italic</em> and <code>x &lt; y</code>." in html
    assert "<br>\nsame paragraph</p>" in html
    assert '<ul><li>one <a href="https://docs.python.org/3/">docs</a></li><li>two</li></ul>' in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    code = "if a &lt; b:\n    print(&#x27;&lt;ok&gt;&#x27;)"
    assert f'<pre><code class="language-python">{code}</code></pre>' in html
    assert html.endswith("<p>After.</p>")


def test_code_spans_are_not_formatted_and_unsafe_links_are_text() -> None:
    assert inline("`**not bold**`") == "<code>**not bold**</code>"
    assert inline("[x](javascript:alert)") == "x"
    assert inline("[x](data:text/html,hi)") == "x"
    assert inline('[x](https://a.org/?q="><script>)').startswith(
        '<a href="https://a.org/?q=&quot;&gt;'
    )
    assert inline("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"


MARKUP = [*"<>&\"'`*_[]()-:/ \nab1#!=", "```", "\n\n", "javascript:", "https://", "<script>"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MARKUP), max_size=80).map("".join))
def test_any_text_becomes_only_our_tags(text: str) -> None:
    html = to_html(text)
    assert "<script" not in html
    for tag, attrs in parse(html).tags:
        assert tag in ALLOWED_TAGS, (tag, text)
        if tag == "a":
            assert re.match(r"(https?://|mailto:)", attrs.get("href") or ""), text
        else:
            assert set(attrs) <= {"class"}, (tag, attrs)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=200))
def test_plain_text_is_kept_whole(text: str) -> None:
    """Text without Markdown comes back character for character (whitespace folded)."""
    plain = re.sub(r"[`*_\[\]()#\-0-9.)]", "", text)
    visible = "".join(parse(to_html(plain)).text)
    assert re.sub(r"\s+", "", visible) == re.sub(r"\s+", "", plain)
