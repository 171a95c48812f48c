"""The digest on the web: archive, issue pages and Atom feed through the real HTTP server."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.app import Application
from bot.ops.compose import build_application
from bot.ops.http_server import HttpServer
from bot.settings import Settings
from bot.timing.clock import ManualClock
from cogs.digest import DigestCog
from storage.communities import Community
from storage.digest_web import SlugTaken
from tests.helpers import RecordingResponder, actor, invocation

pytestmark = pytest.mark.both_backends

MOD = actor("mia", moderator=True)
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Site:
    app: Application
    http: HttpServer
    session: aiohttp.ClientSession

    @property
    def cog(self) -> DigestCog:
        found = self.app.cogs["digest"]
        assert isinstance(found, DigestCog)
        return found

    async def get(self, path: str, **headers: str) -> tuple[int, str, Any]:
        async with self.session.get(self.http.url + path, headers=headers) as resp:
            return resp.status, await resp.text(), resp.headers

    async def location(self, path: str) -> tuple[int, str | None]:
        """The status of `path` and where it redirects, without following (a redirect must
        not be kept by browsers: the move may be undone)."""
        async with self.session.get(self.http.url + path, allow_redirects=False) as resp:
            if resp.status == 301:
                assert resp.headers["Cache-Control"] == "no-cache"
            return resp.status, resp.headers.get("Location")

    async def run(self, line: str, who: Any = MOD, **options: Any) -> RecordingResponder:
        responder = RecordingResponder()
        await self.app.dispatcher.dispatch(invocation(line, options, who=who), responder)
        return responder

    async def community(self) -> Community:
        return await self.app.communities.ensure(
            "console", "console", "test", default_timezone="UTC", now=self.app.clock.now()
        )

    async def publish(self, count: int = 1) -> None:
        community = await self.community()
        for _ in range(count):
            self.app.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
            now = self.app.clock.now()
            await self.cog.publish(community, source_key=f"test:{now.isoformat()}", when=now)


SiteFactory = Callable[..., Awaitable[Site]]


@pytest.fixture
async def site(settings: Settings, clock: ManualClock) -> AsyncIterator[SiteFactory]:
    built: list[Site] = []

    async def build(**overrides: Any) -> Site:
        s = settings.model_copy(update={"http_port": 0, **overrides})
        app = await build_application(s, clock=clock, cog_classes=[DigestCog], http=True)
        assert app.http is not None
        await app.http.start()
        item = Site(app, app.http, aiohttp.ClientSession())
        built.append(item)
        return item

    yield build
    for item in built:
        await item.session.close()
        await item.http.stop()
        await item.app.stop()


async def test_only_enabled_communities_are_served(site: SiteFactory) -> None:
    s = await site()
    await s.publish(2)
    assert (await s.get("/digest/ml-learners/"))[0] == 404
    refused = await s.run("digest web on", who=actor("ana"), slug="ml-learners")
    assert "moderator" in refused.text().lower()
    assert (await s.get("/digest/ml-learners/"))[0] == 404

    on = await s.run("digest web on", slug="ml-learners")
    assert "/digest/ml-learners/" in on.text() and "PUBLIC_BASE_URL" in on.text()
    status, html, headers = await s.get("/digest/ml-learners/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert html.index("Issue #2") < html.index("Issue #1")  # newest first
    assert (await s.get("/digest/ml-learners"))[0] == 200
    async with s.session.head(s.http.url + "/digest/ml-learners/1") as head:
        assert head.status == 200 and head.headers["ETag"] and not await head.read()
    assert (await s.get("/digest/ml-learners/1"))[0] == 200
    for missing in (
        "/digest/ml-learners/3",
        "/digest/ml-learners/0",
        "/digest/ml-learners/x",
        "/digest/other/",
        "/digest/other/1",
        "/digest/ML-Learners/",
    ):
        assert (await s.get(missing))[0] == 404, missing

    off = await s.run("digest web off")
    assert "no longer served" in off.text()
    assert (await s.get("/digest/ml-learners/"))[0] == 404
    assert (await s.get("/digest/ml-learners/1"))[0] == 404
    assert (await s.get("/digest/ml-learners/feed.xml"))[0] == 404
    await s.run("digest web on", slug="ml-learners")
    assert (await s.get("/digest/ml-learners/1"))[0] == 200


async def test_slug_rules_and_one_owner_per_slug(site: SiteFactory) -> None:
    s = await site()
    for bad in ("-x", "a", "has space", "Ünï", "x" * 41, "a_b"):
        reply = await s.run("digest web on", slug=bad)
        assert reply.messages and "slug" in reply.text(), bad
    other = await s.app.communities.ensure(
        "console", "other", "other", default_timezone="UTC", now=s.app.clock.now()
    )
    await s.cog.archives.enable(other.id, "taken", by="x", now=s.app.clock.now())
    reply = await s.run("digest web on", slug="taken")
    assert "`taken` is, or was, another community's" in reply.text()
    # Upper case is folded, so the same name cannot be claimed twice in two spellings.
    ok = await s.run("digest web on", slug="Mine")
    assert "/digest/mine/" in ok.text()


async def test_a_renamed_archive_redirects_its_old_name_and_keeps_it(site: SiteFactory) -> None:
    """Shared links and subscribed feed readers keep working after `/digest web on <new>`:
    the old name answers 301 to the same page under the new one, and stays the community's."""
    s = await site()
    await s.publish(21)  # two archive pages
    await s.run("digest web on", slug="old-name")
    renamed = await s.run("digest web on", slug="new-name")
    assert "Links to the old name `old-name` now lead here" in renamed.text()
    for old, new in (
        ("/digest/old-name/", "/digest/new-name/"),
        ("/digest/old-name", "/digest/new-name/"),
        ("/digest/old-name/?page=2", "/digest/new-name/?page=2"),
        ("/digest/old-name/7", "/digest/new-name/7"),
        ("/digest/old-name/feed.xml", "/digest/new-name/feed.xml"),
    ):
        assert await s.location(old) == (301, new), old
    status, html, _ = await s.get("/digest/old-name/7")  # followed, as a browser does
    assert status == 200 and "Issue #7" in html
    assert (await s.location("/digest/old-name/x"))[0] == 404
    assert (await s.location("/digest/old-name/99"))[0] == 301  # the new name answers 404
    assert (await s.get("/digest/old-name/99"))[0] == 404

    other = await s.app.communities.ensure(
        "console", "other", "other", default_timezone="UTC", now=s.app.clock.now()
    )
    with pytest.raises(SlugTaken):
        await s.cog.archives.enable(other.id, "old-name", by="x", now=s.app.clock.now())

    # The community may take its old name back; then the other name redirects.
    await s.run("digest web on", slug="old-name")
    assert (await s.location("/digest/old-name/7"))[0] == 200
    assert await s.location("/digest/new-name/7") == (301, "/digest/old-name/7")
    # Switched off: no page and no redirect.
    await s.run("digest web off")
    assert (await s.location("/digest/new-name/7"))[0] == 404
    assert (await s.location("/digest/old-name/7"))[0] == 404


