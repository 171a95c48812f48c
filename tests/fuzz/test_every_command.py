"""Every declared command and option survives any text (issue 17 §3).

A property test: hypothesis picks a command of any installed cog, a member or a moderator, and
for each of its options arbitrary Unicode (control characters and NUL included), 10,000-character
strings or the markup of all three platforms. The invocation runs through the dispatcher on a real
database, and every reply is rendered by the console, Discord and Slack renderers. Properties:

- no exception escapes a handler (the dispatcher would turn it into an incident: outcome "error");
- no reply can ping: Discord payloads parse no mentions, Slack text carries no live `<!here>`,
  `<@U…>` or `<!channel>` taken from the input;
- every rendered payload fits the platform's limits (the emulators' rule checkers).

`MLEBOT_FUZZ_EXAMPLES` sets the number of examples (default 100, a few seconds; e.g. 5000 for a
long run). The inputs tried are counted in `TRIED`; `-s` prints the count.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.adapters import console_render
from bot.adapters.discord import render as discord_render
from bot.adapters.slack import blocks as slack_blocks
from bot.app import Application
from bot.commands.context import Invocation
from bot.commands.errors import UserError
from bot.commands.registry import Command, OptionType
from bot.commands.textsyntax import invocation_target, parse_line
from bot.messages import Message, Tone
from bot.ops.compose import build_application
from bot.settings import load_settings
from tests.emulators.discord.rules import message_violation
from tests.helpers import RecordingResponder, actor, place
from tests.slack.slack_rules import message_error

EXAMPLES = int(os.environ.get("MLEBOT_FUZZ_EXAMPLES", "100"))
TRIED: list[int] = [0]

MARKUP = [
    "<@U1>",
    "<@!123456789012345678>",
    "<@&123456789012345678>",
    "<#C1>",
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!subteam^S1>",
    "@everyone",
    "@here",
    "**",
    "*",
    "_",
    "~~",
    "`",
    "```",
    "|",
    ">",
    "<",
    "&",
    "&lt;",
    "[x](https://example.org)",
    "<https://example.org|x>",
    "\u200b",
    "\x00",
    "\x000\x00",
    "0",
    "\x1b[31m",
    "\n",
    " ",
    "a",
    ":",
    '"',
]

_markup = st.lists(st.sampled_from(MARKUP), min_size=1, max_size=40).map("".join)
_unicode = st.text(max_size=300)  # every code point but surrogates: controls and NUL included
_long = st.text(min_size=1, max_size=8).map(lambda s: (s * 10_000)[:10_000])
_value = st.one_of(_unicode, _markup, _long, st.sampled_from(["0", "-1", "1e309", "nan", ""]))

# Live mentions a reply must never carry (Slack): built from the markup above.
_SLACK_PING = re.compile(r"<(?:!here|!channel|!everyone|!subteam|@U1|@!|@&|#C1)")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Application, Any]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    loop = asyncio.new_event_loop()
    s = load_settings(
        None, database_url=f"sqlite:///{folder / 'fuzz.db'}", quota_commands_per_minute=0
    )
    app = loop.run_until_complete(build_application(s, platforms=False, services=False))
    try:
        yield app, loop
    finally:
        loop.run_until_complete(app.stop())
        loop.close()


def _commands(app: Application) -> list[Command]:
    return sorted(app.registry.all(), key=lambda c: c.path)


def check_rendered(messages: list[Any], typed: list[str]) -> None:
    for message in messages:
        out = io.StringIO()
        Console(file=out, width=100, force_terminal=False).print(
            console_render.render(message, hyperlinks=False)
        )
        for payload in discord_render.render(message):
            assert payload["allowed_mentions"] == {"parse": []}
            violation = message_violation(payload)
            assert violation is None, violation
        body = slack_blocks.render(message)
        problem = message_error(body)
        assert problem is None, problem
        slack_text = str(body)
        if any(_SLACK_PING.search(t) for t in typed):
            assert not _SLACK_PING.search(slack_text), slack_text[:500]
        assert "\x00" not in slack_text


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 100,  # CI: the same inputs every run; long runs explore
)
@given(data=st.data())
def test_every_command_survives_any_text(
    running: tuple[Application, asyncio.AbstractEventLoop], data: st.DataObject
) -> None:
    app, loop = running
    command = data.draw(st.sampled_from(_commands(app)), label="command")
    moderator = data.draw(st.booleans(), label="moderator")
    options: dict[str, Any] = {}
    for opt in command.options:
        if opt.required or data.draw(st.booleans()):
            if opt.type is OptionType.BOOLEAN:
                options[opt.name] = data.draw(st.sampled_from(["yes", "no", "\x00", "maybe"]))
            else:
                options[opt.name] = data.draw(_value, label=opt.name)
    typed = [v for v in options.values() if isinstance(v, str)]
    responder = RecordingResponder()
    invocation = Invocation(
        path=command.path,
        options=options,
        actor=actor("fuzzer", moderator=moderator),
        place=place(),
    )
    outcome = loop.run_until_complete(app.dispatcher.dispatch(invocation, responder))
    TRIED[0] += 1
    assert outcome.status != "error", (command.path, options, responder.text()[:500])
    check_rendered(responder.messages, typed)

    # The same command typed as text (Slack's and the console's way in): the text syntax parses
    # it, and a parse error is shown as the adapters show it.
    line = data.draw(_value, label="typed line")
    try:
        parsed = parse_line(f"{' '.join(command.path)} {line}", app.registry)
    except UserError as exc:
        check_rendered([Message(body=str(exc), tone=Tone.WARNING, private=True)], [line])
        return
    path, parsed_options = invocation_target(parsed)
    responder = RecordingResponder()
    invocation = Invocation(
        path=path, options=parsed_options, actor=actor("fuzzer", moderator=moderator), place=place()
    )
    outcome = loop.run_until_complete(app.dispatcher.dispatch(invocation, responder))
    TRIED[0] += 1
    assert outcome.status != "error", (path, line, responder.text()[:500])
    check_rendered(responder.messages, [line])


def test_report_inputs_tried() -> None:
    # Runs after the property test in file order: prints the count for the note (-s).
    print(f"\nfuzz: {TRIED[0]} invocations tried over every declared command")
