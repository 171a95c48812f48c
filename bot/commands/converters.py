"""Converting raw option values (typed text or native platform values) into handler arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.commands.context import ChannelRef, RoleRef, UserRef
from bot.commands.errors import OptionError, UsageError
from bot.commands.registry import Command, Option, OptionType
from bot.timing.timeparse import DAYS_FORMS, parse_days, parse_time, parse_timezone, parse_weekday

MAX_URL_LENGTH = 2048
#: Chat platforms write links as `<url|label>`: an address holding one of these could end the
#: link early or carry a label of its own, so it is refused rather than stored.
URL_FORBIDDEN = frozenset("|<>")
URL_FORBIDDEN_MESSAGE = (
    "must not contain `|`, `<` or `>` (chat apps use them to mark links); "
    "paste the web address on its own."
)
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
# Slack escapes: <#C123|general>, <@U123|ana>, <!subteam^S123|team>; console: #general, @ana
_SLACK_CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|([^>]*))?>$")
_SLACK_USER = re.compile(r"^<@([A-Z0-9]+)(?:\|([^>]*))?>$")
_DISCORD_CHANNEL = re.compile(r"^<#(\d+)>$")
_DISCORD_USER = re.compile(r"^<@!?(\d+)>$")
_DISCORD_ROLE = re.compile(r"^<@&(\d+)>$")
_SLACK_ROLE = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>$")
_PLAIN_NAME = re.compile(r"^[\w][\w.\-]{0,79}$")


def convert_options(
    command: Command, raw: Mapping[str, Any], *, plain_names: bool = True
) -> dict[str, Any]:
    """Convert and validate every option; missing optional ones get their default.

    `plain_names` accepts `#general` / `@ana` as channel, member and role references (the
    console, where they exist once named). On Slack a real reference arrives escaped
    (`<#C123|general>`), so a plain name there names nothing the bot could post to.
    """
    unknown = [k for k in raw if command.option(k) is None]
    if unknown:
        names = ", ".join(o.name for o in command.options) or "none"
        raise UsageError(
            f"/{command.name} has no option `{unknown[0]}`. Its options: {names}.",
            hint=f"Usage: `{command.usage()}`",
        )
    values: dict[str, Any] = {}
    for opt in command.options:
        value = raw.get(opt.name)
        if value is None or (
            isinstance(value, str) and value.strip() == "" and opt.type is not OptionType.STRING
        ):
            if opt.required:
                raise OptionError(
                    opt.name,
                    f"is required ({opt.description}).",
                    hint=f"Usage: `{command.usage()}`",
                )
            values[opt.name] = opt.default
            continue
        if not plain_names and opt.type in _REFERENCES and isinstance(value, str):
            _require_platform_reference(opt, value)
        values[opt.name] = convert_value(opt, value)
    return values


def _require_platform_reference(opt: Option, value: str) -> None:
    what, sigil, patterns = _REFERENCES[opt.type]
    if not any(p.match(value.strip()) for p in patterns):
        raise OptionError(
            opt.name,
            f"{value.strip()[:80]!r} is not a {what} the platform recognised: type {sigil} and "
            f"pick the {what} from the suggestions, so its id comes with it.",
        )


def convert_value(opt: Option, value: Any) -> Any:
    """Convert one raw value for `opt`, raising `OptionError` with what is allowed."""
    try:
        converted = _CONVERTERS[opt.type](opt, value)
    except ValueError as exc:
        raise OptionError(opt.name, str(exc)) from None
    if opt.choices:
        allowed = {str(c.value).casefold(): c.value for c in opt.choices}
        allowed.update({c.name.casefold(): c.value for c in opt.choices})
        key = str(converted).casefold()
        if key not in allowed:
            listed = ", ".join(str(c.value) for c in opt.choices)
            raise OptionError(opt.name, f"{converted!r} is not one of: {listed}.")
        converted = allowed[key]
    return converted


def _string(opt: Option, raw: Any) -> str:
    value = str(raw).strip()
    if opt.min_length is not None and len(value) < opt.min_length:
        raise ValueError(f"must be at least {opt.min_length} characters long.")
    if opt.max_length is not None and len(value) > opt.max_length:
        raise ValueError(f"is {len(value)} characters long; the limit is {opt.max_length}.")
    return value


def _bounded(opt: Option, number: float) -> None:
    if opt.min_value is not None and number < opt.min_value:
        raise ValueError(f"must be at least {_fmt(opt.min_value)}.")
    if opt.max_value is not None and number > opt.max_value:
        raise ValueError(f"must be at most {_fmt(opt.max_value)}.")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _integer(opt: Option, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number.")
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip().replace("_", ""))
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number.") from None
    _bounded(opt, number)
    return number


def _number(opt: Option, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number.")
    _bounded(opt, number)
    return number


def _boolean(opt: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = str(value).strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no; use true or false.")


def _time(opt: Option, value: Any) -> Any:
    return parse_time(str(value))


def _timezone(opt: Option, value: Any) -> str:
    return parse_timezone(str(value))


def _weekday(opt: Option, value: Any) -> int:
    return parse_weekday(str(value))


def _days(opt: Option, value: Any) -> frozenset[int]:
    if isinstance(value, frozenset):
        return value
    try:
        return parse_days(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a list of days; use {DAYS_FORMS}.") from None


def _ref(value: Any, kind: type[Any], option_type: OptionType) -> Any:
    if isinstance(value, kind):
        return value
    what, sigil, patterns = _REFERENCES[option_type]
    raw = str(value).strip()
    for pattern in patterns:
        m = pattern.match(raw)
        if m:
            ident = m.group(1)
            name = (m.group(2) if m.lastindex and m.lastindex >= 2 else None) or ident
            return kind(id=ident, name=name)
    name = raw[1:] if raw.startswith(sigil) else raw
    if _PLAIN_NAME.match(name):
        return kind(id=name, name=name)
    raise ValueError(f"{raw!r} is not a {what}; write it as {sigil}name.")


def _channel(opt: Option, value: Any) -> ChannelRef:
    ref: ChannelRef = _ref(value, ChannelRef, OptionType.CHANNEL)
    return ref


def _user(opt: Option, value: Any) -> UserRef:
    ref: UserRef = _ref(value, UserRef, OptionType.USER)
    return ref


def _role(opt: Option, value: Any) -> RoleRef:
    ref: RoleRef = _ref(value, RoleRef, OptionType.ROLE)
    return ref


def validate_url(raw: str) -> str:
    """Accept only http(s) URLs of sane length with a host and no embedded credentials."""
    value = raw.strip().strip("<>")
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces.")
    if any(ch in URL_FORBIDDEN for ch in value):
        raise ValueError(URL_FORBIDDEN_MESSAGE)
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError(
            f"{value[:80]!r} is not a web address; it must start with https:// or http://."
        )
    if not parts.hostname or ("." not in parts.hostname and parts.hostname != "localhost"):
        raise ValueError(f"{value[:80]!r} has no valid host name.")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password.")
    return value


def _url(opt: Option, value: Any) -> str:
    return validate_url(str(value))


#: What a reference option names, its sigil, and the platform forms that carry an id.
_REFERENCES: dict[OptionType, tuple[str, str, list[re.Pattern[str]]]] = {
    OptionType.CHANNEL: ("channel", "#", [_SLACK_CHANNEL, _DISCORD_CHANNEL]),
    OptionType.USER: ("member", "@", [_SLACK_USER, _DISCORD_USER]),
    OptionType.ROLE: ("role", "@", [_DISCORD_ROLE, _SLACK_ROLE]),
}

_CONVERTERS: dict[OptionType, Any] = {
    OptionType.STRING: _string,
    OptionType.INTEGER: _integer,
    OptionType.NUMBER: _number,
    OptionType.BOOLEAN: _boolean,
    OptionType.TIME: _time,
    OptionType.TIMEZONE: _timezone,
    OptionType.WEEKDAY: _weekday,
    OptionType.DAYS: _days,
    OptionType.CHANNEL: _channel,
    OptionType.USER: _user,
    OptionType.ROLE: _role,
    OptionType.URL: _url,
}
