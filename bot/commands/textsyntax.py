"""The text command syntax shared by Slack and the console.

`/resource search "feature stores" level:beginner` -> path `("resource", "search")`, options
`{"query": "feature stores", "level": "beginner"}`. Values are positional (filling options in
declaration order), `key:value`, or quoted with straight or typographic quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.errors import UsageError
from bot.commands.registry import Command, CommandRegistry, Option

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "„": "“", "«": "»"}
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
    """Split a line into tokens, honouring quotes; `key:value` tokens carry their key."""
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
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in _QUOTES:
                close = _QUOTES[ch]
                end = line.find(close, i + 1)
                if end == -1 and close != ch:
                    end = line.find(ch, i + 1)
                if end == -1:
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
                continue
            buf.append(ch)
            i += 1
        tokens.append(Token("".join(buf), key))
    return tokens


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
        raise UsageError(
            f"There is no command /{word}.", hint=_did_you_mean(word, registry.groups())
        )
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
    """Assign `key:value` tokens by name and the rest positionally, in declaration order."""
    options: dict[str, str] = {}
    positional: list[str] = []
    for token in tokens:
        if token.key is not None:
            opt = _option_named(command, token.key)
            if opt is None:
                # Not one of ours: treat `https://x` or `note:yes` as a plain value.
                positional.append(token.display())
                continue
            if opt.name in options:
                raise UsageError(
                    f"`{opt.name}` is given twice.", hint=f"Usage: `{command.usage()}`"
                )
            options[opt.name] = token.text
        else:
            positional.append(token.text)
    free = [o for o in command.options if o.name not in options]
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


def _option_named(command: Command, key: str) -> Option | None:
    wanted = key.lower().replace("-", "_")
    for opt in command.options:
        if opt.name.replace("-", "_") == wanted:
            return opt
    return None


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
