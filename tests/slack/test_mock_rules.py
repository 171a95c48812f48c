"""The loopback Slack mock refuses what the real Web API refuses (sources in slack_rules.py)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack import slack_rules as rules
from tests.slack.conftest import SlackBot
from tests.slack.mock_slack import SlackMock


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", action_id: str = "a", value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def field(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


REFUSED: dict[str, list[dict[str, Any]]] = {
    "51 blocks": [section("x")] * 51,
    "section text 3001": [section("x" * 3001)],
    "empty section text": [section("")],
    "section without text or fields": [{"type": "section"}],
    "11 fields": [{"type": "section", "fields": [field("f")] * 11}],
    "field text 2001": [{"type": "section", "fields": [field("f" * 2001)]}],
    "header 151": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    "mrkdwn header": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
    "11 context elements": [{"type": "context", "elements": [field("c")] * 11}],
    "context text 3001": [{"type": "context", "elements": [field("c" * 3001)]}],
    "26 actions": [{"type": "actions", "elements": [button(action_id=str(i)) for i in range(26)]}],
    "button text 76": [{"type": "actions", "elements": [button(text="b" * 76)]}],
    "action_id 256": [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
    "button value 2001": [{"type": "actions", "elements": [button(value="v" * 2001)]}],
    "duplicate action_id": [{"type": "actions", "elements": [button(), button()]}],
    "block_id 256": [{**section("x"), "block_id": "b" * 256}],
    "unknown block type": [{"type": "carousel"}],
}

ACCEPTED: dict[str, list[dict[str, Any]]] = {
    "50 blocks": [section("x")] * 50,
    "section text 3000": [section("x" * 3000)],
    "10 fields of 2000": [{"type": "section", "fields": [field("f" * 2000)] * 10}],
    "header 150": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}],
    "10 context elements": [{"type": "context", "elements": [field("c")] * 10}],
    "25 buttons at their limits": [
        {
            "type": "actions",
            "elements": [button("b" * 75, f"{i}".ljust(255, "a"), "v" * 2000) for i in range(25)],
        }
    ],
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_rules_refuse_what_slack_refuses(name: str) -> None:
    refused = rules.message_error({"text": "fallback", "blocks": REFUSED[name]})
    assert refused is not None and refused[0] == "invalid_blocks", name


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_rules_accept_what_slack_accepts(name: str) -> None:
    assert rules.message_error({"text": "fallback", "blocks": ACCEPTED[name]}) is None


def test_text_rules() -> None:
    assert rules.message_error({"text": "x" * 40_000}) is None
    assert rules.message_error({"text": "x" * 40_001}) == (
        "msg_too_long",
        "text is 40001 characters",
    )
    assert rules.message_error({"text": ""})[0] == "no_text"  # type: ignore[index]


@pytest.fixture
async def client(slack_mock: SlackMock) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack_mock.api_url, retry_handlers=[])


async def api_error(call: Any) -> tuple[str, Any]:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"]), info.value.response


async def test_invalid_blocks_are_refused_over_http(
    client: AsyncWebClient, slack_mock: SlackMock
) -> None:
    error, response = await api_error(
        client.chat_postMessage(channel="C100", text="x", blocks=[section("x" * 3001)])
    )
    assert error == "invalid_blocks"
    assert "3000" in response["response_metadata"]["messages"][0]
    error, _ = await api_error(client.chat_postMessage(channel="C100", text="x" * 40_001))
    assert error == "msg_too_long"
    assert [r.error for r in slack_mock.refusals] == ["invalid_blocks", "msg_too_long"]
    slack_mock.refusals.clear()  # deliberate: the fixture fails on render refusals otherwise


async def test_channels_the_bot_cannot_post_in(
    client: AsyncWebClient, slack_mock: SlackMock
) -> None:
    slack_mock.not_joined.add("CPRIV")
    slack_mock.missing_channels.add("CGONE")
    assert (await api_error(client.chat_postMessage(channel="CPRIV", text="x")))[0] == (
        "not_in_channel"
    )
    assert (await api_error(client.chat_postEphemeral(channel="CGONE", user="U1", text="x")))[
        0
    ] == "channel_not_found"
    assert (await client.chat_postMessage(channel="C100", text="x"))["ok"]


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth", "account_inactive"])
async def test_revoked_token(client: AsyncWebClient, slack_mock: SlackMock, error: str) -> None:
    slack_mock.revoke(error)
    assert (await api_error(client.auth_test()))[0] == error
    assert (await api_error(client.chat_postMessage(channel="C100", text="x")))[0] == error


async def test_rate_limit_answers_429_with_retry_after(
    client: AsyncWebClient, slack_mock: SlackMock
) -> None:
    slack_mock.users["U1"] = {"name": "ana"}
    slack_mock.limit("users.info", calls=2, per=60)
    for _ in range(2):
        assert (await client.users_info(user="U1"))["ok"]
    error, response = await api_error(client.users_info(user="U1"))
    assert error == "ratelimited" and response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_response_url_takes_five_uses_within_thirty_minutes(slack_mock: SlackMock) -> None:
    url = slack_mock.response_url("r1")
    body = {"text": "hi", "response_type": "ephemeral"}
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(6):
            async with session.post(url, json=body) as resp:
                statuses.append((resp.status, await resp.text()))
        assert statuses == [(200, "ok")] * 5 + [(404, "used_url")]

        slack_mock.expire_response_url("r2")
        async with session.post(slack_mock.response_url("r2"), json=body) as resp:
            assert (resp.status, await resp.text()) == (404, "expired_url")

        async with session.post(
            slack_mock.response_url("r3"), json={"text": "x", "blocks": [section("")]}
        ) as resp:
            assert (resp.status, await resp.text()) == (400, "invalid_blocks")
    slack_mock.refusals.clear()


async def test_a_long_reply_through_the_real_app_is_valid(slack_bot: SlackBot) -> None:
    """A near-4,000-character command, repeated 3 times, comes back in valid blocks (the ack
    is checked by SlackBot.post and response_url / Web API replies by the fixture)."""
    words = " ".join(f"w{i}" for i in range(1200))[:3900]
    status, body = await slack_bot.command("/demo", f"echo {words} times:3")
    assert status == 200
    await slack_bot.adapter.idle()
    assert isinstance(body, dict)
    assert sum(len(b["text"]["text"]) for b in body["blocks"] if "text" in b) > 3 * 3000


async def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return str(refused.value.response["error"])


async def test_the_external_file_upload_flow_is_strict(slack_mock: SlackMock) -> None:
    """files.getUploadURLExternal -> POST the bytes -> files.completeUploadExternal, with the
    arguments and errors of slack_rules; files.upload is retired."""
    client = AsyncWebClient(token="xoxb-test", base_url=slack_mock.api_url)
    files = client.files_getUploadURLExternal
    assert await _error(files(filename="a.json", length=0)) == "invalid_arguments"
    assert await _error(files(filename="", length=3)) == "invalid_arguments"
    assert await _error(client.files_completeUploadExternal(files=[])) == "invalid_arguments"
    unknown = client.files_completeUploadExternal(files=[{"id": "F404"}])
    assert await _error(unknown) == "file_not_found"

    got = await files(filename="a.json", length=3)
    file_id, url = str(got["file_id"]), str(got["upload_url"])
    assert url.startswith("http://127.0.0.1:")
    early = client.files_completeUploadExternal(files=[{"id": file_id}])
    assert await _error(early) == "file_not_found"  # nothing uploaded yet
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"{}") as resp:  # 2 bytes, 3 declared
            assert resp.status == 200
        mismatch = client.files_completeUploadExternal(files=[{"id": file_id}])
        assert await _error(mismatch) == "invalid_arguments"
        async with http.post(url, data=b"[1]") as resp:
            assert resp.status == 200
    slack_mock.missing_channels.add("C404")
    elsewhere = client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C404")
    assert await _error(elsewhere) == "channel_not_found"
    done = await client.files_completeUploadExternal(
        files=[{"id": file_id, "title": "A"}], channel_id="C100"
    )
    assert done["files"] == [{"id": file_id, "title": "A"}]
    (shared,) = slack_mock.shared_files()
    assert (shared.content, shared.channel_id, shared.title) == (b"[1]", "C100", "A")
    again = client.files_completeUploadExternal(files=[{"id": file_id}])
    assert await _error(again) == "file_not_found"  # "can only be called once"
    retired = client.api_call("files.upload", data={"filename": "a.json", "content": "{}"})
    assert await _error(retired) == "method_deprecated"
    slack_mock.refusals.clear()  # all refused on purpose
