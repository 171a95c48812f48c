"""The core's community events (`app.events`): the help cog welcomes a community the bot joined,
once, where the event says a welcome can go; a failing subscriber does not stop the others."""

from __future__ import annotations

import pytest

from bot.commands.registry import CommandRegistry
from bot.events import CommunityEvents, CommunityJoined
from bot.messages import Message
from bot.scheduling.jobs import Destination, DestinationKind
from cogs.help import HelpCog, setup_guide
from cogs.settings import SettingsCog
from tests.conftest import AppFactory
from tests.schedules.support import outbox_rows

SYSTEM_CHANNEL = Destination("console", "c1", DestinationKind.CHANNEL, "ch1", "announcements")


async def test_the_help_cog_queues_its_guide_once_per_community(make_app: AppFactory) -> None:
    app = await make_app([HelpCog, SettingsCog])
    joined = CommunityJoined("console", "c1", "Study Group", SYSTEM_CHANNEL)
    await app.events.joined(joined)
    await app.events.joined(joined)  # reported twice: still one guide
    await app.events.joined(CommunityJoined("console", "c2", "Nowhere To Post", None))
    (row,) = await outbox_rows(app)
    assert row["run_key"] == "console:welcome:c1"
    assert (row["kind"], row["target_id"]) == ("channel", "ch1")
    guide = Message.from_dict(row["body"])
    assert guide.title == "Thanks for adding mlebot to Study Group!"
    assert "`/settings timezone`" in guide.body
    assert guide.footer == "Give a role moderator rights with /settings moderator-role."


async def test_without_the_help_cog_nothing_is_queued(make_app: AppFactory) -> None:
    app = await make_app([SettingsCog])
    await app.events.joined(CommunityJoined("console", "c1", "Study Group", SYSTEM_CHANNEL))
    assert await outbox_rows(app) == []


def test_the_guide_names_only_installed_commands() -> None:
    guide = setup_guide(CommandRegistry(), "Empty")
    assert "Setting up" not in guide.body and "/settings" not in guide.body
    assert guide.footer is None
    assert guide.title == "Thanks for adding mlebot to Empty!"


async def test_a_failing_subscriber_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = CommunityEvents()
    seen: list[str] = []

    async def broken(event: CommunityJoined) -> None:
        raise RuntimeError("boom")

    async def record(event: CommunityJoined) -> None:
        seen.append(event.community_id)

    events.on_joined(broken)
    unsubscribe = events.on_joined(record)
    await events.joined(CommunityJoined("discord", "g1", "One", None))
    assert seen == ["g1"]
    assert "handling the bot joining discord community g1 failed" in caplog.text
    unsubscribe()
    unsubscribe()  # twice is harmless
    await events.joined(CommunityJoined("discord", "g2", "Two", None))
    assert seen == ["g1"]
