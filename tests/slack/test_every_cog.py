"""Every installed cog's commands through Slack: each declared example runs without an internal
error, each group alone shows its help, and moderator rights work with Slack mentions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.commands.registry import Permission
from bot.loader import load_cog_classes
from bot.settings import Settings
from bot.timing.clock import ManualClock
from tests.slack.conftest import SlackBot, build_bot
from tests.slack.mock_slack import SlackMock
from tests.slack.test_http_mode import texts

ADMIN = "UADMIN"
MEMBER = "UMEMBER"


@pytest.fixture
async def full_bot(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> AsyncIterator[SlackBot]:
    slack_mock.users[ADMIN] = {"name": "boss", "is_admin": True}
    slack_mock.users[MEMBER] = {"name": "bea"}
    bot = await build_bot(settings, clock, slack_mock, cogs=load_cog_classes([], []))
    yield bot
    await bot.session.close()
    await bot.app.stop()


async def everything_said(bot: SlackBot, ack: Any) -> str:
    """The ack's text plus every later reply (response_url, chat.post*)."""
    await bot.adapter.idle()
    parts = [texts(ack)] if isinstance(ack, dict) else []
    parts += [texts(r.params) for r in bot.mock.responses]
    parts += [
        texts(c.params)
        for c in bot.mock.calls
        if c.method in ("chat.postMessage", "chat.postEphemeral")
    ]
    bot.mock.responses.clear()
    bot.mock.calls.clear()
    return "\n".join(parts)


async def test_every_declared_example_runs_without_an_internal_error(full_bot: SlackBot) -> None:
    ran = 0
    for command in full_bot.app.registry.all():
        for example in command.examples:
            name, _, text = example.partition(" ")
            status, ack = await full_bot.command(name, text, user=ADMIN, name="boss")
            said = await everything_said(full_bot, ack)
            assert status == 200, example
            assert said.strip(), f"{example}: no answer"
            # the apology for an internal error (resource descriptions may say "incident")
            assert "went wrong on my side" not in said, f"{example}: {said}"
            ran += 1
    assert ran >= len(full_bot.app.registry.groups())


async def test_every_group_alone_shows_its_help(full_bot: SlackBot) -> None:
    for group in full_bot.app.registry.groups():
        status, ack = await full_bot.command(f"/{group}", "", user=MEMBER)
        said = await everything_said(full_bot, ack)
        assert status == 200 and f"/{group}" in said, group


async def test_moderator_commands_refused_for_members(full_bot: SlackBot) -> None:
    moderated = [c for c in full_bot.app.registry.all() if c.permission is Permission.MODERATOR]
    for command in moderated:
        if any(o.required for o in command.options):
            continue  # a refusal needs no options, but the parser would ask for them first
        status, ack = await full_bot.command(
            f"/{command.group}", " ".join(command.path[1:]), user=MEMBER
        )
        said = await everything_said(full_bot, ack)
        assert status == 200 and "Only moderators" in said, command.name


async def test_a_member_granted_with_a_slack_mention_becomes_a_moderator(
    full_bot: SlackBot,
) -> None:
    if full_bot.app.registry.get(("settings", "moderators", "add")) is None:
        pytest.skip("the schedules cog is not installed")
    _, ack = await full_bot.command("/schedule", "list", user=MEMBER)
    assert "Only moderators" in await everything_said(full_bot, ack)
    _, ack = await full_bot.command(
        "/settings", f"moderators add <@{MEMBER}|bea>", user=ADMIN, name="boss"
    )
    assert "now a moderator" in await everything_said(full_bot, ack)
    _, ack = await full_bot.command("/schedule", "list", user=MEMBER)
    assert "Only moderators" not in await everything_said(full_bot, ack)
