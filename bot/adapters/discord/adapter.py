"""The Discord adapter on discord.py: gateway connection, command tree and sync, interactions.

discord.py keeps the gateway connection (heartbeats, resumes, reconnects), the REST client
(rate-limit buckets) and the `app_commands.CommandTree` built from the declarations
(`commands.build_tree`). The tree is synced only when its JSON changed since the last sync (hash
kept in the database). Its callbacks hand each command to the core dispatcher; replies are
rendered by `render.render` and sent by `InteractionResponder`. Button clicks arrive through the
public `on_interaction` event and are routed by their custom id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.base import PlatformUnreachable, network_problem
from bot.adapters.discord import interactions as ix
from bot.adapters.discord.commands import build_tree, commands_hash, tree_json
from bot.adapters.discord.render import STORED_ID_PREFIX
from bot.adapters.discord.responder import InteractionResponder
from bot.adapters.discord.rest import DiscordRest
from bot.adapters.discord.sender import DiscordSender, SharedGlobalLimit
from bot.adapters.tasks import TaskTracker
from bot.commands.context import ActionInvocation, Invocation
from bot.commands.registry import Choice
from bot.messages import Message, Tone

if TYPE_CHECKING:
    from bot.app import Application
    from bot.settings import Settings

log = logging.getLogger(__name__)

#: How long a command may run before the adapter defers it (Discord allows 3 s in total).
ACK_WINDOW_SECONDS = 2.0
#: Autocomplete answers must arrive well inside the same 3 s.
AUTOCOMPLETE_SECONDS = 2.0
START_TIMEOUT_SECONDS = 60.0
#: How long the start-up look at the gateway (TCP, and TLS for wss://) may take.
GATEWAY_CHECK_SECONDS = 10.0
SYNC_STATE_KEY = "discord.commands_hash:{application_id}"
#: Start waits this long for the command sync; a slower one (a long 429) goes on behind.
SYNC_START_WAIT_SECONDS = 10.0
#: Retries of a failed sync: first after this many seconds, doubling up to the maximum.
SYNC_RETRY_SECONDS = 30.0
SYNC_RETRY_MAX_SECONDS = 1800.0
#: Discord's daily limit of command creates (code 30034) resets within a day: retry hourly.
SYNC_RETRY_DAILY_LIMIT_SECONDS = 3600.0
#: discord.py raises `RateLimited` instead of sleeping through a longer rate limit (its
#: minimum is 30 s), so no call, and no start, waits on Discord for minutes.
MAX_RATELIMIT_TIMEOUT_SECONDS = 30.0
DAILY_COMMAND_CREATES = 30034


class DiscordConfigError(Exception):
    """The Discord settings cannot work (the message names the variable)."""


def apply_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Point discord.py at the configured REST base and gateway; must run before login.

    discord.py reads both from class attributes: REST from `Route.BASE`, and a non-sharded
    client connects to `DiscordWebSocket.DEFAULT_GATEWAY` without asking `/gateway/bot`.
    """
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Only non-privileged intents: guilds (names, joins). Slash commands need no others."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def make_client(settings: Settings, **client_options: Any) -> discord.Client:
    """The discord.py client for this process: one connection, or the shards it runs.

    With DISCORD_SHARD_COUNT set, an AutoShardedClient runs DISCORD_SHARD_IDS (all shards when
    unset) of that many; other processes run the other ids. Discord routes each guild's events
    to shard (guild_id >> 22) % shard_count, so a process only hears its shards' guilds.
    """
    client_options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_TIMEOUT_SECONDS)
    count, ids = settings.discord_shards()
    if count is None or ids is None:
        return discord.Client(intents=intents(), **client_options)
    return discord.AutoShardedClient(
        intents=intents(), shard_count=count, shard_ids=ids, **client_options
    )