async def test_redirects_use_the_public_address_when_one_is_set(site: SiteFactory) -> None:
    s = await site(public_base_url="https://bot.example.org")
    await s.publish()
    await s.run("digest web on", slug="old-name")
    await s.run("digest web on", slug="new-name")
    assert await s.location("/digest/old-name/1") == (
        301,
        "https://bot.example.org/digest/new-name/1",
    )


async def test_issue_page_has_the_whole_issue_and_no_member_names(site: SiteFactory) -> None:
    s = await site()
    await s.run("digest subscribe", who=actor("zed-the-member"), delivery="channel-mention")
    await s.run("digest note", text="Study group on <b>Friday</b> & **bring** questions")
    await s.publish()
    await s.run("digest web on", slug="ml-learners")
    issue = await s.cog.repo.latest((await s.community()).id)
    assert issue is not None
    status, html, _ = await s.get(f"/digest/ml-learners/{issue.number}")
    assert status == 200

    headline = s.cog.library.get(issue.headline_tip)
    assert headline is not None
    assert "<h1>Issue #1: " in html
    # Every tip in full: the body's last paragraph is there, not just the summary.
    for tip_id in issue.tip_ids:
        tip = s.cog.library.get(tip_id)
        assert tip is not None
        last_words = re.sub(r"[`*_\[\]]", "", tip.body.strip().split("\n")[-1])[-30:]
        text = re.sub(r"<[^>]+>", "", html).replace("&#x27;", "'").replace("&quot;", '"')
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        assert last_words in text, tip_id
    assert issue.resource_id and issue.problem_id
    resource = s.cog.resources[issue.resource_id]
    problem = s.cog.problems[issue.problem_id]
    assert f'href="{resource.url}"' in html
    assert f'href="{problem.url}"' in html and "DSA problem of the week" in html
    # The note is escaped, its Markdown rendered.
    assert "&lt;b&gt;Friday&lt;/b&gt; &amp; <strong>bring</strong>" in html
    # Figures are numbers only; the channel post's mention of a subscriber is not on the web.
    assert "Community figures" in html and "<dt>Subscribers</dt><dd>1</dd>" in html
    assert "zed-the-member" not in html
    assert "zed-the-member" in str(issue.message)  # ... although the channel post named them
    assert "<script" not in html.lower()
    assert 'rel="alternate" type="application/atom+xml"' in html


