"""Resource messages fit in one Discord message and one Slack message, and ping nobody."""

from __future__ import annotations

import json

from bot.adapters.discord.render import render as discord_render
from bot.adapters.slack.blocks import render as slack_render
from cogs.resources import render
from cogs.resources.search import SearchFilters, SearchIndex
from content.resources import Resource, shipped_resources


def hostile(n: int) -> Resource:
    return Resource(
        id=f"evil-{n}",
        title="@everyone *bold* [x](https://evil.example) <@123> " + "t" * 80,
        url="https://example.org/" + "p" * 300 + str(n),
        type="blog",
        topics=("mlops",),
        level="beginner",
        cost="free",
        description="@here `code` " + "d" * 480,
        author="<!channel>",
    )


def test_search_results_fit_one_message_on_each_platform() -> None:
    index = SearchIndex([hostile(n) for n in range(6)] + list(shipped_resources()))
    result = index.search("evil ttttt", SearchFilters(), limit=5)
    message = render.search_message("@everyone " + "q" * 300, SearchFilters(), result)
    payloads = discord_render(message)
    assert len(payloads) == 1
    slack = slack_render(message)
    assert len(slack["blocks"]) <= 50
    for text in (json.dumps(payloads), json.dumps(slack)):
        assert "@everyone" not in text and "@here" not in text
        assert "<@123>" not in text and "<!channel>" not in text


def test_one_resource_renders_with_its_facts() -> None:
    message = render.resource_message(hostile(1))
    assert message.title is not None and "@everyone" not in message.title
    assert "\\*bold\\*" not in message.title  # titles are plain text, not Markdown
    assert "\\`code\\`" in message.body and "@here" not in message.body
    assert [f.name for f in message.fields] == ["Type", "Level", "Cost", "Topics", "By", "ID"]
    payload = json.dumps(discord_render(message))
    assert "<!channel>" not in payload
