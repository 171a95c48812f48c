"""An issue page in a real headless Chromium, on a phone-sized screen: what a person sees."""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.digest.test_web import SiteFactory, site  # noqa: F401  (fixture)
from tests.helpers import actor
from tests.web.browser import browser_page, chromium_path
from tests.web.test_digest_pages import with_code_block

#: The lowest contrast ratio (WCAG 2.2) of any visible text on the page against the first
#: opaque background behind it, and where: [ratio, "TAG: text"].
LOWEST_CONTRAST = """(() => {
  const rgba = s => {
    const p = s.match(/rgba?\\(([^)]+)\\)/)[1].split(",").map(Number);
    return p.length === 3 ? [...p, 1] : p;
  };
  const lum = ([r, g, b]) => {
    const f = c => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  let worst = [99, ""];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim();
    const el = walk.currentNode.parentElement;
    if (!text || el.getClientRects().length === 0) continue;
    const a = lum(rgba(getComputedStyle(el).color)), b = lum(behind(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst[0]) worst = [ratio, el.tagName + ": " + text.slice(0, 40)];
  }
  return worst;
})()"""


async def test_an_issue_page_reads_well_on_a_phone(
    site: SiteFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    chromium_path()  # skip early (or fail in CI) without a browser
    s = await site()
    await s.run("digest subscribe", who=actor("zed-the-member"), delivery="channel-mention")
    await s.publish()
    await s.run("digest note", text="Mock interviews on Friday <script>window.__xss=1</script>")
    tip, code = with_code_block(s.cog.library)
    await s.run("digest pin", tip=tip.id)  # a headline with a code block
    await s.publish()
    await s.run("digest web on", slug="ml-learners")
    issue = await s.cog.repo.issue((await s.community()).id, 2)
    assert issue is not None and issue.problem_id is not None
    headline = s.cog.library.get(issue.headline_tip)
    problem = s.cog.problems[issue.problem_id]
    assert headline is not None

    async with browser_page() as page:
        await page.open(f"{s.http.url}/digest/ml-learners/2")
        png = await page.screenshot()
        assert png.startswith(b"\x89PNG")
        (tmp_path / "issue.png").write_bytes(png)  # kept for a person to look at
        text: str = await page.evaluate("document.body.innerText")
        assert f"Issue #2: {headline.title}" in text
        assert "Try this week:" in text and "DSA problem of the week" in text
        assert "Community figures" in text and "zed-the-member" not in text
        # The note's markup is shown as the text it is, and never ran.
        assert "<script>window.__xss=1</script>" in text
        assert await page.evaluate("typeof window.__xss") == "undefined"
        assert await page.evaluate("document.scripts.length") == 0
        # The problem is a real link a person can follow, named by its title.
        hrefs = await page.evaluate(
            "Array.from(document.links).map(a => [a.innerText.trim(), a.href])"
        )
        assert [problem.title, problem.url] in hrefs
        assert all(label for label, _ in hrefs), "every link has visible text"
        # Readable on a phone: no sideways scrolling of the page, body text at least 16 px,
        # one h1, and the page's language declared.
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            "the page scrolls sideways on a 390 px screen"
        )
        size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
        assert await page.evaluate("document.querySelectorAll('h1').length") == 1
        assert await page.evaluate("document.documentElement.lang") == "en"
        # The code block is there, and scrolls inside itself rather than the page.
        shown: str = await page.evaluate("document.querySelector('pre code').innerText")
        assert shown.startswith(code)
        # Nothing was loaded but the page itself (no stylesheet, font, image or script file).
        assert await page.evaluate("performance.getEntriesByType('resource').length") == 0
        # Headings go down one level at a time; every piece of text a person sees has at least
        # 4.5:1 contrast on the background it is drawn on.
        levels = await page.evaluate(
            "Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1])"
        )
        assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
        ratio, where = await page.evaluate(LOWEST_CONTRAST)
        assert ratio >= 4.5, (ratio, where)
        # Previous issue and archive are one tap away.
        assert await page.evaluate("!!document.querySelector('a[rel=prev]')")

        await page.open(f"{s.http.url}/digest/ml-learners/", width=1280, height=900)
        index: str = await page.evaluate("document.body.innerText")
        assert index.index("Issue #2") < index.index("Issue #1")
        ratio, where = await page.evaluate(LOWEST_CONTRAST)
        assert ratio >= 4.5, (ratio, where)
        feed = await page.evaluate(
            "document.querySelector('link[rel=alternate][type=\"application/atom+xml\"]').href"
        )
        assert feed.endswith("/digest/ml-learners/feed.xml")
