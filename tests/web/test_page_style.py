"""The page shell's stylesheet: every text colour it sets is readable on every background it
sets (WCAG 2.2 contrast, 4.5:1 for body text), nothing is loaded from elsewhere, and sizes follow
the reader's font size."""

from __future__ import annotations

import re

import pytest

from bot.web.page import STYLESHEET, page

DECLARATION = re.compile(
    r"(?<![\w-])(?P<prop>color|background|background-color)\s*:\s*(?P<value>[^;}]+)"
)
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colours() -> tuple[set[str], set[str]]:
    """The stylesheet's text colours and background colours."""
    text: set[str] = set()
    backgrounds: set[str] = set()
    for m in DECLARATION.finditer(STYLESHEET):
        value = m.group("value").strip()
        found = [c.lower() for c in HEX.findall(value)]
        if m.group("prop") == "color":
            # Only hex colours, so none escapes this check (no names, rgb() or currentColor).
            assert len(found) == 1 and value.lower() == found[0], value
            text |= set(found)
        else:
            assert found or value == "none", value
            backgrounds |= set(found)
    return text, backgrounds


def test_the_formula_against_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just below AA
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_every_text_colour_reads_on_every_background() -> None:
    text, backgrounds = colours()
    assert {"#1f2328", "#0b57a4", "#57606a"} <= text  # body text, links, muted
    assert "#fdfdfc" in backgrounds and len(backgrounds) >= 3  # page, code, note boxes
    worst = min((contrast(t, b), t, b) for t in text for b in backgrounds)
    assert worst[0] >= 4.5, worst


def test_nothing_from_elsewhere_and_sizes_in_rem() -> None:
    for remote in ("url(", "@import", "@font-face"):
        assert remote not in STYLESHEET, remote
    assert not re.search(r"font(-size)?\s*:[^;]*\d+px", STYLESHEET)  # the reader's size wins
    html = page("t", "<p>x</p>", site_name="s", home_url="/", feed_url="/f.xml")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html and " src=" not in html
