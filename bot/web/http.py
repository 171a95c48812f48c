"""A platform- and framework-neutral request/response for public pages, with cache validators.

Features build `WebResponse`s from `WebRequest`s; the HTTP server turns them into real HTTP,
answering conditional requests (`If-None-Match`, `If-Modified-Since`) with 304 so feed readers
and browsers poll cheaply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

#: No script may run and nothing is loaded from elsewhere; only our inline stylesheet applies.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True, slots=True)
class WebRequest:
    path_params: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    #: Header names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebResponse:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None  # a strong validator, quoted: '"abc"'
    last_modified: datetime | None = None
    cache_control: str = "public, max-age=300"
    location: str | None = None  # where a redirect points

    def headers(self) -> dict[str, str]:
        out = {
            "Content-Type": self.content_type,
            "Cache-Control": self.cache_control,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        }
        if self.etag:
            out["ETag"] = self.etag
        if self.last_modified:
            out["Last-Modified"] = http_date(self.last_modified)
        if self.location:
            out["Location"] = self.location
        return out


WebHandler = Callable[[WebRequest], Awaitable[WebResponse]]


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def not_modified(headers: Mapping[str, str], response: WebResponse) -> bool:
    """Whether a GET with these request headers may be answered 304 (RFC 9110 §13.2.2).

    `If-None-Match` wins when present; `If-Modified-Since` is looked at only without it.
    """
    if response.status != 200:
        return False
    inm = headers.get("if-none-match")
    if inm is not None:
        if response.etag is None:
            return False
        if inm.strip() == "*":
            return True
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return response.etag in tags
    ims = headers.get("if-modified-since")
    if ims and response.last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return response.last_modified.replace(microsecond=0) <= since
    return False


def text_response(status: int, text: str) -> WebResponse:
    """A short plain-text answer (404s and the like), never cached for long."""
    return WebResponse(
        status=status,
        body=text.encode(),
        content_type="text/plain; charset=utf-8",
        cache_control="no-store",
    )


def redirect_response(location: str) -> WebResponse:
    """301 Moved Permanently to `location` (an absolute path or URL): the old address keeps
    working and feed readers learn the new one (RFC 9110 §15.4.2). Sent with `no-cache`, since
    browsers otherwise keep a 301 for good: were the move undone (the old name taken back),
    they would loop between the two addresses."""
    return WebResponse(
        status=301,
        body=f"Moved to {location}\n".encode(),
        content_type="text/plain; charset=utf-8",
        cache_control="no-cache",
        location=location,
    )
