"""The Discord Sender against the emulator: one attempt per call, errors classified for the
delivery engine, DM channels cached, nonces enforced; and a DM fan-out through the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.discord.sender import DiscordSender, nonce
from bot.app import Application
from bot.delivery.sender import PermanentError, RateLimited, TransientError
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from storage.outbox import outbox
from tests.conftest import AppFactory
from tests.delivery.fakes import queue
from tests.emulators.discord import DiscordEmulator

CHANNEL = "100000000000000001"
MSG = Message(title="Weekly digest", body="Three tips for @everyone this week.", private=True)


def post(channel: str = CHANNEL) -> Destination:
    return Destination("discord", "g", DestinationKind.CHANNEL, channel)


def dm(user: str) -> Destination:
    return Destination("discord", "g", DestinationKind.DM, user)


@pytest.fixture
async def sender(emulator: DiscordEmulator) -> AsyncIterator[DiscordSender]:
    s = DiscordSender(emulator.token, api_base_url=emulator.api_url)
    yield s
    await s.close()


async def test_a_channel_post_carries_the_nonce_and_pings_nobody(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    await sender.send(post(), MSG, idempotency_key="mlebot-1")
    (call,) = emulator.requests("POST", rf"/channels/{CHANNEL}/messages")
    assert call.headers["Authorization"] == f"Bot {emulator.token}"
    assert call.body["nonce"] == "mlebot-1" and call.body["enforce_nonce"] is True
    assert call.body["allowed_mentions"] == {"parse": []}
    assert "flags" not in call.body  # posts are never ephemeral
    assert call.body["embeds"][0]["title"] == "Weekly digest"


async def test_a_resend_with_the_same_key_is_dropped_by_discord(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    await sender.send(post(), MSG, idempotency_key="mlebot-7")
    await sender.send(post(), MSG, idempotency_key="mlebot-7")
    assert len(emulator.messages[CHANNEL]) == 1


async def test_dms_open_the_channel_once(emulator: DiscordEmulator, sender: DiscordSender) -> None:
    await sender.send(dm("42"), MSG, idempotency_key="mlebot-1")
    await sender.send(dm("42"), MSG, idempotency_key="mlebot-2")
    assert len(emulator.requests("POST", "/users/@me/channels")) == 1
    assert len(emulator.messages[emulator.dm_channels["42"]]) == 2


async def test_429_is_reported_with_its_scope_and_retry_after(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    emulator.fail("POST", r"/channels/\d+/messages", retry_after=2.5)
    with pytest.raises(RateLimited) as route:
        await sender.send(post(), MSG, idempotency_key="k1")
    assert route.value.retry_after == 2.5 and not route.value.is_global
    # The 429's headers emptied that channel's bucket: the next send there waits, unsent.
    with pytest.raises(RateLimited) as waiting:
        await sender.send(post(), MSG, idempotency_key="k1")
    assert 0 < waiting.value.retry_after <= 2.5 and not waiting.value.is_global
    emulator.fail("POST", r"/channels/\d+/messages", retry_after=0.75, is_global=True)
    with pytest.raises(RateLimited) as whole:
        await sender.send(post("100000000000000002"), MSG, idempotency_key="k2")
    assert whole.value.retry_after == 0.75 and whole.value.is_global
    assert len(emulator.requests("POST")) == 2  # one attempt each: no retries inside


async def test_5xx_and_unreachable_are_transient(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    emulator.fail("POST", r"/channels/\d+/messages", status=502)
    with pytest.raises(TransientError):
        await sender.send(post(), MSG, idempotency_key="k1")
    gone = DiscordSender("t", api_base_url="http://127.0.0.1:9/api/v10")
    try:
        with pytest.raises(TransientError):
            await gone.send(post(), MSG, idempotency_key="k2")
    finally:
        await gone.close()


async def test_closed_dms_and_unknown_recipients_are_permanent(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    emulator.closed_dms.add("43")
    with pytest.raises(PermanentError) as closed:
        await sender.send(dm("43"), MSG, idempotency_key="k1")
    assert "50007" in closed.value.reason and closed.value.recipient_undeliverable
    assert sender.dm_cache.peek("43") is None
    emulator.unknown_users.add("44")
    with pytest.raises(PermanentError):
        await sender.send(dm("44"), MSG, idempotency_key="k2")
    with pytest.raises(PermanentError) as unknown:
        await sender.send(post("999"), MSG, idempotency_key="k3")
    assert "10003" in unknown.value.reason and unknown.value.recipient_undeliverable


async def test_missing_access_is_permanent_but_not_the_recipients_fault(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    emulator.fail("POST", r"/channels/\d+/messages", status=403, code=50001)
    with pytest.raises(PermanentError) as info:
        await sender.send(post(), MSG, idempotency_key="k1")
    assert not info.value.recipient_undeliverable


async def test_a_stale_dm_channel_is_reopened_on_the_next_attempt(
    emulator: DiscordEmulator, sender: DiscordSender
) -> None:
    sender.dm_cache.put("45", "123456")  # a channel Discord does not know
    with pytest.raises(TransientError):
        await sender.send(dm("45"), MSG, idempotency_key="k1")
    await sender.send(dm("45"), MSG, idempotency_key="k1")
    assert emulator.messages[emulator.dm_channels["45"]]


def test_nonces_fit_discords_25_characters() -> None:
    assert nonce("mlebot-12", 0) == "mlebot-12"
    assert nonce("mlebot-12", 2) == "mlebot-12.2"
    long = nonce("mlebot-" + "9" * 30, 1)
    assert len(long) == 25 and long != nonce("mlebot-" + "9" * 30, 2)


async def test_dm_fan_out_through_the_engine_survives_a_429_in_the_middle(
    emulator: DiscordEmulator, make_app: AppFactory, clock: ManualClock
) -> None:
    app: Application = await make_app(
        [HelpCog],
        delivery_discord_rate=0.0,
        delivery_discord_route_rate=0.0,
        delivery_concurrency=4,
    )
    sender = DiscordSender(
        emulator.token,
        api_base_url=emulator.api_url,
        dm_cache=app.delivery.dm_cache("discord"),
        clock=app.delivery.timer.time,
    )
    app.delivery.register_sender("discord", sender)
    try:
        emulator.closed_dms.add("7013")
        users = [str(7000 + i) for i in range(30)]
        # In the middle of the fan-out: one global 429, later one 429 for a route.
        emulator.fail("POST", r"/channels/\d+/messages", retry_after=1.0, is_global=True, after=10)
        emulator.fail("POST", r"/channels/\d+/messages", retry_after=2.0, after=20)
        deliveries = [
            Delivery(dm(u), Message(body=f"reminder for {u}", title="DSA practice")) for u in users
        ]
        assert await queue(app, "fanout", deliveries) == 30
        for _ in range(10):
            await asyncio.wait_for(app.delivery.idle(), 30)
            clock.advance(timedelta(seconds=1))
        got: dict[str, int] = {}
        for uid, channel in emulator.dm_channels.items():
            got[uid] = len(emulator.messages.get(channel, []))
        assert {u: n for u, n in got.items() if n != 1} == {"7013": 0}
        assert len(emulator.requests("POST", r"/channels/\d+/messages")) == 30 + 2  # and two 429s
        opens = emulator.requests("POST", "/users/@me/channels")
        assert len(opens) == 30  # each DM channel opened once
        statuses: dict[str, Any] = {}
        async with app.db.transaction() as conn:
            for row in await conn.execute(select(outbox.c.target_id, outbox.c.status)):
                statuses[row.target_id] = str(row.status)
        assert statuses.pop("7013") == "failed"
        assert set(statuses.values()) == {"sent"}
    finally:
        await sender.close()
