"""Logging set-up: JSON lines when not on a terminal, readable text when on one.

Every line logged while a command or a scheduled run is handled carries its id (`request_id` or
`run`), set with `log_context(...)` and carried by contextvars into every task started from
there. Secrets never reach the output: the values of the token settings and anything shaped
like a Slack or Discord token are replaced with `[redacted]` in the final line (message,
arguments and tracebacks alike).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from storage.database import URL_PASSWORD, hide_url_passwords

P = ParamSpec("P")
R = TypeVar("R")

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_context: ContextVar[Mapping[str, object]] = ContextVar("mlebot_log_context", default={})  # noqa: B039

REDACTED = "[redacted]"
#: Token shapes redacted even when they are not our own settings (e.g. in an API error text).
TOKEN_PATTERNS = (
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/app-config tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),  # Slack app-level tokens
    re.compile(r"\b[MNO][A-Za-z\d_-]{22,27}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,40}\b"),  # Discord
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(bot|bearer)\s+[^\s\"',}]+"),
    URL_PASSWORD,  # scheme://user:password@host: the password
)


def new_request_id() -> str:
    """A short random id for one command or run, shown on each of its log lines."""
    return secrets.token_hex(6)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add `fields` to every log line in this block (and in tasks started inside it)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, object]:
    return _context.get()


def with_log_context(
    fields: Callable[..., Mapping[str, object]],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a coroutine function so its log lines carry `fields(*args, **kwargs)`."""

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with log_context(**fields(*args, **kwargs)):
                return await func(*args, **kwargs)

        return wrapper

    return decorate


class ContextFilter(logging.Filter):
    """Copy the current log context onto each record (handler filter: sees every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class Redactor:
    """Replaces secret values and token-shaped strings with `[redacted]`."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is removed whole.
        self.values = sorted({v for v in secret_values if len(v) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, REDACTED)
        for pattern in TOKEN_PATTERNS:
            if pattern is URL_PASSWORD:
                text = hide_url_passwords(text)
            elif pattern.groups:
                text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
            else:
                text = pattern.sub(REDACTED, text)
        return text


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(payload, default=str))


class TextFormatter(logging.Formatter):
    """Readable lines; context fields follow the message as `[key=value ...]`."""

    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {
            k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")
        }
        if extra:
            tail = " ".join(f"{k}={v}" for k, v in extra.items())
            head, sep, rest = line.partition("\n")  # keep tracebacks after the first line
            line = f"{head} [{tail}]{sep}{rest}"
        return self.redact(line)


#: The name of the handler `setup_logging` installs (how `configured()` recognises it).
HANDLER_NAME = "mlebot"


def configured() -> bool:
    """Whether this process's logging was set up by `setup_logging` (its format, redaction)."""
    return any(h.get_name() == HANDLER_NAME for h in logging.getLogger().handlers)


def setup_logging(
    level: str = "INFO",
    fmt: str = "auto",
    *,
    stream: Any = None,
    secret_values: Iterable[str] = (),
) -> None:
    """Configure the root logger once for the process; `secret_values` are never printed."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    use_json = fmt == "json" or (fmt == "auto" and not getattr(stream, "isatty", lambda: False)())
    redact = Redactor(secret_values)
    handler.setFormatter(JsonFormatter(redact) if use_json else TextFormatter(redact))
    handler.set_name(HANDLER_NAME)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in (
        "aiosqlite",
        "asyncio",
        "discord.http",
        "discord.gateway",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
