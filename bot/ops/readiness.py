"""Readiness: the checks behind `/readyz`.

The application registers the database, the scheduler and one check per platform adapter;
features and adapters add their own with `app.readiness.add(name, check)`. A check returns True
when ready (plain or awaitable); one that raises or takes longer than `CHECK_TIMEOUT` counts as
not ready. `/readyz` answers 200 when every check passes, 503 otherwise, with each result.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Check = Callable[[], "bool | Awaitable[bool]"]
CHECK_TIMEOUT = 5.0


class Readiness:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        """Register (or replace) a named check."""
        self._checks[name] = check

    def remove(self, name: str) -> None:
        self._checks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return sorted(self._checks)

    async def evaluate(self) -> dict[str, bool]:
        """Run every check concurrently; name -> passed."""
        names = self.names
        results = await asyncio.gather(*(self._run(n, self._checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _run(name: str, check: Check) -> bool:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                value = check()
                if inspect.isawaitable(value):
                    value = await value
            return bool(value)
        except Exception:
            log.warning("readiness check %s failed", name, exc_info=True)
            return False

    async def handle(self, request: web.Request) -> web.Response:
        results = await self.evaluate()
        ready = all(results.values())
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {name: "ok" if ok else "failing" for name, ok in results.items()},
        }
        return web.json_response(body, status=200 if ready else 503)
