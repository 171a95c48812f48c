"""Discord's rate limits as the emulator applies them (Discord docs, Topics: Rate Limits,
https://discord.com/developers/docs/topics/rate-limits: #header-format, #exceeding-a-rate-limit,
#global-rate-limit).

- Every answer carries `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds),
  `-Reset-After` (seconds) and `-Bucket` ("Header Format"); a 429 also carries `Retry-After`,
  `X-RateLimit-Scope` (user / global / shared) and the JSON body {message, retry_after, global}
  ("Exceeding A Rate Limit").
- Per-route limits are counted per bucket AND top-level resource: channels, guilds, webhooks
  ("per-route rate limits often account for top-level resources within the path"), so each
  channel has its own message bucket, while a route without one - opening a DM
  (`POST /users/@me/channels`) - is one bucket shared by every recipient.
- The global limit: 50 requests per second per bot ("Global Rate Limit"); interaction
  endpoints are not bound to it.

`RateLimits.relaxed()` (the default) reports headers with limits no test reaches;
`RateLimits.discord()` applies Discord's numbers (5 messages per 5 s per channel, 50/s global)
and a DM-open bucket of 10 per 10 s (the real figure is unpublished; the header teaches it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Window:
    reset_at: float
    used: int = 0


@dataclass
class RateLimits:
    #: (method, path regex) -> (bucket hash, limit, window seconds); first match wins.
    routes: list[tuple[str, str, str, int, float]]
    default: tuple[int, float]
    global_per_second: int | None
    clock: Callable[[], float] = time.monotonic
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _global: _Window | None = None

    @classmethod
    def relaxed(cls) -> RateLimits:
        return cls(
            routes=[
                ("POST", r"/channels/(\d+)/messages", "msg-create", 100_000, 1.0),
                ("POST", r"/users/@me/channels", "dm-open", 100_000, 1.0),
            ],
            default=(100_000, 1.0),
            global_per_second=None,
        )

    @classmethod
    def discord(cls, *, dm_open: tuple[int, float] = (10, 10.0)) -> RateLimits:
        return cls(
            routes=[
                ("POST", r"/channels/(\d+)/messages", "msg-create", 5, 5.0),
                ("POST", r"/users/@me/channels", "dm-open", *dm_open),
            ],
            default=(50, 1.0),
            global_per_second=50,
        )

    def bucket(self, method: str, path: str) -> tuple[str, str, int, float]:
        """(bucket hash, top-level resource, limit, window) of a request."""
        for m, pattern, name, limit, window in self.routes:
            match = re.fullmatch(pattern, path)
            if m == method and match:
                return name, (match.group(1) if match.groups() else ""), limit, window
        top = re.match(r"/(?:channels|guilds|webhooks)/(\d+)", path)
        template = re.sub(r"\d{5,}", "{id}", path)
        return f"{method} {template}", (top.group(1) if top else ""), *self.default

    def take(self, method: str, path: str) -> tuple[dict[str, str], float | None, bool]:
        """Count one request: its headers, and (retry after, is global) when it is refused."""
        now = self.clock()
        name, major, limit, window = self.bucket(method, path)
        exempt = path.startswith("/interactions/")
        if self.global_per_second is not None and not exempt:
            g = self._global
            if g is None or now >= g.reset_at:
                g = self._global = _Window(now + 1.0)
            if g.used >= self.global_per_second:
                return self._headers(name, limit, 0, g.reset_at - now), g.reset_at - now, True
            g.used += 1
        w = self._windows.get((name, major))
        if w is None or now >= w.reset_at:
            w = self._windows[(name, major)] = _Window(now + window)
        reset_after = w.reset_at - now
        if w.used >= limit:
            return self._headers(name, limit, 0, reset_after), reset_after, False
        w.used += 1
        return self._headers(name, limit, limit - w.used, reset_after), None, False

    @staticmethod
    def _headers(bucket: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
