"""The digest's web pages as a reader and a feed reader get them, through the real HTTP server:
code blocks, heading order, link text, no assets from elsewhere, no member names (streaks
included), escaping in the feed, the Atom document's required parts, and what the channel post
and `/digest archive` say without a public address."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html import escape, unescape
from html.parser import HTMLParser

import pytest

from content.tips import Tip, TipLibrary
from storage.dsa import DsaRepository
from tests.digest.test_web import ATOM, SiteFactory
from tests.helpers import actor

pytestmark = pytest.mark.both_backends

#: Link text that says nothing about where the link goes (WCAG 2.4.4).
VAGUE = {"here", "click here", "link", "this link", "more", "read more", "this", "url"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass
class Html(HTMLParser):
    """The parts of a page these tests look at."""

    headings: list[int] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, visible text)
    heads: list[dict[str, str | None]] = field(default_factory=list)  # <link> elements
    sources: list[tuple[str, str]] = field(default_factory=list)  # any src=/srcset= attribute
    tags: set[str] = field(default_factory=set)
    styles: list[str] = field(default_factory=list)
    lang: str | None = None
    _href: str | None = None
    _text: list[str] = field(default_factory=list)
    _in_style: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "a":
            self._href, self._text = a.get("href") or "", []
        if tag == "link":
            self.heads.append(a)
        if tag == "style":
            self._in_style = True
        for name in ("src", "srcset", "poster", "data"):
            if a.get(name):
                self.sources.append((tag, a[name] or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._in_style:
            self.styles.append(data)


def with_code_block(library: TipLibrary) -> tuple[Tip, str]:
    """A tip whose body has a fenced code block, and the block's first line."""
    for tip in library:
        m = re.search(r"^```[\w+-]*\n(.+)$", tip.body, re.MULTILINE)
        if m:
            return tip, m.group(1)
    raise AssertionError("no tip in the library has a code block")


def parse(html: str) -> Html:
    parsed = Html()
    parsed.feed(html)
    parsed.close()
    return parsed


def assert_readable_and_self_contained(html: str, where: str) -> Html:
    page = parse(html)
    assert page.lang == "en", where
    # One h1 first, and no level skipped on the way down (h1 -> h3 would be a gap).
    assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1, where
    for before, after in itertools.pairwise(page.headings):
        assert after <= before + 1, (where, page.headings)
    # Every link says where it goes.
    for href, text in page.links:
        assert text and text.lower() not in VAGUE, (where, href, text)
    # Nothing is loaded from anywhere: no script, image, frame or stylesheet file; the only
    # <link> is the feed's alternate, and the inline stylesheet imports nothing.
    assert not page.tags & {"script", "img", "iframe", "object", "embed", "video", "audio"}, where
    assert page.sources == [], where
    assert [h.get("rel") for h in page.heads] == ["alternate"], where
    style = "".join(page.styles)
    assert style and "@import" not in style and "url(" not in style, where
    return page


async def test_issue_page_code_blocks_headings_links_and_no_assets(site: SiteFactory) -> None:
    s = await site()
    # A tip with a code block in the headline (the Markdown subset's fence becomes <pre><code>).
    tip, code = with_code_block(s.cog.library)
    await s.run("digest pin", tip=tip.id)
    await s.publish(2)
    await s.run("digest web on", slug="ml-learners")
    issue = await s.cog.repo.issue((await s.community()).id, 1)
    assert issue is not None and issue.headline_tip == tip.id
    assert len(issue.tip_ids) > 1  # so the page has h3s under "More tips"

    _, html, _ = await s.get("/digest/ml-learners/1")
    page = assert_readable_and_self_contained(html, "issue page")
    assert re.search(r'<pre><code( class="language-[\w+-]+")?>' + re.escape(escape(code)), html)
    assert 3 in page.headings
    labels = dict(page.links)
    assert issue.resource_id and issue.problem_id
    resource = s.cog.resources[issue.resource_id]
    problem = s.cog.problems[issue.problem_id]
    assert labels[resource.url] == " ".join(resource.title.split())
    assert labels[problem.url] == problem.title
    assert labels["/digest/ml-learners/2"] == "Issue #2"

    _, index, _ = await s.get("/digest/ml-learners/")
    assert_readable_and_self_contained(index, "archive index")

    # The feed carries the same content, the code block included.
    _, body, _ = await s.get("/digest/ml-learners/feed.xml")
    entries = ET.fromstring(body).findall(f"{ATOM}entry")
    first = next(e for e in entries if e.findtext(f"{ATOM}title", "").startswith("Issue #1:"))
    assert "<pre><code" in first.findtext(f"{ATOM}content", "")


