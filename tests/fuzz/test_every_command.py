"""Every declared command and option survives any text (issue 17 §3).

A property test per declared command (every installed cog's, parametrized, so none is left to
chance): hypothesis picks a member or a moderator, and for each option arbitrary Unicode (control
characters and NUL included), 10,000-character strings or the markup of all three platforms (and
Rich's console markup). The invocation runs through the dispatcher on a real database, then the
same command typed as text through the text syntax; every reply, and every post or DM the command
queued in the outbox, is rendered by the console, Discord and Slack renderers. Properties:

- no exception escapes a handler (the dispatcher would turn it into an incident: outcome "error");
- no reply can ping: Discord payloads parse no mentions, Slack text carries no live `<!here>`,
  `<@U…>` or `<!channel>` taken from the input;
- every rendered payload fits the platform's limits (the emulators' rule checkers), and the
  console's output carries no control character or terminal escape from the input.

`test_every_option_was_tried` then checks that every option of every command got a value.

`MLEBOT_FUZZ_EXAMPLES` sets the examples per command (default 20, about a minute in all; e.g.
500 for a long run). The invocations tried are counted in `TRIED`; `-s` prints the count, and
`--hypothesis-show-statistics` the examples per command.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
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
from bot.ops.compose import build_application, declared_registry
from bot.settings import load_settings
from bot.timing.clock import ManualClock
from storage.outbox import outbox_messages
from tests.digest.test_cog import digest_schedule
from tests.emulators.discord.rules import message_violation
from tests.helpers import RecordingResponder, actor, place
from tests.slack.slack_rules import message_error

EXAMPLES = int(os.environ.get("MLEBOT_FUZZ_EXAMPLES", "20"))
TRIED: list[int] = [0]
#: Posts and DMs the fuzzed commands queued (each rendered like a reply).
QUEUED: list[int] = [0]
#: Per command path: the options that were given a value in some example.
OPTIONS_TRIED: dict[tuple[str, ...], set[str]] = {}


def _declared() -> list[Command]:
    """Every installed cog's commands, read from their declarations (no database)."""
    settings = load_settings(None, database_url="sqlite:///:memory:")
    return asyncio.run(declared_registry(settings)).all()


DECLARED = _declared()

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
    "[bold]",
    "[/]",
    "[/bold]",
    "[link=https://example.org]",
    "\\[",
    "\x1b]8;;https://example.org\x1b\\",
    "\x9b31m",
]

_markup = st.lists(st.sampled_from(MARKUP), min_size=1, max_size=40).map("".join)
_unicode = st.text(max_size=300)  # every code point but surrogates: controls and NUL included
_long = st.text(min_size=1, max_size=8).map(lambda s: (s * 10_000)[:10_000])
_value = st.one_of(_unicode, _markup, _long, st.sampled_from(["0", "-1", "1e309", "nan", ""]))

# What the console must never print: C0/C1 controls but newline and tab (ESC included).
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Live mentions a reply must never carry (Slack): built from the markup above.
_SLACK_PING = re.compile(r"<(?:!here|!channel|!everyone|!subteam|@U1|@!|@&|#C1)")


async def seed(app: Application) -> None:
    """A digest schedule and a subscriber, so publishing commands queue posts and DMs (whose
    issue carries the fuzzed notes and pins of earlier examples) for the renderers to check."""
    await digest_schedule(app)
    for who in ("fuzzer", "ana"):
        responder = RecordingResponder()
        await app.dispatcher.dispatch(
            Invocation(path=("digest", "subscribe"), options={}, actor=actor(who), place=place()),
            responder,
        )
        assert "subscribed" in responder.text().lower()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Application, Any]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    loop = asyncio.new_event_loop()
    s = load_settings(
        None,
        database_url=f"sqlite:///{folder / 'fuzz.db'}",
        quota_commands_per_minute=0,
        quota_publish_now_minutes=0,
    )
    # A manual clock, moved 21 hours per invocation: time-keyed rules (a publish's run key, the
    # 20 hours between digest issues) do not refuse an example for coming soon after another,
    # so publishing commands do publish and their posts are rendered too.
    clock = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    app = loop.run_until_complete(
        build_application(s, clock=clock, platforms=False, services=False)
    )
    loop.run_until_complete(seed(app))
    try:
        yield app, loop
    finally:
        loop.run_until_complete(app.stop())
        loop.close()