async def test_script_in_a_note_shows_as_text(site: SiteFactory) -> None:
    s = await site()
    await s.run("digest note", text="<script>alert('x')</script> [click](javascript:alert(1))")
    await s.publish()
    await s.run("digest web on", slug="safe")
    _, html, headers = await s.get("/digest/safe/1")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert 'href="javascript:' not in html
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    _, feed, _ = await s.get("/digest/safe/feed.xml")
    ET.fromstring(feed)  # still well-formed XML


async def test_feed_is_atom_with_stable_ids(site: SiteFactory) -> None:
    s = await site()
    await s.publish(3)
    await s.run("digest web on", slug="ml-learners")
    status, body, headers = await s.get("/digest/ml-learners/feed.xml", Host="bot.example:8080")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "http://bot.example:8080/digest/ml-learners/feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title", "").split(":")[0] for e in entries] == [
        "Issue #3",
        "Issue #2",
        "Issue #1",
    ]
    ids = []
    for entry in entries:
        for required in ("id", "title", "updated", "published", "summary", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated", "")
        )
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        assert "<h2>" in (content.text or "")  # escaped HTML, parsed back by the XML parser
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href", "").startswith("http://bot.example:8080/")
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(set(ids)) == 3 and all(i and i.startswith("urn:uuid:") for i in ids)
    newest = datetime.fromisoformat(
        entries[0].findtext(f"{ATOM}updated", "").replace("Z", "+00:00")
    )
    assert feed.findtext(f"{ATOM}updated", "").replace("Z", "+00:00") == newest.isoformat()

    # Ids stay the same when the archive moves to another name and a base URL is set.
    await s.run("digest web on", slug="renamed")
    _, moved, _ = await s.get("/digest/renamed/feed.xml")
    assert [e.findtext(f"{ATOM}id") for e in ET.fromstring(moved).findall(f"{ATOM}entry")] == ids


