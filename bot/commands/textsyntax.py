"""The text command syntax shared by Slack and the console.

`/resource search "feature stores" level:beginner` -> path `("resource", "search")`, options
`{"query": "feature stores", "level": "beginner"}`. Values are positional (filling options in
declaration order), `key:value`, or quoted with straight or typographic quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.converters import convert_value
from bot.commands.errors import OptionError, UsageError
from bot.commands.registry import Command, CommandRegistry, Option, OptionType

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "„": "“", "«": "»"}
_APOSTROPHES = frozenset("'‘’")
MAX_LINE_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    key: str | None = None  # set for key:value tokens

    def display(self) -> str:
        return f"{self.key}:{self.text}" if self.key else self.text


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A text line resolved against the registry.

    `command` is None when the line named a group (or nothing): `path` is then the group
    prefix, so the caller can show that group's help.
    """

    path: tuple[str, ...]
    command: Command | None
    options: dict[str, str]


def tokenize(line: str) -> list[Token]:
    """Split a line into tokens, honouring quotes; `key:value` tokens carry their key.

    A quote opens a value only at the start of a word (or right after `key:`): inside a word
    (`o'reilly`, `huyen's`, `Don't`) it is an ordinary character. A quoted value ends at the
    first matching quote followed by a space or the end of the line, so `'chip huyen's book'`
    keeps its apostrophe. An apostrophe that opens a word and is never closed (`'tis`) is kept
    as a character; an unclosed double quote is refused.
    """
    if len(line) > MAX_LINE_LENGTH:
        raise UsageError(
            f"That command is {len(line)} characters long; the limit is {MAX_LINE_LENGTH}."
        )
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted_whole = line[i] in _QUOTES
        key: str | None = None
        value_start = i
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in _QUOTES and i == value_start:
                end = _closing_quote(line, i, strict=ch in _APOSTROPHES)
                if end is None:
                    if ch in _APOSTROPHES:
                        buf.append(ch)
                        i += 1
                        continue
                    raise UsageError(
                        f"A quote ({ch}) is never closed. Put quotes around a value with spaces, "
                        'like `"feature stores"`.'
                    )
                buf.append(line[i + 1 : end])
                i = end + 1
                continue
            if ch == ":" and key is None and not quoted_whole and buf and _is_key("".join(buf)):
                key = "".join(buf)
                buf = []
                i += 1
                value_start = i
                continue
            buf.append(ch)
            i += 1
        tokens.append(Token("".join(buf), key))
    return tokens


def _closing_quote(line: str, start: int, *, strict: bool) -> int | None:
    """Where the quote opened at `start` closes: preferably before a space or the line's end.

    `strict` (apostrophes) accepts only such a close: `'tis` and `'chip huyen's` never close.
    """
    opener = line[start]
    closers = {_QUOTES[opener], opener}
    first: int | None = None
    for j in range(start + 1, len(line)):
        if line[j] in closers:
            if j + 1 == len(line) or line[j + 1].isspace():
                return j
            if first is None:
                first = j
    return None if strict else first


def _is_key(word: str) -> bool:
    return (
        word.replace("_", "").replace("-", "").isalnum() and word[0].isalpha() and len(word) <= 32
    )


def parse_line(line: str, registry: CommandRegistry) -> ParsedLine:
    """Resolve `line` (with or without the leading slash) into a command and raw options."""
    stripped = line.strip()
    if stripped.startswith("/"):
        stripped = stripped[1:]
    tokens = tokenize(stripped)
    if not tokens:
        return ParsedLine((), None, {})
    path: list[str] = []
    while tokens and tokens[0].key is None:
        candidate = (*path, tokens[0].text.lower())
        if registry.get(candidate) is not None or registry.children(candidate):
            path.append(tokens.pop(0).text.lower())
            if registry.get(path) is not None:
                break
        else:
            break
    if not path:
        word = tokens[0].display()
        hint = _did_you_mean(word, registry.groups())
        sentence = len(tokens) > 1 and not line.strip().startswith("/")
        if "Did you mean" not in hint and (sentence or word.endswith("?")):
            raise UsageError(_plain_text_reply(stripped, registry))
        raise UsageError(f"There is no command /{word}.", hint=hint)
    command = registry.get(path)
    if command is None:
        if tokens:
            word = tokens[0].display()
            options = registry.children(path)
            raise UsageError(
                f"/{' '.join(path)} has no subcommand `{word}`.",
                hint=f"Try one of: {', '.join(options)}. "
                f"Type `/help {' '.join(path)}` for details.",
            )
        return ParsedLine(tuple(path), None, {})
    return ParsedLine(tuple(path), command, bind_options(command, tokens))