def check_rendered(messages: list[Any], typed: list[str]) -> None:
    for message in messages:
        out = io.StringIO()
        Console(file=out, width=100, force_terminal=False).print(
            console_render.render(message, hyperlinks=False)
        )
        shown = out.getvalue()
        assert not _TERMINAL_CONTROL.search(shown), repr(shown[:500])
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


async def queued_since(app: Application, last: int) -> list[Message]:
    """Messages the command queued in the outbox (posts, DMs) after message id `last`."""
    async with app.db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.select(outbox_messages.c.id, outbox_messages.c.body)
                .where(outbox_messages.c.id > last)
                .order_by(outbox_messages.c.id)
            )
        ).all()
    return [Message.from_dict(r.body) for r in rows]


def run_and_check(
    app: Application,
    loop: asyncio.AbstractEventLoop,
    invocation: Invocation,
    typed: list[str],
    what: object,
) -> None:
    """Dispatch `invocation`; its replies and whatever it queued must render safely."""
    assert isinstance(app.clock, ManualClock)
    app.clock.advance(timedelta(hours=21))
    last = loop.run_until_complete(_last_message_id(app))
    responder = RecordingResponder()
    outcome = loop.run_until_complete(app.dispatcher.dispatch(invocation, responder))
    TRIED[0] += 1
    assert outcome.status != "error", (what, responder.text()[:500])
    check_rendered(responder.messages, typed)
    queued = loop.run_until_complete(queued_since(app, last))
    QUEUED[0] += len(queued)
    check_rendered(queued, typed)


async def _last_message_id(app: Application) -> int:
    async with app.db.transaction() as conn:
        value = (await conn.execute(sa.select(sa.func.max(outbox_messages.c.id)))).scalar()
    return int(value or 0)


@pytest.mark.parametrize("declared", DECLARED, ids=[" ".join(c.path) for c in DECLARED])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 20,  # CI: the same inputs every run; long runs explore
)
@given(data=st.data())
def test_every_command_survives_any_text(
    running: tuple[Application, asyncio.AbstractEventLoop],
    declared: Command,
    data: st.DataObject,
) -> None:
    app, loop = running
    command = app.registry.commands[declared.path]
    moderator = data.draw(st.booleans(), label="moderator")
    options: dict[str, Any] = {}
    for opt in command.options:
        if opt.required or data.draw(st.booleans()):
            if opt.type is OptionType.BOOLEAN:
                options[opt.name] = data.draw(st.sampled_from(["yes", "no", "\x00", "maybe"]))
            else:
                options[opt.name] = data.draw(_value, label=opt.name)
    OPTIONS_TRIED.setdefault(command.path, set()).update(options)
    typed = [v for v in options.values() if isinstance(v, str)]
    invocation = Invocation(
        path=command.path,
        options=options,
        actor=actor("fuzzer", moderator=moderator),
        place=place(),
    )
    run_and_check(app, loop, invocation, typed, (command.path, options))

    # The same command typed as text (Slack's and the console's way in): the text syntax parses
    # it, and a parse error is shown as the adapters show it.
    line = data.draw(_value, label="typed line")
    try:
        parsed = parse_line(f"{' '.join(command.path)} {line}", app.registry)
    except UserError as exc:
        check_rendered([Message(body=str(exc), tone=Tone.WARNING, private=True)], [line])
        return
    path, parsed_options = invocation_target(parsed)
    invocation = Invocation(
        path=path, options=parsed_options, actor=actor("fuzzer", moderator=moderator), place=place()
    )
    run_and_check(app, loop, invocation, [line], (path, line))


def test_every_option_was_tried(running: tuple[Application, asyncio.AbstractEventLoop]) -> None:
    """After the property tests (file order): each ran command had every option given a value,
    and the running bot declares exactly the commands the tests were generated from."""
    app, _ = running
    assert sorted(app.registry.commands) == sorted(c.path for c in DECLARED)
    if not OPTIONS_TRIED:
        pytest.skip("the property tests did not run in this session")
    missing = {
        " ".join(c.path): sorted({o.name for o in c.options} - OPTIONS_TRIED[c.path])
        for c in DECLARED
        if c.path in OPTIONS_TRIED and {o.name for o in c.options} - OPTIONS_TRIED[c.path]
    }
    assert missing == {}


def test_report_inputs_tried() -> None:
    # Runs after the property test in file order: prints the count for the note (-s).
    print(
        f"\nfuzz: {TRIED[0]} invocations tried over {len(DECLARED)} declared commands; "
        f"{QUEUED[0]} queued posts and DMs rendered"
    )
