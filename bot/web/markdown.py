"""The message Markdown subset (see `bot.messages`) as HTML, escaped everywhere.

Blocks: paragraphs (separated by blank lines; a single newline is a soft break), fenced code
blocks (```lang), `- ` / `* ` bullet lists and `1. ` numbered lists. Inline: `code`, **bold**,
*italic*, [text](https://url). Anything else is text: every character a person typed is escaped,
so `<script>` shows as text. Only http(s) and mailto links become links.
"""

from __future__ import annotations

import re
from html import escape

_FENCE = re.compile(r"^```([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
# Inline tokens, tried left to right: code spans first, so nothing inside them is formatted.
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*"
    r"|(?<![\w*])\*(?P<italic>[^*\n]+?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic2>[^_\n]+?)_(?![\w_])"
)
_SAFE_SCHEMES = ("https://", "http://", "mailto:")


def inline(text: str) -> str:
    """One line or paragraph of inline Markdown as escaped HTML."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[pos : m.start()]))
        if m.group("code") is not None:
            out.append(f"<code>{escape(m.group('code'))}</code>")
        elif m.group("label") is not None:
            url = m.group("url")
            label = inline(m.group("label"))
            if url.lower().startswith(_SAFE_SCHEMES):
                out.append(f'<a href="{escape(url, quote=True)}">{label}</a>')
            else:
                out.append(label)
        elif m.group("bold") is not None:
            out.append(f"<strong>{inline(m.group('bold'))}</strong>")
        else:
            italic = m.group("italic") or m.group("italic2") or ""
            out.append(f"<em>{inline(italic)}</em>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _prose(text: str) -> list[str]:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            matches = [pattern.match(line) for line in lines]
            if all(matches):
                items = "".join(f"<li>{inline(m.group(1))}</li>" for m in matches if m)
                html.append(f"<{tag}>{items}</{tag}>")
                break
        else:
            html.append("<p>" + "<br>\n".join(inline(line.strip()) for line in lines) + "</p>")
    return html


def to_html(markdown: str) -> str:
    """A whole Markdown text (paragraphs, lists, code blocks) as escaped HTML."""
    html: list[str] = []
    pos = 0
    for m in _FENCE.finditer(markdown):
        html.extend(_prose(markdown[pos : m.start()]))
        lang = m.group(1)
        cls = f' class="language-{escape(lang, quote=True)}"' if lang else ""
        code = m.group(2).rstrip("\n")
        html.append(f"<pre><code{cls}>{escape(code)}</code></pre>")
        pos = m.end()
    html.extend(_prose(markdown[pos:]))
    return "\n".join(html)
