"""The HTML page shell: our own small stylesheet, readable on a phone, no script, no CDN."""

from __future__ import annotations

from html import escape

# Colours meet WCAG AA contrast on every background here (text #1f2328 on #fdfdfc: 15.5:1; links
# #0b57a4: 7.1:1; muted #57606a: 6.3:1; on the code and note boxes at least 5.6:1; checked by
# tests/web/test_page_style.py). Sizes in rem so the reader's font size is honoured.
STYLESHEET = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fdfdfc; color: #1f2328;
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main, header.site, footer.site { max-width: 42rem; margin: 0 auto; padding: 0 1rem; }
header.site { padding-top: 1.25rem; color: #57606a; font-size: .95rem; }
header.site a { color: #57606a; }
footer.site { padding: 2rem 1rem 3rem; color: #57606a; font-size: .9rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-top: 1px solid #d0d7de;
  padding-top: 1rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
a { color: #0b57a4; text-underline-offset: .15em; }
a:focus-visible { outline: 3px solid #0b57a4; outline-offset: 2px; }
p, ul, ol { margin: .5rem 0 1rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em;
  background: #eff1f3; padding: .1em .3em; border-radius: 4px; }
pre { background: #f3f4f6; padding: .75rem 1rem; border-radius: 6px; overflow-x: auto;
  line-height: 1.45; }
pre code { background: none; padding: 0; font-size: .875rem; }
.meta { color: #57606a; font-size: .95rem; margin-top: 0; }
.note { border-left: 4px solid #0b57a4; padding: .25rem 1rem; background: #f0f5fb; }
dl.figures { display: grid; grid-template-columns: 1fr auto; gap: .25rem 1rem; }
dl.figures dt { margin: 0; } dl.figures dd { margin: 0; font-weight: 600; text-align: right; }
ol.issues { list-style: none; padding: 0; }
ol.issues li { padding: .6rem 0; border-bottom: 1px solid #d0d7de; }
ol.issues .number { font-weight: 600; }
nav.pages { display: flex; justify-content: space-between; margin: 1.5rem 0; }
"""


def page(
    title: str,
    body_html: str,
    *,
    site_name: str,
    home_url: str,
    description: str = "",
    feed_url: str | None = None,
    feed_title: str = "",
) -> str:
    """A whole HTML document. `body_html` is trusted HTML; every other argument is text."""
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
    ]
    if description:
        head.append(f'<meta name="description" content="{escape(description, quote=True)}">')
    if feed_url:
        head.append(
            '<link rel="alternate" type="application/atom+xml" '
            f'title="{escape(feed_title or site_name, quote=True)}" '
            f'href="{escape(feed_url, quote=True)}">'
        )
    head.append(f"<style>{STYLESHEET}</style>")
    feed_link = f' · <a href="{escape(feed_url, quote=True)}">Atom feed</a>' if feed_url else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n' + "\n".join(head) + "\n</head>\n<body>\n"
        f'<header class="site"><a href="{escape(home_url, quote=True)}">'
        f"{escape(site_name)}</a></header>\n"
        f"<main>\n{body_html}\n</main>\n"
        f'<footer class="site">Published by mlebot{feed_link}</footer>\n'
        "</body>\n</html>\n"
    )
