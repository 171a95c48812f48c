"""/privacy through the Slack mock with slack-bolt: the delete prompt is replaced (response_url,
replace_original) with its buttons gone once answered, and its buttons work once."""

from __future__ import annotations

import json
from typing import Any

from bot.settings import Settings
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from cogs.privacy import PrivacyCog
from tests.slack.conftest import build_bot
from tests.slack.mock_slack import SlackMock


def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def shown(body: dict[str, Any]) -> str:
    return json.dumps(body.get("blocks") or body.get("text"))


async def test_the_delete_prompt_is_replaced_once_answered(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, cogs=(HelpCog, PrivacyCog))
    try:
        status, ack = await bot.command("/privacy", "delete")
        assert status == 200 and ack["response_type"] == "ephemeral"
        delete, cancel = buttons(ack)
        assert [delete["text"]["text"], cancel["text"]["text"]] == ["Delete my data", "Cancel"]

        await bot.click(cancel)
        await slack_mock.wait_for(lambda: len(slack_mock.responses) >= 2)
        (replaced,) = slack_mock.replaced["click"]
        assert buttons(replaced) == [] and "You chose: Cancel." in shown(replaced)
        answer = slack_mock.responses[-1].params
        assert answer["replace_original"] is False and "Nothing was deleted" in shown(answer)

        await bot.click(delete)
        await slack_mock.wait_for(lambda: len(slack_mock.responses) >= 4)
        assert "already answered" in shown(slack_mock.responses[-1].params)
    finally:
        await bot.session.close()
        await bot.app.stop()


async def test_the_export_is_uploaded_to_the_members_dm_as_one_json_file(
    settings: Settings, clock: ManualClock, slack_mock: SlackMock
) -> None:
    bot = await build_bot(settings, clock, slack_mock, cogs=(HelpCog, PrivacyCog))
    try:
        status, ack = await bot.command("/privacy", "export", user="U777", name="cy")
        assert status == 200 and ack["response_type"] == "ephemeral"
        assert "is shared in your direct messages with me" in shown(ack)
        await slack_mock.wait_for(lambda: bool(slack_mock.shared_files()))
        (shared,) = slack_mock.shared_files()
        assert shared.channel_id == "DU777"  # the DM conversations.open gave
        assert shared.filename.startswith("mlebot-data-slack-U777-") and shared.title
        assert shared.content is not None and len(shared.content) == shared.length
        document = json.loads(shared.content)
        assert document["platform"] == "slack" and document["user_id"] == "U777"
        assert document["data"]["memberships"][0]["display_name"] == "cy"
        assert shared.content.decode().startswith('{\n  "data"')
        assert slack_mock.calls_to("files.upload") == []
        assert [c.method for c in slack_mock.calls if c.method.startswith("files.")] == [
            "files.getUploadURLExternal",
            "files.completeUploadExternal",
        ]
    finally:
        await bot.session.close()
        await bot.app.stop()
