"""The longest possible issue through the real Discord and Slack renderers: nothing is cut."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.adapters.discord import render as discord
from bot.adapters.slack import blocks as slack
from cogs.digest.render import (
    MAX_TOTAL,
    Audience,
    _headline,
    _short,
    cut_tip,
    dm_copy,
    for_topics,
    render_issue,
    text_size,
)
from content.tips import Tip, load_tips
from tests.digest.test_compose_render import content_for, longest_tips


def worst_mix() -> list[Tip]:
    """The headline whose text is longest, then the three tips whose shorter form is longest:
    the largest issue the library can make (longest_tips() orders by body alone)."""
    library = list(load_tips())
    base = content_for(library[:4])
    head = max(library, key=lambda t: len(_headline(replace(base, headline=t))))
    rest = sorted((t for t in library if t is not head), key=lambda t: len(_short(t)))
    return [head, *reversed(rest[-3:])]


def test_the_largest_possible_issue_is_one_discord_message_also_as_a_topic_dm() -> None:
    tips = worst_mix()
    content = content_for(tips)
    channel = render_issue(content, Audience.CHANNEL, web_url="https://bot.example/d/x/1")
    dm = for_topics(dm_copy(render_issue(content, Audience.DM), "N" * 100), tips, ["python"] * 9)
    for message in (channel, dm):
        payloads = discord.render(message)
        assert len(payloads) == 1, "the issue must arrive as one Discord message"
        assert sum(discord.embed_size(e) for e in payloads[0]["embeds"]) <= 6000
    assert text_size(channel) <= MAX_TOTAL
    # what had to give is the headline's text, which points to the whole tip
    assert f"`/tip {tips[0].id}`" in channel.body
    assert all(
        s.heading.endswith(t.title) for s, t in zip(channel.sections, tips[1:], strict=False)
    )


def test_a_cut_tip_keeps_whole_paragraphs_outside_code_and_names_the_rest() -> None:
    library = list(load_tips())
    coded = max((t for t in library if "```" in t.body), key=lambda t: len(t.body))
    pointer = f"*The whole tip:* `/tip {coded.id}`"
    for limit in range(0, len(coded.body) + 50, 37):
        text = cut_tip(coded, limit)
        if limit >= len(coded.body):
            assert text == coded.body
            continue
        assert len(text) <= max(limit, len(pointer))
        assert text.count("```") % 2 == 0
        assert text.endswith(pointer)
        kept = text.removesuffix(pointer).rstrip("\n")
        assert coded.body.startswith(kept) or kept.endswith("…")


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


def test_an_issue_that_cannot_fit_keeps_the_most_it_gave_up(monkeypatch: Any) -> None:
    """Past every lever (a budget no issue can meet), the headline stays cut to its pointer and
    the Read more links stay out: giving up never brings the whole headline back."""
    import cogs.digest.render as render

    monkeypatch.setattr(render, "MAX_TOTAL", 1_000)
    tips = worst_mix()
    message = render_issue(content_for(tips), Audience.CHANNEL)
    assert f"`/tip {tips[0].id}`" in message.body
    assert tips[0].body not in message.body
    assert "**Read more:**" not in message.body