async def test_streak_names_stay_off_the_web(site: SiteFactory) -> None:
    s = await site()
    community = await s.community()
    await DsaRepository(s.app.db).add_solve(
        community.id,
        "zoe-streaker",
        "two-sum",
        local_day=date(2026, 1, 7),
        timezone="UTC",
        now=datetime(2026, 1, 7, 12, tzinfo=UTC),
    )
    await s.run("digest subscribe", who=actor("max-mentioned"), delivery="channel-mention")
    await s.publish()  # 12 January: the week before holds the solve
    await s.run("digest web on", slug="ml-learners")
    issue = await s.cog.repo.latest(community.id)
    assert issue is not None
    sent = {str(f[0]): str(f[1]) for f in issue.message["fields"]}
    # The channel post named them ...
    assert sent["Longest streaks this week"] == "@zoe-streaker: 1 day"
    assert "max-mentioned" in str(issue.message)

    # ... the web copy has the figures that are numbers and no name.
    for path in ("/digest/ml-learners/1", "/digest/ml-learners/", "/digest/ml-learners/feed.xml"):
        _, text, _ = await s.get(path)
        assert "zoe-streaker" not in text and "max-mentioned" not in text, path
        assert "Longest streaks" not in text, path
    _, html, _ = await s.get("/digest/ml-learners/1")
    assert "<dt>Problems solved this week</dt><dd>1</dd>" in html
    assert "<dt>Subscribers</dt><dd>1</dd>" in html


async def test_markup_in_a_note_and_a_community_name_is_text_in_the_feed_too(
    site: SiteFactory,
) -> None:
    s = await site()
    await s.run("digest note", text="<script>alert('note')</script> see <img src=x onerror=y>")
    await s.publish()
    await s.run("digest web on", slug="safe")
    for path in ("/digest/safe/1", "/digest/safe/", "/digest/safe/feed.xml"):
        assert (await s.get(path))[0] == 200  # rendered and cached under the old name
    # The community is renamed on its platform to something that looks like markup.
    await s.app.communities.ensure(
        "console",
        "console",
        '<b onmouseover="x">Evil</b> & co',
        default_timezone="UTC",
        now=s.app.clock.now(),
    )
    s.cog.web_pages.forget()

    for path in ("/digest/safe/1", "/digest/safe/"):
        _, html, _ = await s.get(path)
        assert "&lt;b onmouseover=&quot;x&quot;&gt;Evil&lt;/b&gt; &amp; co" in html, path
        assert "<b " not in html and "<img" not in html and "<script" not in html.lower(), path

    _, body, _ = await s.get("/digest/safe/feed.xml")
    assert "<script" not in body.lower() and "<b " not in body
    feed = ET.fromstring(body)
    assert feed.findtext(f"{ATOM}title") == '<b onmouseover="x">Evil</b> & co weekly digest'
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    # What a feed reader renders: the HTML inside the content, where the note is text.
    shown = content.text or ""
    assert "&lt;script&gt;alert(&#x27;note&#x27;)&lt;/script&gt;" in shown
    assert "<script" not in shown.lower() and "<img" not in shown
    assert "<script>alert('note')</script>" in unescape(re.sub(r"<[^>]+>", "", shown))