async def test_conditional_requests_and_a_new_issue(site: SiteFactory) -> None:
    s = await site()
    await s.publish()
    await s.run("digest web on", slug="ml-learners")
    for path in ("/digest/ml-learners/", "/digest/ml-learners/1", "/digest/ml-learners/feed.xml"):
        status, _, headers = await s.get(path)
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and etag.startswith('"') and modified.endswith("GMT")
        assert (await s.get(path, **{"If-None-Match": etag}))[0] == 304
        assert (await s.get(path, **{"If-None-Match": '"other", ' + etag}))[0] == 304
        assert (await s.get(path, **{"If-Modified-Since": modified}))[0] == 304
        assert (await s.get(path, **{"If-None-Match": '"stale"'}))[0] == 200
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        assert (await s.get(path, **{"If-None-Match": '"x"', "If-Modified-Since": modified}))[
            0
        ] == 200
    _, _, before = await s.get("/digest/ml-learners/")
    await s.publish()
    status, html, after = await s.get("/digest/ml-learners/", **{"If-None-Match": before["ETag"]})
    assert status == 200 and after["ETag"] != before["ETag"] and "Issue #2" in html
    # The first issue's page now links to the next one.
    _, first, _ = await s.get("/digest/ml-learners/1")
    assert 'href="/digest/ml-learners/2" rel="next"' in first


async def test_archive_is_paginated(site: SiteFactory) -> None:
    s = await site()
    await s.publish(23)
    await s.run("digest web on", slug="big")
    _, first, _ = await s.get("/digest/big/")
    assert first.count('<li><a href="/digest/big/') == 20 and "Issue #23" in first
    assert 'href="/digest/big/?page=2" rel="next"' in first and "Page 1 of 2" in first
    status, second, _ = await s.get("/digest/big/?page=2")
    assert status == 200 and second.count('<li><a href="/digest/big/') == 3
    assert "Issue #1<" in second and 'rel="prev"' in second
    # Newest first across the pages: 23..4 on the first, 3..1 on the second.
    listed = [int(n) for n in re.findall(r'<span class="number">Issue #(\d+)<', first + second)]
    assert listed == list(range(23, 0, -1))
    for bad in ("3", "0", "-1", "abc", "1e3"):
        assert (await s.get(f"/digest/big/?page={bad}"))[0] == 404, bad


async def test_channel_post_and_archive_link_to_the_web_copy(site: SiteFactory) -> None:
    s = await site(public_base_url="https://bot.example.org/mle")
    await s.run("digest web on", slug="ml-learners")
    await s.publish()
    issue = await s.cog.repo.latest((await s.community()).id)
    assert issue is not None
    url = "https://bot.example.org/mle/digest/ml-learners/1"
    assert issue.message["url"] == url
    assert ["Read this issue on the web", url] in issue.message["links"]
    listing = await s.run("digest archive", who=actor("ana"))
    assert f"({url})" in listing.last.body
    assert listing.last.url == "https://bot.example.org/mle/digest/ml-learners/"
    # Page links carry the public base, so they work behind a path prefix.
    _, html, _ = await s.get("/digest/ml-learners/")
    assert f'href="{url}"' in html
    assert 'href="https://bot.example.org/mle/digest/ml-learners/feed.xml"' in html


async def test_public_base_url_is_validated(settings: Settings) -> None:
    from bot.settings import SettingsError, load_settings

    assert load_settings(None, public_base_url="https://x.org/").public_base_url == "https://x.org"
    for bad in ("ftp://x.org", "x.org", "https://u:p@x.org", "https://x.org/?a=1"):
        with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
            load_settings(None, public_base_url=bad)


async def test_another_process_turning_it_off_is_seen_after_the_recheck(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cogs.digest import web

    s = await site()
    await s.publish()
    await s.run("digest web on", slug="ml-learners")
    assert (await s.get("/digest/ml-learners/1"))[0] == 200
    # Another process (a second bot, the CLI) switches it off: no local `forget()` here.
    community = await s.community()
    await s.cog.archives.disable(community.id, by="other", now=s.app.clock.now())
    assert (await s.get("/digest/ml-learners/1"))[0] == 200  # trusted for RECHECK_SECONDS
    monkeypatch.setattr(web, "RECHECK_SECONDS", 0.0)
    s.cog.web_pages._lookups.clear()  # as if the interval had passed
    assert (await s.get("/digest/ml-learners/1"))[0] == 404
