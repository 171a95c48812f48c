"""REST calls through discord.py's HTTP client (its rate-limit handling included), with a
JSON body or, when files come along, a multipart one (`files.multipart`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord
from discord.http import Route

from bot.adapters.discord.files import multipart
from bot.messages import Attachment


class DiscordRest:
    """REST calls through discord.py's HTTP client (its rate-limit handling included)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Sequence[Attachment] = (),
        **params: Any,
    ) -> Any:
        route = Route(method, path, **params)
        if files:
            form, handles = multipart(json, files)
            return await self.client.http.request(route, files=handles, form=form)
        if json is None:
            return await self.client.http.request(route)
        return await self.client.http.request(route, json=json)
