"""The longest possible issue through the real Discord and Slack renderers: nothing is cut."""

from __future__ import annotations

from bot.adapters.discord import render as discord
from bot.adapters.slack import blocks as slack
from cogs.digest.render import Audience, render_issue
from tests.digest.test_compose_render import content_for, longest_tips


def test_longest_issue_is_one_discord_message_within_limits() -> None:
    for audience in Audience:
        message = render_issue(content_for(longest_tips()), audience)
        payloads = discord.render(message)
        assert len(payloads) == 1, "the issue must arrive as one Discord message"
        embeds = payloads[0]["embeds"]
        assert sum(discord.embed_size(e) for e in embeds) <= discord.EMBED_TOTAL_LIMIT
        for embed in embeds:
            assert len(embed.get("description", "")) <= discord.DESCRIPTION_LIMIT
            assert len(embed.get("fields", ())) <= discord.FIELDS_PER_EMBED
        text = " ".join(e.get("description", "") for e in embeds)
        assert all(s.heading in text for s in message.sections)  # nothing dropped
        assert payloads[0]["allowed_mentions"] == {"parse": []}


def test_longest_issue_fits_slack_block_kit_untrimmed() -> None:
    for audience in Audience:
        message = render_issue(content_for(longest_tips()), audience)
        blocks = slack.render_blocks(message)
        assert len(blocks) <= slack.MAX_BLOCKS
        rendered = str(blocks)
        assert slack.TRIMMED_NOTICE not in rendered
        for block in blocks:
            text = block.get("text")
            if isinstance(text, dict):
                assert len(text["text"]) <= slack.MAX_SECTION_TEXT
