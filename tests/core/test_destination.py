"""Destinations: the constructors cogs use, the one recipient-key format, the run key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.jobs import Destination, DestinationKind, RunContext, run_key
from storage.communities import Community
from storage.recipients import recipient_key, recipient_kind

GUILD = Community(7, "discord", "g-1", "ML", "Europe/London", datetime(2026, 1, 1, tzinfo=UTC))


def test_dm_and_channel_take_the_community_platform_ids() -> None:
    dm = Destination.dm(GUILD, "u-42", "ana")
    assert dm == Destination("discord", "g-1", DestinationKind.DM, "u-42", "ana")
    assert dm.recipient_key == "discord:dm:u-42" and dm.label() == "DM @ana"
    post = Destination.channel(GUILD, "c-9", "general")
    assert post == Destination("discord", "g-1", DestinationKind.CHANNEL, "c-9", "general")
    assert post.recipient_key == "discord:channel:c-9" and post.label() == "#general"


@given(
    platform=st.sampled_from(["discord", "slack", "console"]),
    kind=st.sampled_from(list(DestinationKind)),
    target=st.text(min_size=1, max_size=30),
)
def test_the_kind_reads_back_from_any_key(
    platform: str, kind: DestinationKind, target: str
) -> None:
    assert recipient_kind(recipient_key(platform, kind, target)) == kind


def test_a_key_in_another_format_has_no_kind() -> None:
    assert recipient_kind("legacy") == "" and recipient_kind("a:b") == ""


def test_a_run_context_carries_its_slots_run_key() -> None:
    slot = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    ctx = RunContext(cast(Any, None), GUILD, 3, "weekly", slot, late=False)
    assert ctx.run_key == "schedule:3:2026-01-05T09:00:00+00:00" == run_key(3, slot)
