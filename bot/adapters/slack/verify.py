"""Verifying Slack's HTTP requests before anything else reads them.

Slack signs each request: `X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{ts}:{raw body}")`
with `X-Slack-Request-Timestamp`, and a request older than five minutes must be refused as a
possible replay (Slack API docs, "Verifying requests from Slack"). The check runs on the raw
bytes, before decoding or parsing, so a hostile body costs one HMAC and nothing else; a refused
request is answered 401, counted (a metric, by reason) and summarised in the log at most once a
minute - never with its body, which may hold a genuine but stale request's response_url and token.

A signed body that cannot be read (invalid UTF-8, bad JSON, `payload=` garbage, nesting too deep)
is a 400, and so is a readable one of a shape Slack never sends (`"event": 42`, `"actions": "x"`)
that bolt's own request parsing trips over (`raised_by_framework`). Nothing here raises.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

#: Slack: "If the difference ... is more than five minutes, ... ignore the request".
MAX_AGE_SECONDS = 300
#: At most one summary line of refused requests per this many seconds.
SUMMARY_SECONDS = 60.0
#: JSON nesting deeper than this is refused (Slack's payloads nest a handful of levels).
MAX_DEPTH = 64


def expected_signature(secret: str, timestamp: str, raw: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def check_signature(
    secret: str, timestamp: str | None, signature: str | None, raw: bytes, *, now: float
) -> str | None:
    """None when the request is Slack's and fresh, else the reason it is refused."""
    if not timestamp or not signature:
        return "unsigned"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "bad_timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "stale"
    if not signature.isascii() or not hmac.compare_digest(
        expected_signature(secret, timestamp, raw), signature
    ):
        return "bad_signature"
    return None


#: `call_later(delay, callback)`: asyncio's by default (the running loop's).
CallLater = Callable[[float, Callable[[], None]], object]


def _loop_call_later(delay: float, callback: Callable[[], None]) -> object:
    return asyncio.get_running_loop().call_later(delay, callback)


class RefusalLog:
    """Counts refusals and logs a summary at most once per `SUMMARY_SECONDS`: the first refusal
    after a quiet minute at once, the ones after it when the minute is over (a timer, so the
    tail of a flood is reported even if nothing more arrives)."""

    def __init__(
        self,
        count: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater = _loop_call_later,
    ) -> None:
        self.count = count
        self.clock = clock
        self.call_later = call_later
        self.pending: Counter[str] = Counter()
        self.last_summary: float | None = None
        self._timer_set = False

    def refused(self, reason: str) -> None:
        self.count(reason)
        self.pending[reason] += 1
        now = self.clock()
        if self.last_summary is None or now - self.last_summary >= SUMMARY_SECONDS:
            self.flush(now)
        elif not self._timer_set:
            self._timer_set = True
            self.call_later(self.last_summary + SUMMARY_SECONDS - now, self._timer)

    def _timer(self) -> None:
        self._timer_set = False
        if not self.pending or self.last_summary is None:
            return
        now = self.clock()
        due = self.last_summary + SUMMARY_SECONDS
        if now >= due:
            self.flush(now)
        else:  # a refusal summarised in the meantime: wait for the end of its minute
            self._timer_set = True
            self.call_later(due - now, self._timer)

    def flush(self, now: float | None = None) -> None:
        if not self.pending:
            return
        window = "" if self.last_summary is None else f" in the last {SUMMARY_SECONDS:.0f} s"
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(self.pending.items()))
        log.warning(
            "refused %d Slack request(s)%s (%s); bodies are not logged",
            self.pending.total(),
            window,
            reasons,
        )
        self.pending.clear()
        self.last_summary = self.clock() if now is None else now


class MalformedBody(ValueError):
    """A signed body that is not a Slack request (the reason, never the body)."""


@dataclass(frozen=True, slots=True)
class ReadBody:
    text: str
    parsed: dict[str, Any]


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion), capped at limit+1."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _json_object(text: str) -> dict[str, Any]:
    try:  # the parser refuses nesting past the recursion limit with RecursionError
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedBody("not JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody("JSON is not an object")
    if _depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise MalformedBody("JSON nested too deeply")
    return value


def read_body(raw: bytes, content_type: str) -> ReadBody:
    """Decode and parse a verified body as bolt will; MalformedBody when it cannot be."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("not UTF-8") from None
    if content_type.startswith("application/json"):
        return ReadBody(text, _json_object(text))
    try:
        form = parse_qs(text, keep_blank_values=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise MalformedBody("not a form") from None
    parsed: dict[str, Any] = {k: v[0] for k, v in form.items()}
    if "payload" in parsed:
        parsed = _json_object(parsed["payload"])
    return ReadBody(text, parsed)


#: Modules of the bot itself: an error raised through one of them is a bug to show in full.
OUR_PACKAGES = ("bot.", "cogs.", "storage.")


def raised_by_framework(error: BaseException) -> bool:
    """Whether `error` came from bolt (or the library code it called) reading a request, with
    none of the bot's own code on the way: a request of a shape Slack never sends, answered 400
    without a traceback. An error raised through the bot's code is a bug (500, traceback)."""
    entered = False  # frames before the first library one are where the error was caught
    for frame, _ in traceback.walk_tb(error.__traceback__):
        ours = str(frame.f_globals.get("__name__", "")).startswith(OUR_PACKAGES)
        if ours and entered:
            return False
        entered = entered or not ours
    return True


def where_raised(error: BaseException) -> str:
    """`ExceptionType in function`: enough to say what failed, never a value from the body."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f" in {frames[-1].name}" if frames else ""
    return f"{type(error).__name__}{place}"
