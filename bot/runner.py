"""Building and running an application for the console or the configured platforms."""

from __future__ import annotations

import logging

from bot.adapters.console import ConsoleAdapter
from bot.app import Application
from bot.http_server import HttpServer
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_console(settings: Settings, *, actor_name: str, moderator: bool) -> int:
    """Run the console adapter until input ends; 0 unless the bot itself failed."""
    app = Application(settings)
    adapter = ConsoleAdapter(app, actor_name=actor_name, moderator=moderator)
    app.add_adapter(adapter)
    await app.run()
    return 1 if adapter.failed else 0


async def run_platforms(settings: Settings) -> int:
    """Run every platform whose credentials are set."""
    app = Application(settings)
    if settings.http_enabled:
        app.http = HttpServer(settings.http_host, settings.http_port)
    for platform in settings.platforms():
        if platform == "slack":
            from bot.adapters.slack import SlackAdapter, SlackConfigError

            try:
                app.add_adapter(SlackAdapter(app))
            except SlackConfigError as exc:
                log.error("cannot start Slack: %s", exc)
                return 1
            continue
        if platform == "discord":
            from bot.adapters.discord import DiscordAdapter

            app.add_adapter(DiscordAdapter(app))
            continue
        log.error("the %s adapter is not available in this build", platform)
        return 1
    await app.run()
    return 0
