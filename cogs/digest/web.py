"""The digest on the web: an archive index, one page per issue and an Atom feed per community.

Served from the bot's HTTP server for communities that turned it on (`/digest web on <slug>`):

- `/digest/<slug>/` — the archive, newest first, `?page=N` for older issues;
- `/digest/<slug>/<number>` — one issue: the moderators' note, every tip in full, the featured
  resource and the problem of the week, and the community figures that are numbers (never a
  member's name: the channel post's subscriber mentions and streak names stay off the web);
- `/digest/<slug>/feed.xml` — an Atom 1.0 feed of the latest issues.

After a rename (`/digest web on <new-slug>`) the old name's addresses answer 301 to the same
page under the new name, so shared links and subscribed feed readers keep working.

Pages are rendered from the stored issue (its tip, resource and problem ids, note and figures)
and cached in memory under the archive's stamp (issue count and newest issue). The stamp and the
slug's owner are read from the database at most every `RECHECK_SECONDS` per slug, so a flood of
requests (or of unknown slugs) costs no database work; this process forgets them at once when it
publishes an issue or a moderator turns the archive on or off, other processes within
`RECHECK_SECONDS`. Responses carry ETag and Last-Modified for conditional requests.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from typing import TYPE_CHECKING

from bot.messages import Message
from bot.web.http import WebRequest, WebResponse, etag_for, redirect_response, text_response
from bot.web.markdown import inline, to_html
from bot.web.page import page
from cogs.digest.web_addresses import SLUG, archive_path, feed_path, issue_path
from cogs.digest.web_sent import numeric_figures, sent_headline
from content.problems import Problem
from content.resources import MERGED_RESOURCE_IDS, Resource
from content.tips import Tip, TipLibrary
from storage.communities import Community, CommunityRepository
from storage.digest import DigestRepository, StoredIssue
from storage.digest_web import ArchiveStamp, DigestWebRepository, WebArchive

if TYPE_CHECKING:
    from bot.ops.http_server import HttpServer

#: Issues per archive page, and entries in the feed.
PAGE_SIZE = 20
FEED_SIZE = 20
#: Rendered pages kept in memory (each a few KB; an archive of 500 issues fits several times).
CACHE_ENTRIES = 2_048
#: How long a slug's owner and stamp are trusted before the database is asked again.
RECHECK_SECONDS = 2.0
_ATOM_NS = uuid.UUID("5b0f6f0e-3f57-4c4e-9d5e-0c1a7d1e6a21")
_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")


def entry_id(community: Community, number: int) -> str:
    """A stable Atom id: the same for an issue whatever the slug or public address."""
    name = f"mlebot-digest:{community.platform}:{community.external_id}:{number}"
    return f"urn:uuid:{uuid.uuid5(_ATOM_NS, name)}"


_Found = tuple[WebArchive, Community, ArchiveStamp]


@dataclass(frozen=True, slots=True)
class _Moved:
    """The slug asked for is an old name of the archive now at `slug`."""

    slug: str


@dataclass(frozen=True, slots=True)
class _Cached:
    stamp: tuple[object, ...]
    response: WebResponse


class DigestWebPages:
    """Renders and serves the public pages of every enabled community's digest archive."""

    def __init__(
        self,
        *,
        issues: DigestRepository,
        archives: DigestWebRepository,
        communities: CommunityRepository,
        library: TipLibrary,
        resources: Mapping[str, Resource],
        problems: Mapping[str, Problem],
        public_base_url: str | None,
    ) -> None:
        self.issues = issues
        self.archives = archives
        self.communities = communities
        self.library = library
        self.resources = resources
        self.problems = problems
        self.base = public_base_url.rstrip("/") if public_base_url else None
        self._cache: OrderedDict[tuple[object, ...], _Cached] = OrderedDict()
        self._lookups: dict[str, tuple[float, _Found | _Moved | None]] = {}

    def forget(self) -> None:
        """Ask the database again on the next request (an issue was added, or web on/off)."""
        self._lookups.clear()

    def mount(self, http: HttpServer) -> None:
        http.add_page("/digest/{slug}", self.archive_page)
        http.add_page("/digest/{slug}/", self.archive_page)
        http.add_page("/digest/{slug}/{item}", self.item_page)

    # -- routing ---------------------------------------------------------------------------

    async def archive_page(self, request: WebRequest) -> WebResponse:
        found = await self._archive(request)
        raw_page = request.query.get("page", "1")
        if isinstance(found, _Moved):
            query = f"?page={raw_page}" if raw_page != "1" and _NUMBER.match(raw_page) else ""
            return redirect_response(self._url(archive_path(found.slug)) + query)
        if found is None:
            return _not_found()
        archive, community, stamp = found
        if not _NUMBER.match(raw_page):
            return _not_found()
        number = int(raw_page)
        pages = max(1, -(-stamp.issues // PAGE_SIZE))
        if number > pages:
            return _not_found()
        key = ("index", archive.slug, number)

        async def render() -> WebResponse | None:
            return await self._render_index(archive, community, number, pages, stamp)

        return await self._cached(key, archive, community, stamp, render)

    async def item_page(self, request: WebRequest) -> WebResponse:
        item = request.path_params.get("item", "")
        if item == "feed.xml":
            return await self.feed(request)
        if not _NUMBER.match(item):
            return _not_found()
        found = await self._archive(request)
        if isinstance(found, _Moved):
            return redirect_response(self._url(issue_path(found.slug, int(item))))
        if found is None:
            return _not_found()
        archive, community, stamp = found
        number = int(item)
        if number > stamp.latest_number:
            return _not_found()
        key = ("issue", archive.slug, number)

        async def render() -> WebResponse | None:
            issue = await self.issues.issue(community.id, number)
            if issue is None:
                return None
            return self._render_issue(archive, community, issue, stamp)

        return await self._cached(key, archive, community, stamp, render)

    async def feed(self, request: WebRequest) -> WebResponse:
        found = await self._archive(request)
        if isinstance(found, _Moved):
            return redirect_response(self._url(feed_path(found.slug)))
        if found is None:
            return _not_found()
        archive, community, stamp = found
        base = self.base or _request_base(request)

        async def render() -> WebResponse | None:
            return await self._render_feed(archive, community, stamp, base)

        return await self._cached(("feed", archive.slug, base), archive, community, stamp, render)

    # -- helpers ---------------------------------------------------------------------------

    async def _archive(self, request: WebRequest) -> _Found | _Moved | None:
        slug = request.path_params.get("slug", "")
        if not SLUG.match(slug):
            return None
        now = time.monotonic()
        known = self._lookups.get(slug)
        if known is not None and known[0] > now:
            return known[1]
        found = await self._look_up(slug)
        if len(self._lookups) > CACHE_ENTRIES:
            self._lookups.clear()
        self._lookups[slug] = (now + RECHECK_SECONDS, found)
        return found

    async def _look_up(self, slug: str) -> _Found | _Moved | None:
        archive = await self.archives.by_slug(slug)
        if archive is None:
            moved = await self.archives.moved(slug)
            return None if moved is None else _Moved(moved.slug)
        community = await self.communities.get(archive.community_id)
        if community is None:
            return None
        return archive, community, await self.archives.stamp(community.id)

    async def _cached(
        self,
        key: tuple[object, ...],
        archive: WebArchive,
        community: Community,
        stamp: ArchiveStamp,
        render: Callable[[], Awaitable[WebResponse | None]],
    ) -> WebResponse:
        version = (
            archive.community_id,
            stamp.issues,
            stamp.latest_number,
            stamp.latest_published_at,
            community.name,  # renamed on its platform: titles change
        )
        hit = self._cache.get(key)
        if hit is not None and hit.stamp == version:
            self._cache.move_to_end(key)
            return hit.response
        response = await render()
        if response is None:
            return _not_found()
        self._cache[key] = _Cached(version, response)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return response

    def _url(self, path: str) -> str:
        return f"{self.base}{path}" if self.base else path

    # -- rendering -------------------------------------------------------------------------

    async def _render_index(
        self,
        archive: WebArchive,
        community: Community,
        number: int,
        pages: int,
        stamp: ArchiveStamp,
    ) -> WebResponse:
        issues, total = await self.issues.archive(
            community.id, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        title = f"{community.name} weekly digest"
        parts = [f"<h1>{escape(title)}</h1>"]
        parts.append(
            f'<p class="meta">{total} issue{"s" if total != 1 else ""}, newest first. '
            "Weekly tips for people moving into machine-learning engineering.</p>"
        )
        if not issues:
            parts.append("<p>No issue has been published yet.</p>")
        else:
            items = []
            for issue in issues:
                href = escape(self._url(issue_path(archive.slug, issue.number)), quote=True)
                items.append(
                    f'<li><a href="{href}"><span class="number">Issue #{issue.number}</span>'
                    f" · {escape(self._headline_title(issue))}</a><br>"
                    f'<time datetime="{issue.issue_date.isoformat()}">'
                    f"{_long_date(issue.issue_date)}</time></li>"
                )
            parts.append('<ol class="issues">' + "\n".join(items) + "</ol>")
        nav = []
        if number > 1:
            prev = self._url(archive_path(archive.slug)) + (
                f"?page={number - 1}" if number > 2 else ""
            )
            nav.append(f'<a href="{escape(prev, quote=True)}" rel="prev">Newer issues</a>')
        else:
            nav.append("<span></span>")
        if number < pages:
            nxt = self._url(archive_path(archive.slug)) + f"?page={number + 1}"
            nav.append(f'<a href="{escape(nxt, quote=True)}" rel="next">Older issues</a>')
        if len(nav) > 1 or number > 1:
            parts.append(
                f'<nav class="pages" aria-label="Archive pages">{"".join(nav)}</nav>'
                f'<p class="meta">Page {number} of {pages}</p>'
            )
        html = page(
            title if number == 1 else f"{title} · page {number}",
            "\n".join(parts),
            site_name=title,
            home_url=self._url(archive_path(archive.slug)),
            description=f"Past issues of the {community.name} weekly digest.",
            feed_url=self._url(feed_path(archive.slug)),
            feed_title=f"{title} (Atom)",
        )
        return _html_response(html, stamp.latest_published_at)

    def _headline_title(self, issue: StoredIssue) -> str:
        tip = self.library.get(issue.headline_tip)
        if tip is not None:
            return tip.title
        sent = sent_headline(str(issue.message.get("body") or ""), issue.note)
        return sent[0] if sent else issue.headline_tip

    def _article(self, archive: WebArchive, issue: StoredIssue) -> str:
        """The issue's content as HTML (shared by the page and the feed entry)."""
        parts: list[str] = []
        if issue.note:
            parts.append(
                '<section class="note" aria-label="From the moderators">'
                f"<p><strong>From the moderators:</strong></p>{to_html(issue.note)}</section>"
            )
        stored = Message.from_dict(issue.message)
        headline = self.library.get(issue.headline_tip)
        if headline is not None:
            parts.append(f"<h2>This week: {inline(headline.title)}</h2>")
            parts.append(self._tip_html(headline))
        elif as_sent := sent_headline(stored.body, issue.note):
            parts.append(f"<h2>This week: {inline(as_sent[0])}</h2>{to_html(as_sent[1])}")
        shorts = issue.tip_ids[1:]
        # A tip removed from the library since is shown as it was sent (its stored section).
        sent = [s for s in stored.sections if s.heading.startswith("More tips: ")]
        if shorts:
            parts.append("<h2>More tips</h2>")
        for position, tip_id in enumerate(shorts):
            tip = self.library.get(tip_id)
            if tip is not None:
                parts.append(f"<h3>{inline(tip.title)}</h3>")
                parts.append(self._tip_html(tip))
            elif position < len(sent):
                title = sent[position].heading.removeprefix("More tips: ")
                parts.append(f"<h3>{inline(title)}</h3>{to_html(sent[position].body)}")
        resource_id = issue.resource_id
        if resource_id:
            resource_id = MERGED_RESOURCE_IDS.get(resource_id, resource_id)
        resource = self.resources.get(resource_id) if resource_id else None
        if resource is not None:
            parts.append("<h2>Featured resource</h2>")
            details = ", ".join(x for x in (resource.type_name, resource.level, resource.cost) if x)
            author = f" by {escape(resource.author)}" if resource.author else ""
            parts.append(
                f'<p><a href="{escape(resource.url, quote=True)}">{escape(resource.title)}</a>'
                f"{author} ({escape(details)})</p>{to_html(resource.description)}"
            )
        problem = self.problems.get(issue.problem_id) if issue.problem_id else None
        if problem is not None:
            parts.append("<h2>DSA problem of the week</h2>")
            parts.append(
                f'<p><a href="{escape(problem.url, quote=True)}">{escape(problem.title)}</a>'
                f" ({escape(problem.difficulty)}, {escape(problem.pattern_name)})</p>"
            )
            if problem.hint:
                parts.append(f"<p><em>Nudge:</em> {inline(problem.hint)}</p>")
        figures = numeric_figures(issue.message)
        if figures:
            parts.append("<h2>Community figures</h2>")
            rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in figures)
            parts.append(f'<dl class="figures">{rows}</dl>')
        return "\n".join(parts)

    def _tip_html(self, tip: Tip) -> str:
        html = to_html(tip.body)
        html += f"\n<p><strong>Try this week:</strong> {inline(tip.try_this_week)}</p>"
        related = [self.resources[r] for r in tip.resources if r in self.resources]
        if related:
            links = ", ".join(
                f'<a href="{escape(r.url, quote=True)}">{escape(r.title)}</a>' for r in related
            )
            html += f"\n<p>Go further: {links}</p>"
        return html

    def _render_issue(
        self, archive: WebArchive, community: Community, issue: StoredIssue, stamp: ArchiveStamp
    ) -> WebResponse:
        site = f"{community.name} weekly digest"
        headline = self._headline_title(issue)
        parts = [
            "<article>",
            f"<h1>Issue #{issue.number}: {escape(headline)}</h1>",
            f'<p class="meta">{escape(community.name)} weekly digest · '
            f'<time datetime="{issue.issue_date.isoformat()}">'
            f"{_long_date(issue.issue_date)}</time></p>",
            self._article(archive, issue),
            "</article>",
        ]
        nav = []
        if issue.number > 1:
            href = escape(self._url(issue_path(archive.slug, issue.number - 1)), quote=True)
            nav.append(f'<a href="{href}" rel="prev">Issue #{issue.number - 1}</a>')
        else:
            nav.append("<span></span>")
        nav.append(
            f'<a href="{escape(self._url(archive_path(archive.slug)), quote=True)}">All issues</a>'
        )
        if issue.number < stamp.latest_number:
            href = escape(self._url(issue_path(archive.slug, issue.number + 1)), quote=True)
            nav.append(f'<a href="{href}" rel="next">Issue #{issue.number + 1}</a>')
        parts.append(f'<nav class="pages" aria-label="Issues">{"".join(nav)}</nav>')
        html = page(
            f"Issue #{issue.number}: {headline} · {site}",
            "\n".join(parts),
            site_name=site,
            home_url=self._url(archive_path(archive.slug)),
            description=headline,
            feed_url=self._url(feed_path(archive.slug)),
            feed_title=f"{site} (Atom)",
        )
        return _html_response(html, stamp.latest_published_at)

    async def _render_feed(
        self, archive: WebArchive, community: Community, stamp: ArchiveStamp, base: str
    ) -> WebResponse:
        issues, _ = await self.issues.archive(community.id, limit=FEED_SIZE)
        site = f"{community.name} weekly digest"
        updated = stamp.latest_published_at or datetime(1970, 1, 1, tzinfo=UTC)
        index_url = f"{base}{archive_path(archive.slug)}"
        lines = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape(site)}</title>",
            "<subtitle>Weekly tips for people moving into machine-learning engineering</subtitle>",
            f"<id>{entry_id(community, 0)}</id>",
            f"<updated>{_atom_date(updated)}</updated>",
            f'<link rel="self" type="application/atom+xml" '
            f'href="{escape(base + feed_path(archive.slug), quote=True)}"/>',
            f'<link rel="alternate" type="text/html" href="{escape(index_url, quote=True)}"/>',
            f"<author><name>{escape(community.name)}</name></author>",
            "<generator>mlebot</generator>",
        ]
        for issue in issues:
            url = f"{base}{issue_path(archive.slug, issue.number)}"
            headline = self._headline_title(issue)
            tip = self.library.get(issue.headline_tip)
            summary = tip.body.split("\n\n", 1)[0] if tip else headline
            lines += [
                "<entry>",
                f"<title>Issue #{issue.number}: {escape(headline)}</title>",
                f"<id>{entry_id(community, issue.number)}</id>",
                f"<published>{_atom_date(issue.published_at)}</published>",
                f"<updated>{_atom_date(issue.published_at)}</updated>",
                f'<link rel="alternate" type="text/html" href="{escape(url, quote=True)}"/>',
                f"<summary>{escape(summary)}</summary>",
                f'<content type="html">{escape(self._article(archive, issue))}</content>',
                "</entry>",
            ]
        lines.append("</feed>")
        body = ("\n".join(lines) + "\n").encode()
        return WebResponse(
            status=200,
            body=body,
            content_type="application/atom+xml; charset=utf-8",
            etag=etag_for(body),
            last_modified=stamp.latest_published_at,
        )


def _html_response(html: str, last_modified: datetime | None) -> WebResponse:
    """`last_modified` is the archive's newest issue: a new issue changes every page (the
    index pages shift, the previous issue gains its "next" link), so If-Modified-Since alone
    must not answer 304 for a page rendered before it."""
    body = html.encode()
    return WebResponse(status=200, body=body, etag=etag_for(body), last_modified=last_modified)


def _not_found() -> WebResponse:
    return text_response(404, "Not found: no published digest issue at this address.\n")


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _atom_date(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _request_base(request: WebRequest) -> str:
    host = request.headers.get("host", "localhost")
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]{1,255}", host):
        host = "localhost"
    return f"http://{host}"
