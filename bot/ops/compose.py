"""The one composition of a bot process.

`mlebot run`, `mlebot console`, the maintenance commands, the benchmarks and the tests all build
their application here, so what the tests exercise is what users run. The order matters and is
fixed in one place: the database is migrated and every cog is loaded (its commands in the
registry) BEFORE any adapter is built, because adapters build their platform surface from the
registry (Discord's command tree is synced from it; an adapter built earlier would sync an empty
tree and delete every slash command).

This is the only module that imports the adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from bot.app import Application
from bot.cog import Cog
from bot.commands.registry import CommandRegistry
from bot.loader import load_cog_classes
from bot.ops.http_server import HttpServer
from bot.platform import Adapter
from bot.settings import Settings
from bot.timing.clock import Clock

if TYPE_CHECKING:
    from rich.console import Console

    from bot.adapters.console import ConsoleAdapter


class PlatformConfigError(Exception):
    """A platform's settings cannot work; the message names the platform and the variable."""


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """Run the console adapter instead of the platforms (who types, and where I/O goes)."""

    actor_name: str = "you"
    moderator: bool = False
    stdin: TextIO | None = None
    console: Console | None = None
    interactive: bool | None = None


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timing knobs tests widen for loaded machines; None keeps each adapter's default."""

    discord_ack_window: float | None = None
    discord_client_options: tuple[tuple[str, Any], ...] = ()
    slack_ack_window: float | None = None


async def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    cog_classes: Sequence[type[Cog]] | None = None,
    console: ConsoleOptions | None = None,
    platforms: bool = True,
    http: bool | None = None,
    services: bool = True,
    tuning: Tuning = Tuning(),
) -> Application:
    """A started application with its adapters built, ready for `Application.run()`.

    - `console`: the console adapter (and no platform); otherwise every platform whose
      credentials are set, unless `platforms=False` (maintenance commands, unit tests).
    - `http`: serve HTTP (health, metrics, Slack events, web pages); by default when platforms
      run and HTTP_ENABLED is true.
    - `services=False` loads the cogs but neither schedules nor sends anything.
    On any error the application is stopped again before the error propagates.
    """
    app = Application(settings, clock=clock, cog_classes=cog_classes)
    wanted = [] if console is not None or not platforms else settings.platforms()
    if http is None:
        http = bool(wanted) and settings.http_enabled
    if http:
        app.http = HttpServer(settings.http_host, settings.http_port)
    try:
        await app.start(services=services, sender_required=bool(wanted))
        if console is not None:
            app.add_adapter(console_adapter(app, console))
        for platform in wanted:
            app.add_adapter(platform_adapter(app, platform, tuning))
    except BaseException:
        await app.stop()
        raise
    return app


def platform_adapter(app: Application, platform: str, tuning: Tuning = Tuning()) -> Adapter:
    """The adapter of `platform`, built from the application's (loaded) registry."""
    if platform == "discord":
        from bot.adapters.discord import DiscordAdapter
        from bot.adapters.discord.adapter import ACK_WINDOW_SECONDS, DiscordConfigError

        try:
            return DiscordAdapter(
                app,
                ack_window=tuning.discord_ack_window or ACK_WINDOW_SECONDS,
                **dict(tuning.discord_client_options),
            )
        except DiscordConfigError as exc:
            raise PlatformConfigError(f"Discord: {exc}") from None
    if platform == "slack":
        from bot.adapters.slack import SlackAdapter, SlackConfigError

        try:
            slack = SlackAdapter(app)
        except SlackConfigError as exc:
            raise PlatformConfigError(f"Slack: {exc}") from None
        if tuning.slack_ack_window is not None:
            slack.ack_window = tuning.slack_ack_window
        return slack
    raise PlatformConfigError(f"{platform}: this build has no adapter for it")


async def declared_registry(settings: Settings) -> CommandRegistry:
    """Every enabled cog's declarations, read exactly as `build_application` loads them, but
    without migrating or touching the database (for artefacts such as the Slack manifest)."""
    app = Application(settings)
    try:
        for cls in load_cog_classes(settings.cogs, settings.disabled_cogs):
            app.declare(cls(app))
    finally:
        await app.db.close()
    return app.registry


def console_adapter(app: Application, options: ConsoleOptions = ConsoleOptions()) -> ConsoleAdapter:
    """The console adapter on a built application (what `mlebot console` runs)."""
    from bot.adapters.console import ConsoleAdapter

    return ConsoleAdapter(
        app,
        actor_name=options.actor_name,
        moderator=options.moderator,
        stdin=options.stdin,
        console=options.console,
        interactive=options.interactive,
    )