class DiscordAdapter:
    """Serves the bot's commands in every guild the bot is in, and in its DMs."""

    platform = ix.PLATFORM

    def __init__(
        self, app: Application, *, ack_window: float = ACK_WINDOW_SECONDS, **client_options: Any
    ) -> None:
        settings = app.settings
        if settings.discord_token is None:
            raise DiscordConfigError("DISCORD_TOKEN is not set")
        self.app = app
        self.token = settings.discord_token.get_secret_value()
        self.guild_ids = list(settings.discord_guild_ids)
        self.ack_window = ack_window
        apply_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
        self.client = make_client(settings, **client_options)
        self.rest = DiscordRest(self.client)
        #: Posts and DMs the bot sends on its own initiative (through the delivery engine).
        #: Discord's global limit, shared by the delivery sender and discord.py's client.
        self.global_limit = SharedGlobalLimit(app.delivery.timer.time)
        self.global_limit.attach(self.client.http)
        self.sender = DiscordSender(
            self.token,
            api_base_url=settings.discord_api_base_url,
            dm_cache=app.delivery.dm_cache(ix.PLATFORM),
            max_connections=settings.delivery_concurrency,  # one per send in flight
            remember_buttons=self._remember_buttons,
            global_limit=self.global_limit,
            clock=app.delivery.timer.time,  # the engine's clock: its waits and ours agree
        )
        app.delivery.register_sender(ix.PLATFORM, self.sender)
        #: Slash commands and autocomplete: discord.py's command tree, built from the registry.
        self.tree = build_tree(self.client, app.registry, self, guild_ids=self.guild_ids)
        self.tree.error(self.on_tree_error)
        self.client.event(self.on_ready)
        self.client.event(self.on_guild_join)
        self.client.event(self.on_interaction)
        self._ready = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None
        #: Interactions in progress: stop() lets them finish (briefly).
        self.tasks = TaskTracker()
        self._closed = asyncio.Event()
        self.synced: bool | None = None  # after start: whether commands were (re)synced
        self._sync_task: asyncio.Task[None] | None = None
        self.api_url = settings.discord_api_base_url
        self.gateway_url = yarl.URL(settings.discord_gateway_url)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, sync commands if their schema changed, connect to the gateway.

        A refused token or an unreachable API raises `PlatformUnreachable`. The command sync
        never holds the start for long: after SYNC_START_WAIT_SECONDS it goes on in the
        background, and a sync Discord refuses for now is retried later while the commands
        registered before stay in use.
        """
        await self._login()
        await self._check_gateway()
        self._sync_task = asyncio.create_task(self._keep_commands_synced(), name="discord-sync")
        await asyncio.wait([self._sync_task], timeout=SYNC_START_WAIT_SECONDS)
        self._connect_task = asyncio.create_task(self._connect(), name="discord-gateway")
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait(
                [ready, self._connect_task],
                timeout=START_TIMEOUT_SECONDS,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
        if self._connect_task.done():
            problem = self._connect_task.exception()
            detail = network_problem(problem) if problem else "it closed"
            raise PlatformUnreachable(
                f"the Discord gateway connection failed during start ({detail}): check the "
                "network and DISCORD_GATEWAY_URL"
            )
        if not self._ready.is_set():
            log.warning("Discord gateway not ready after %.0f s; continuing", START_TIMEOUT_SECONDS)
        log.info("Discord adapter ready as %s", self.client.user)

    async def _login(self) -> None:
        where = self.api_url
        try:
            await self.client.login(self.token)
        except discord.LoginFailure:
            await self.client.close()
            raise PlatformUnreachable(
                "Discord refused the bot token (401 Unauthorized): check DISCORD_TOKEN "
                "(Developer Portal > your application > Bot > Reset Token)"
            ) from None
        except (aiohttp.ClientConnectorError, ssl.SSLError, OSError, TimeoutError) as exc:
            await self.client.close()
            raise PlatformUnreachable(
                f"cannot reach the Discord API at {where} ({network_problem(exc)}): check the "
                "network and DISCORD_API_BASE_URL"
            ) from None
        except discord.HTTPException as exc:
            await self.client.close()
            raise PlatformUnreachable(
                f"the Discord API at {where} answered {exc.status} at login: check "
                "DISCORD_API_BASE_URL, or Discord's status"
            ) from None

    async def _check_gateway(self) -> None:
        """Open (and close) a TCP connection to the gateway, with TLS for wss://.

        discord.py retries an unreachable gateway forever, logging a traceback each time, and
        once failed on its own reconnect path with an unrelated error; this one look first
        turns a wrong DISCORD_GATEWAY_URL or a blocked network into one clear line."""
        url = self.gateway_url
        secure = url.scheme == "wss"
        port = url.port or (443 if secure else 80)
        try:
            async with asyncio.timeout(GATEWAY_CHECK_SECONDS):
                _, writer = await asyncio.open_connection(
                    url.host, port, ssl=ssl.create_default_context() if secure else None
                )
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            await self.client.close()
            raise PlatformUnreachable(
                f"cannot reach the Discord gateway at {url} ({network_problem(exc)}): check the "
                "network and DISCORD_GATEWAY_URL"
            ) from None

    async def _keep_commands_synced(self) -> None:
        """Sync the command tree; when Discord refuses for now, retry later (never raises)."""
        delay = SYNC_RETRY_SECONDS
        while True:
            try:
                await self.sync_commands()
                return
            except discord.RateLimited as exc:
                wait, why = exc.retry_after, f"rate limited for {exc.retry_after:.0f} s"
            except discord.HTTPException as exc:
                if exc.code == DAILY_COMMAND_CREATES:
                    wait = SYNC_RETRY_DAILY_LIMIT_SECONDS
                    why = "the daily limit of 200 command creates is reached (30034)"
                elif exc.status >= 500 or exc.status == 429:
                    wait, why = delay, f"Discord answered {exc.status}"
                else:
                    log.error(
                        "Discord refused the command tree (%s %s); the commands registered "
                        "before stay in use until the next start",
                        exc.status,
                        exc.text,
                    )
                    return
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                wait, why = delay, network_problem(exc)
            except Exception:
                log.exception("Discord command sync failed; the commands registered before stay")
                return
            log.warning(
                "Discord commands not synced (%s); the commands registered before stay in use; "
                "retrying in %.0f s",
                why,
                wait,
            )
            await asyncio.sleep(wait)
            delay = min(delay * 2, SYNC_RETRY_MAX_SECONDS)

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        finally:
            self._closed.set()

    async def on_ready(self) -> None:
        self._ready.set()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Tell the cogs the bot joined a server (`app.events`; the help cog welcomes it)."""
        log.info("joined Discord server %s (%s)", guild.name, guild.id)
        await self.app.events.joined(ix.community_joined(guild))

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def stop(self) -> None:
        """Let in-flight interactions finish (briefly), then disconnect."""
        await self.tasks.drain()
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
        await self.client.close()
        await self.sender.close()
        if self._connect_task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._connect_task
        self._closed.set()

    async def idle(self) -> None:
        """Return once every interaction in progress has been answered (for tests/tools)."""
        await self.tasks.idle()

    def is_connected(self) -> bool:
        return self._ready.is_set() and not self.client.is_closed()

    # -- command sync ----------------------------------------------------------------------

    @property
    def application_id(self) -> str:
        app_id = self.client.application_id
        if app_id is None:
            raise RuntimeError("the Discord application id is known only after login")
        return str(app_id)

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the command tree (`CommandTree.sync`) when its JSON changed; True if synced.

        Globally, or to each of DISCORD_GUILD_IDS (the tree holds copies of the global commands
        for those guilds)."""
        commands = tree_json(self.tree)
        digest = commands_hash(commands, self.guild_ids)
        key = SYNC_STATE_KEY.format(application_id=self.application_id)
        if not force and await self.app.state.get(key) == digest:
            log.info("Discord commands unchanged since the last sync; not syncing")
            self.synced = False
            return False
        if self.guild_ids:
            for guild_id in self.guild_ids:
                await self.tree.sync(guild=discord.Object(id=guild_id))
        else:
            await self.tree.sync()
        await self.app.state.set(key, digest, now=self.app.clock.now())
        where = f"guilds {', '.join(map(str, self.guild_ids))}" if self.guild_ids else "globally"
        log.info("Discord commands synced %s (%d top-level commands)", where, len(commands))
        self.synced = True
        return True

    # -- interactions ----------------------------------------------------------------------

    def _responder(self, interaction: discord.Interaction) -> InteractionResponder:
        return InteractionResponder(
            self.rest,
            interaction_id=str(interaction.id),
            token=interaction.token,
            application_id=str(interaction.application_id),
            remember_buttons=self._remember_buttons,
            component=interaction.type is discord.InteractionType.component,
            file_size_limit=interaction.filesize_limit,
        )

    async def _remember_buttons(self, ids: Mapping[str, str]) -> None:
        await self.app.button_ids.save(ids, now=self.app.clock.now())

    async def _run_with_deadline(
        self, work: Awaitable[Any], responder: InteractionResponder, private: bool
    ) -> None:
        """Run `work`; defer if it has not answered within the ack window; never leave the
        interaction unanswered."""
        task = self.tasks.track(work)
        await asyncio.wait([task], timeout=self.ack_window)
        if not task.done() and not responder.answered:
            await responder.defer(private)
        await task
        if not responder.replied:
            await responder.send(Message(body="Done.", private=True, tone=Tone.SUCCESS))

    async def _guard(self, work: Awaitable[None], what: str) -> None:
        """Run one interaction's handling as a tracked task; never raises into discord.py."""
        try:
            await self.tasks.track(work)
        except Exception:
            log.exception("Discord %s failed", what)

    async def run_command(
        self, interaction: discord.Interaction, path: tuple[str, ...], options: dict[str, Any]
    ) -> None:
        """A slash command from the tree: dispatch it, answering within Discord's deadline."""
        await self._guard(self._command(interaction, path, options), "command")

    async def _command(
        self, interaction: discord.Interaction, path: tuple[str, ...], options: dict[str, Any]
    ) -> None:
        invocation = Invocation(
            path=path, options=options, actor=ix.actor(interaction), place=ix.place(interaction)
        )
        command = self.app.registry.get(path)
        private = command.private if command is not None else True
        responder = self._responder(interaction)
        await self._run_with_deadline(
            self.app.dispatcher.dispatch(invocation, responder), responder, private
        )

    async def complete(
        self,
        interaction: discord.Interaction,
        path: tuple[str, ...],
        option: str,
        typed: str,
        others: dict[str, Any],
    ) -> Sequence[Choice]:
        """Autocomplete from the cog's source, well inside Discord's deadline (empty if slow)."""
        try:
            return await asyncio.wait_for(
                self.app.dispatcher.autocomplete(
                    path, option, typed, ix.actor(interaction), ix.place(interaction), others
                ),
                timeout=AUTOCOMPLETE_SECONDS,
            )
        except TimeoutError:
            log.warning("autocomplete for /%s %s was too slow", " ".join(path), option)
        except Exception:
            log.exception("autocomplete for /%s %s failed", " ".join(path), option)
        return []

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """A command the tree could not run as declared: unknown (Discord still shows a command
        that is gone) or its options do not match (e.g. synced from another version). The core
        dispatcher answers with what could be read, so the person gets the usual private reply
        (no such command, only moderators, which option is missing)."""
        if interaction.type is not discord.InteractionType.application_command:
            log.warning("Discord autocomplete could not be answered: %s", error)
            return
        command = interaction.command
        if isinstance(error, app_commands.CommandNotFound):
            path = (*error.parents, error.name)
        elif isinstance(command, app_commands.Command):
            path = tuple(command.qualified_name.split())
        else:
            log.error("Discord command could not be read", exc_info=error)
            return
        log.info("Discord command /%s did not match its declaration: %s", " ".join(path), error)
        declared = self.app.registry.get(path)
        options = ix.namespace_options(declared, interaction.namespace)
        await self._guard(self._command(interaction, path, options), "command")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Button clicks (commands and autocomplete are the tree's)."""
        if interaction.type is discord.InteractionType.component:
            await self._guard(self._component(interaction), "button click")

    async def _component(self, interaction: discord.Interaction) -> None:
        data: Mapping[str, object] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if custom_id.startswith(STORED_ID_PREFIX):  # a button sent behind a short id
            custom_id = await self.app.button_ids.get(custom_id) or custom_id
        action, _, value = custom_id.partition(":")
        invocation = ActionInvocation(
            action=action,
            value=value,
            actor=ix.actor(interaction),
            place=ix.place(interaction),
        )
        declared = self.app.registry.actions.get(action)
        private = declared.private if declared is not None else True
        responder = self._responder(interaction)
        await self._run_with_deadline(
            self.app.dispatcher.dispatch_action(invocation, responder), responder, private
        )
