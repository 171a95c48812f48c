"""A Discord token revoked in the middle of a DM fan-out (issue 16 §3): the first 401 stops the
platform's sending at once, the unsent rows stay pending with their attempts uncounted, /readyz
reports it, one error is logged, and a restart with a good token sends the rest. Discord bans an
IP after 10,000 invalid requests in 10 minutes: the revocation may cost only the requests
already in flight."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from sqlalchemy import select

from bot.adapters.discord.sender import DiscordSender, delivery_limits
from bot.app import Application
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.settings import load_settings
from cogs.help import HelpCog
from storage.outbox import outbox
from tests.conftest import AppFactory
from tests.delivery.fakes import queue
from tests.emulators.discord import DiscordEmulator

FAN_OUT = 10_000
REVOKED_AT = FAN_OUT // 5  # 20 %
#: What a deployment with the default settings keeps in flight on Discord; the fan-out below
#: runs unpaced (no waiting for the rate) with exactly that many requests in flight.
IN_FLIGHT = delivery_limits(load_settings(None)).concurrency
FAST = {
    "delivery_discord_rate": 0.0,
    "delivery_discord_route_rate": 0.0,
    "delivery_concurrency": IN_FLIGHT,
}


def dm(user: str) -> Delivery:
    destination = Destination("discord", "g", DestinationKind.DM, user)
    return Delivery(destination, Message(title="Weekly digest", body=f"tips for {user}"))


async def engine_with_sender(
    make_app: AppFactory, emulator: DiscordEmulator
) -> tuple[Application, DiscordSender]:
    app = await make_app([HelpCog], **FAST)
    sender = DiscordSender(
        emulator.token, api_base_url=emulator.api_url, dm_cache=app.delivery.dm_cache("discord")
    )
    app.delivery.register_sender("discord", sender)
    return app, sender


async def statuses(app: Application) -> Counter[str]:
    async with app.db.transaction() as conn:
        result = await conn.execute(select(outbox.c.status, outbox.c.attempts))
        return Counter(f"{row.status}/{row.attempts}" for row in result)


def test_discord_keeps_at_most_10_requests_in_flight_at_its_ordinary_pace() -> None:
    """Each request in flight when the token is revoked is answered 401: at the default pace
    (48 requests/s) and any DELIVERY_CONCURRENCY, at most 10 are in flight; a raised pace
    gets 0.2 s of it, and an unpaced process only DELIVERY_CONCURRENCY."""
    assert IN_FLIGHT == 10
    assert delivery_limits(load_settings(None, delivery_concurrency=500)).concurrency == 10
    assert delivery_limits(load_settings(None, delivery_concurrency=4)).concurrency == 4
    assert delivery_limits(load_settings(None, delivery_discord_rate=500.0)).concurrency == 50
    unpaced = load_settings(None, delivery_discord_rate=0.0, delivery_concurrency=300)
    assert delivery_limits(unpaced).concurrency == 300


async def test_a_token_revoked_at_20_percent_of_10000_dms_costs_at_most_10_refusals(
    emulator: DiscordEmulator, make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    good_token = emulator.token
    emulator.revoke_after_messages = REVOKED_AT
    app, sender = await engine_with_sender(make_app, emulator)
    users = [str(10**17 + i) for i in range(FAN_OUT)]
    try:
        with caplog.at_level(logging.ERROR):
            assert await queue(app, "fanout", [dm(u) for u in users]) == FAN_OUT
            await asyncio.wait_for(app.delivery.idle(), 300)
        refused = emulator.invalid_requests[401]
        print(f"\n{FAN_OUT} DMs, token revoked after {REVOKED_AT}: {refused} requests got 401")
        assert 1 <= refused <= IN_FLIGHT
        assert emulator.messages_created == REVOKED_AT
        # Sent rows are sent; everything else is pending and was never counted as an attempt.
        assert await statuses(app) == {
            "sent/1": REVOKED_AT,
            "pending/0": FAN_OUT - REVOKED_AT,
        }
        errors = [r for r in caplog.records if "refused the bot's credentials" in r.getMessage()]
        assert len(errors) == 1 and "Discord 401" in errors[0].getMessage()
        assert (await app.readiness.evaluate())["delivery:discord:credentials"] is False
        # Woken again, the stopped platform sends nothing.
        before = len(emulator.calls)
        app.delivery.wake()
        await asyncio.wait_for(app.delivery.idle(), 10)
        assert len(emulator.calls) == before
    finally:
        await sender.close()
        await app.stop()

    # The token is fixed and the bot restarts on the same database: the rest goes out once.
    emulator.token = good_token
    emulator.revoke_after_messages = None
    again, sender = await engine_with_sender(make_app, emulator)
    try:
        await asyncio.wait_for(again.delivery.idle(), 300)
        assert await statuses(again) == {"sent/1": FAN_OUT}
        assert emulator.messages_created == FAN_OUT
        assert (await again.readiness.evaluate())["delivery:discord:credentials"] is True
        assert emulator.invalid_requests[401] == refused  # none after the restart
    finally:
        await sender.close()