def bind_options(command: Command, tokens: list[Token]) -> dict[str, str]:
    """Assign `key:value` tokens by name and the rest positionally, in declaration order.

    An unknown `name:value` is refused with the command's option names, except when it reads
    as a value: a web address (`https://…`), another URI (`mailto:…`), or a word ending in a
    colon (`Note: …`). When fewer values are typed than required options, the missing option
    is named instead of shifting the others (`/schedule digest mon 09:00` lacks `channel`).
    """
    options: dict[str, str] = {}
    positional: list[str] = []
    for token in tokens:
        if token.key is not None:
            opt = _option_named(command, token.key)
            if opt is None:
                if _reads_as_value(token):
                    positional.append(token.display())
                    continue
                raise UsageError(
                    f"/{command.name} has no option `{token.key}`. {_known_options(command)}",
                    hint=f"Usage: `{command.usage()}`. To use `{token.display()}` as a value, "
                    f'put it in quotes: `"{token.display()}"`.',
                )
            if opt.name in options:
                raise UsageError(
                    f"`{opt.name}` is given twice.", hint=f"Usage: `{command.usage()}`"
                )
            options[opt.name] = token.text
        else:
            positional.append(token.text)
    free = [o for o in command.options if o.name not in options]
    _refuse_missing(command, free, positional)
    while positional:
        if not free:
            raise UsageError(
                f"I don't know what to do with `{positional[0]}`.",
                hint=f"Usage: `{command.usage()}`",
            )
        opt = free.pop(0)
        if opt.rest:
            options[opt.name] = " ".join(positional)
            positional = []
        else:
            options[opt.name] = positional.pop(0)
    return options


#: `scheme:rest` words that are values, not option names (besides `scheme://…`).
_URI_SCHEMES = frozenset(
    {"mailto", "urn", "doi", "arxiv", "isbn", "tel", "data", "javascript", "file", "about"}
)


def _reads_as_value(token: Token) -> bool:
    assert token.key is not None
    return token.text == "" or token.text.startswith("//") or token.key.lower() in _URI_SCHEMES


def _known_options(command: Command) -> str:
    if not command.options:
        return "It takes no options."
    return "Its options: " + ", ".join(o.name for o in command.options) + "."


def _refuse_missing(command: Command, free: list[Option], positional: list[str]) -> None:
    """Name a required option left out when the typed values fit the others in order.

    Only when there are fewer positional values than free required options: each value is
    matched, in order, to the first remaining option it fits; a required option skipped that
    way is the missing one. When the values fit no such alignment, nothing is said here and
    the converters report the first value that does not fit.
    """
    required = [o for o in free if o.required]
    if not positional or len(positional) >= len(required) or any(o.rest for o in required):
        return
    skipped: list[Option] = []
    values = list(positional)
    for opt in free:
        if values and _fits(opt, values[0]):
            values.pop(0)
        elif opt.required:
            skipped.append(opt)
    if values or not skipped:
        return
    missing = skipped[0]
    raise UsageError(
        f"`{missing.name}` is missing ({missing.description.rstrip('.')}).",
        hint=f"Usage: `{command.usage()}`",
    )


_SIGILS = {
    OptionType.CHANNEL: ("#", "<#"),
    OptionType.USER: ("@", "<@"),
    OptionType.ROLE: ("@", "<@", "<!subteam"),
}


def _fits(opt: Option, value: str) -> bool:
    """Whether a typed value could be `opt`'s (references must carry their sigil here)."""
    sigils = _SIGILS.get(opt.type)
    if sigils is not None:
        return value.startswith(sigils)
    try:
        convert_value(opt, value)
    except (OptionError, ValueError):
        return False
    return True


def _option_named(command: Command, key: str) -> Option | None:
    wanted = key.lower().replace("-", "_")
    for opt in command.options:
        if opt.name.replace("-", "_") == wanted:
            return opt
    return None


def _plain_text_reply(text: str, registry: CommandRegistry) -> str:
    """What to say to a sentence typed without a command (`what is mlops?`)."""
    words = " ".join(text.rstrip("?!. ").split()[:8])
    if registry.get(("resource", "search")) is not None:
        return (
            "I only understand commands that start with `/`. To search the library, type "
            f"`/resource search {words}`; `/help` lists everything else."
        )
    return "I only understand commands that start with `/`; `/help` lists them."


def _did_you_mean(word: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word.lower(), candidates, n=2, cutoff=0.6)
    if close:
        return f"Did you mean {' or '.join('/' + c for c in close)}? Type /help for every command."
    return "Type /help for every command."


def invocation_target(parsed: ParsedLine) -> tuple[tuple[str, ...], dict[str, str]]:
    """The command path and options to run for a parsed line.

    A line naming only a group (`/resource`) or nothing runs `/help` for that group, so the
    person sees what the group offers instead of an error.
    """
    if parsed.command is not None:
        return parsed.path, parsed.options
    return ("help",), ({"command": " ".join(parsed.path)} if parsed.path else {})