def check_atom(body: str) -> ET.Element:
    """The parts of RFC 4287 a feed reader relies on, checked element by element."""
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for element in feed.iter():
        assert element.tag.startswith(ATOM), element.tag  # nothing outside the Atom namespace

    def one(parent: ET.Element, name: str) -> str:
        found = parent.findall(f"{ATOM}{name}")
        assert len(found) == 1, (parent.tag, name, len(found))
        return found[0].text or ""

    assert one(feed, "title").strip()
    assert re.match(r"^(urn:uuid:[0-9a-f-]{36}|https?://)", one(feed, "id"))
    feed_updated = one(feed, "updated")
    assert RFC3339.match(feed_updated), feed_updated
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None  # entries have no author of their own
    alternates = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
    assert len(alternates) == 1
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        ids.append(one(entry, "id"))
        assert one(entry, "title").strip()
        updated = one(entry, "updated")
        assert RFC3339.match(updated) and RFC3339.match(one(entry, "published"))
        assert updated <= feed_updated
        links = [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
        assert len(links) == 1 and links[0].get("href", "").startswith(("http://", "https://"))
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html" and content.text
    assert len(ids) == len(set(ids)) and all(i.startswith("urn:uuid:") for i in ids)
    return feed


def feed_ids(feed: ET.Element) -> list[str]:
    return [feed.findtext(f"{ATOM}id", "")] + [
        e.findtext(f"{ATOM}id", "") for e in feed.findall(f"{ATOM}entry")
    ]


async def test_atom_feed_parts_and_ids_stable_across_processes(site: SiteFactory) -> None:
    s = await site()
    await s.publish(22)
    await s.run("digest web on", slug="ml-learners")
    _, body, _ = await s.get("/digest/ml-learners/feed.xml")
    feed = check_atom(body)
    entries = feed.findall(f"{ATOM}entry")
    # The latest 20, newest first; the feed's updated time is the newest issue's.
    numbers = [int(re.findall(r"#(\d+)", e.findtext(f"{ATOM}title", ""))[0]) for e in entries]
    assert numbers == list(range(22, 2, -1))
    assert feed.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated")
    issue = await s.cog.repo.issue((await s.community()).id, 22)
    assert issue is not None
    assert entries[0].findtext(f"{ATOM}updated") == issue.published_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    # Another process over the same database (a restart) with a public address: same ids,
    # links under the public address.
    other = await site(public_base_url="https://bot.example.org")
    _, again, _ = await other.get("/digest/ml-learners/feed.xml")
    moved = check_atom(again)
    assert feed_ids(moved) == feed_ids(feed)
    self_link = moved.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "https://bot.example.org/digest/ml-learners/feed.xml"

    # A new issue: a new entry first, the others keep their ids.
    await s.publish()
    s.cog.web_pages.forget()
    _, newer, _ = await s.get("/digest/ml-learners/feed.xml")
    newer_ids = feed_ids(check_atom(newer))
    assert newer_ids[0] == feed_ids(feed)[0] and newer_ids[2:] == feed_ids(feed)[1:-1]
    assert newer_ids[1] not in feed_ids(feed)


async def test_without_a_public_address_posts_do_not_link_and_moderators_are_told(
    site: SiteFactory,
) -> None:
    s = await site()
    await s.run("digest web on", slug="ml-learners")
    await s.publish()
    issue = await s.cog.repo.latest((await s.community()).id)
    assert issue is not None
    assert not issue.message.get("url")
    assert all("on the web" not in str(link) for link in issue.message.get("links", []))

    listing = await s.run("digest archive")
    assert "/digest/ml-learners/" in listing.text() and "PUBLIC_BASE_URL" in listing.text()
    member = await s.run("digest archive", who=actor("ana"))
    assert "PUBLIC_BASE_URL" not in member.text() and "#1" in member.text()


async def test_with_a_public_address_but_the_archive_off_nothing_links_to_it(
    site: SiteFactory,
) -> None:
    s = await site(public_base_url="https://bot.example.org")
    await s.run("digest web on", slug="ml-learners")
    await s.run("digest web off")
    await s.publish()
    issue = await s.cog.repo.latest((await s.community()).id)
    assert issue is not None
    assert "bot.example.org" not in str(issue.message)
    listing = await s.run("digest archive")
    assert "bot.example.org" not in listing.text() and listing.last.url is None


class _Without(TipLibrary):
    """The library after a tip was removed from the content (a later release)."""

    def __init__(self, library: TipLibrary, removed: set[str]) -> None:
        super().__init__([t for t in library if t.id not in removed])


async def test_a_tip_removed_from_the_library_is_shown_as_it_was_sent(site: SiteFactory) -> None:
    s = await site()
    await s.run("digest note", text="Mock interviews on Friday")
    await s.publish()
    await s.run("digest web on", slug="ml-learners")
    issue = await s.cog.repo.latest((await s.community()).id)
    assert issue is not None and len(issue.tip_ids) > 1
    headline, short = issue.tip_ids[0], issue.tip_ids[1]
    tips: dict[str, Tip] = {}
    for tip_id in (headline, short):
        found = s.cog.library.get(tip_id)
        assert found is not None
        tips[tip_id] = found
    s.cog.web_pages.library = _Without(s.cog.library, {headline, short})
    s.cog.web_pages._cache.clear()

    status, html, _ = await s.get("/digest/ml-learners/1")
    assert status == 200
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert f"Issue #1: {tips[headline].title}" in text
    assert f"This week: {tips[headline].title}" in text and "Try this week:" in text
    assert tips[short].title in text
    first_words = re.sub(r"[`*_\[\]]", "", tips[headline].body.split("\n")[0])[:40]
    assert first_words in text
    assert text.count("Mock interviews on Friday") == 1  # the note once, in its own box
    _, index, _ = await s.get("/digest/ml-learners/")
    assert tips[headline].title in unescape(index)


async def test_if_modified_since_alone_sees_a_new_issue(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new issue changes older pages too (the index pages shift, the previous issue gets a
    link to the next), so a client sending only If-Modified-Since must get them again."""
    from cogs.digest import web

    monkeypatch.setattr(web, "PAGE_SIZE", 2)
    s = await site()
    await s.publish(3)
    await s.run("digest web on", slug="ml-learners")
    paths = ("/digest/ml-learners/?page=2", "/digest/ml-learners/3", "/digest/ml-learners/")
    before = {}
    for path in paths:
        status, html, headers = await s.get(path)
        assert status == 200
        before[path] = (html, headers["Last-Modified"])
        assert (await s.get(path, **{"If-Modified-Since": headers["Last-Modified"]}))[0] == 304
    assert "Issue #1<" in before[paths[0]][0] and "Issue #2<" not in before[paths[0]][0]
    assert 'rel="next"' not in before[paths[1]][0]

    await s.publish()
    for path in paths:
        status, html, _ = await s.get(path, **{"If-Modified-Since": before[path][1]})
        assert status == 200 and html != before[path][0], path
    _, page2, _ = await s.get("/digest/ml-learners/?page=2")
    assert "Issue #2<" in page2 and "Issue #1<" in page2 and "Issue #3<" not in page2
    _, third, _ = await s.get("/digest/ml-learners/3")
    assert 'href="/digest/ml-learners/4" rel="next"' in third


async def test_an_archive_before_its_first_issue_and_a_moved_one(site: SiteFactory) -> None:
    s = await site()
    await s.run("digest web on", slug="early")
    status, html, _ = await s.get("/digest/early/")
    assert status == 200 and "No issue has been published yet." in html
    assert_readable_and_self_contained(html, "empty archive")
    assert (await s.get("/digest/early/?page=2"))[0] == 404
    assert (await s.get("/digest/early/1"))[0] == 404
    _, body, _ = await s.get("/digest/early/feed.xml")
    assert check_atom(body).findall(f"{ATOM}entry") == []  # still a valid feed, no entries

    # Moving the archive to another name: the old name's pages lead to the new ones.
    await s.publish()
    await s.run("digest web on", slug="later")
    assert (await s.get("/digest/later/1"))[0] == 200
    for old in ("/digest/early/", "/digest/early/1", "/digest/early/feed.xml"):
        status, _, headers = await s.get(old)  # redirects followed
        assert status == 200 and headers["Content-Type"].startswith(("text/html", "app")), old
