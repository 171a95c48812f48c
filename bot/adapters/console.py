"""The console adapter: a terminal chat speaking the same slash commands as Slack.

Interactive on a terminal: a line editor (prompt_toolkit: arrows, Ctrl-R, history kept between
runs in `CONSOLE_HISTORY_FILE`). With piped input it runs one line at a time and exits at the end.
Meta lines: `:as NAME [moderator]`, `:in #channel`, `:click N`, `:wait SECONDS`, `:help`, `:quit`.
Posts the bot makes on its own (scheduled posts, DMs) are printed as they happen, marked
`[#channel]` or `[DM @name]`; on a terminal they appear above the input line, which is redrawn
with whatever was being typed. Typed lines are echoed and parsed without control characters.
Files the bot sends (a `/privacy export`) are written under EXPORT_DIR and their path printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from rich.console import Console
from rich.text import Text

from bot.adapters.console_render import make_console, printable, render
from bot.commands.context import ActionInvocation, Actor, Invocation, Place
from bot.commands.errors import UserError
from bot.commands.textsyntax import invocation_target, parse_line
from bot.delivery.limits import PlatformLimits
from bot.messages import Attachment, Button, Message, Tone
from bot.scheduling.jobs import Destination, DestinationKind

if TYPE_CHECKING:
    from bot.app import Application
    from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "console"
COMMUNITY_ID = "console"
META_HELP = """Console meta commands:
  :as NAME             act as member NAME
  :as NAME moderator   act as NAME with moderator rights
  :in #channel         type in that channel (default #general)
  :click N             press button N of a message above
  :wait SECONDS        wait, letting scheduled posts arrive (max 3600)
  :help                this text
  :quit                leave (Ctrl-D works too)
Everything else is a slash command, e.g. /help or /resource search mlops."""


def _is_pipe(stream: TextIO) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # in-memory streams have no descriptor
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


async def _in_daemon_thread(func: Callable[[], T]) -> T:
    """Run a blocking call in a daemon thread (asyncio.to_thread's threads block exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result, error = func(), None
        except BaseException as exc:
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await future


class ConsoleResponder:
    def __init__(self, adapter: ConsoleAdapter) -> None:
        self.adapter = adapter

    async def send(self, message: Message) -> None:
        self.adapter.show(message)

    async def defer(self, private: bool) -> None:
        return None

    async def update(self, message: Message) -> None:
        """A terminal cannot change what it printed: the updated message is printed again."""
        self.adapter.show(message, label="(updated)")


class ConsoleSender:
    """Delivers outbox rows for the console by printing them (the delivery engine's Sender)."""

    platform = PLATFORM

    def __init__(self, adapter: ConsoleAdapter) -> None:
        self.adapter = adapter

    def limits(self, settings: Settings) -> PlatformLimits:
        """A terminal takes posts as fast as they come."""
        return PlatformLimits.unpaced(settings)

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        await self.adapter.post(destination, message)


class ConsoleAdapter:
    """Reads commands from a terminal or a pipe and prints the bot's replies and posts."""

    platform = PLATFORM

    def __init__(
        self,
        app: Application,
        *,
        actor_name: str = "you",
        moderator: bool = False,
        stdin: TextIO | None = None,
        console: Console | None = None,
        interactive: bool | None = None,
        history_file: str | Path | None = None,
    ) -> None:
        self.app = app
        history = app.settings.console_history_file if history_file is None else history_file
        self.history_file = Path(history) if str(history) else None
        self._session: Any = None  # a prompt_toolkit PromptSession on a terminal
        self._stdout_patch: contextlib.ExitStack | None = None
        self.stdin = stdin or sys.stdin
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.console = console or make_console(interactive=self.interactive)
        self.actor_name = actor_name
        self.moderator = moderator
        self.channel = "general"
        self.buttons: dict[int, Button] = {}
        self._next_button = 1
        self._task: asyncio.Task[None] | None = None
        self._pipe: asyncio.StreamReader | None = None
        self._pipe_transport: asyncio.BaseTransport | None = None
        self._closed = asyncio.Event()
        self.failed = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.interactive and _is_pipe(self.stdin):
            # Read pipes without a thread: a thread blocked in readline() would keep the
            # process alive after a SIGTERM until the writer closes the pipe.
            loop = asyncio.get_running_loop()
            reader = self._pipe = asyncio.StreamReader(limit=1024 * 1024)
            self._pipe_transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), self.stdin
            )
        if self.interactive:
            self._start_line_editor()
        self._print_banner()
        self.app.delivery.register_sender(PLATFORM, ConsoleSender(self))
        self._task = asyncio.create_task(self._loop(), name="console-input")

    def _start_line_editor(self) -> None:
        """A prompt_toolkit session; while it runs, printing goes above the input line."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory
        from prompt_toolkit.patch_stdout import patch_stdout

        history: FileHistory | InMemoryHistory = InMemoryHistory()
        if self.history_file is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                self.history_file.touch(exist_ok=True)
                history = FileHistory(str(self.history_file))
            except OSError as exc:
                log.warning("console history not kept: %s", exc)
        self._session = PromptSession(history=history)
        self._stdout_patch = contextlib.ExitStack()
        # raw: rich's colours pass through; the prompt is redrawn below each printed block.
        self._stdout_patch.enter_context(patch_stdout(raw=True))

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._pipe_transport is not None:
            self._pipe_transport.close()
            self._pipe_transport = None
        self._restore_stdout()
        self._closed.set()

    def _restore_stdout(self) -> None:
        if self._stdout_patch is not None:
            self._stdout_patch.close()
            self._stdout_patch = None

    def is_connected(self) -> bool:
        return not self._closed.is_set()

    # -- identity --------------------------------------------------------------------------

    def actor(self) -> Actor:
        return Actor(
            platform=PLATFORM,
            user_id=self.actor_name.lower(),
            display_name=self.actor_name,
            is_platform_admin=self.moderator,
        )

    def place(self) -> Place:
        return Place(
            platform=PLATFORM,
            community_id=COMMUNITY_ID,
            community_name=self.app.settings.console_name,
            channel_id=self.channel,
            channel_name=self.channel,
        )

    # -- output ----------------------------------------------------------------------------

    def export_dir(self) -> Path:
        """EXPORT_DIR, else `exports` beside the SQLite database, else ./exports."""
        if self.app.settings.export_dir:
            return Path(self.app.settings.export_dir).expanduser()
        sqlite_file = self.app.db.sqlite_file
        return (sqlite_file.parent if sqlite_file is not None else Path(".")) / "exports"

    def save(self, attachment: Attachment) -> Path:
        """Write a file the bot sent under `export_dir()` (never elsewhere: the name's folder
        parts are dropped); an existing file of that name is replaced."""
        folder = self.export_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(attachment.filename).name.lstrip(".") or "file"
        path = folder / name
        path.write_bytes(attachment.content)
        return path.absolute()

    def show(self, message: Message, *, label: str | None = None) -> None:
        saved: list[str] = []
        for attachment in message.attachments:
            try:
                path = self.save(attachment)
            except OSError as exc:
                log.error("could not write %s: %s", attachment.filename, exc)
                saved.append(f"{attachment.filename} could not be written: {exc.strerror}")
            else:
                saved.append(f"File saved: {path} ({len(attachment.content):,} bytes)")
        if saved:
            message = replace(
                message,
                attachments=(),
                footer="\n".join([*([message.footer] if message.footer else []), *saved]),
            )
        numbered: dict[int, Button] = {}
        for button in message.buttons:
            if button.disabled:
                continue
            numbered[self._next_button] = button
            self.buttons[self._next_button] = button
            self._next_button += 1
        self.console.print(
            render(message, label=label, numbered=numbered, hyperlinks=self.console.is_terminal)
        )

    async def post(self, destination: Destination, message: Message) -> None:
        """Show something the bot sends on its own initiative, marked with where it went."""
        if destination.kind is DestinationKind.CHANNEL:
            label = f"[#{destination.target_name or destination.target_id}]"
        else:
            label = f"[DM @{destination.target_name or destination.target_id}]"
        self.show(message, label=label)

    def _say(self, text: str, style: str = "dim") -> None:
        self.console.print(Text(text, style=style))

    def _print_banner(self) -> None:
        names = ", ".join(f"/{g}" for g in self.app.registry.groups())
        self._say(
            "mlebot console — no Discord or Slack credentials found, so you are chatting with the "
            "bot in this terminal.",
            style="bold",
        )
        self._say(f"Commands: {names}. Type /help for details, :help for console tricks.")
        self._say(
            "To connect a platform, set DISCORD_TOKEN or SLACK_BOT_TOKEN (see README and "
            ".env.example) and run `mlebot run`."
        )
        role = " (moderator)" if self.moderator else ""
        self._say(f"You are @{self.actor_name}{role} in #{self.channel}.")
        self._say_sender()

    def _say_sender(self) -> None:
        sent_by = self.app.delivery.sent_by
        if sent_by is not None:
            self._say(
                f"Another bot process ({sent_by}) sends this database's posts and DMs; posts "
                "you cause here are queued for it, not shown here.",
                style="yellow",
            )

    # -- input -----------------------------------------------------------------------------

    async def _read_line(self) -> str | None:
        if self.interactive:
            prompt = f"{self.actor_name}#{self.channel}> "
            if self._session is not None:
                try:
                    line: str = await self._session.prompt_async(prompt)
                except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: leave
                    return None
                return line
            try:
                # A daemon thread: after Ctrl-C the process exits without waiting for Enter.
                return await _in_daemon_thread(lambda: input(prompt))
            except EOFError:
                return None
        if self._pipe is not None:
            data = await self._pipe.readline()
            return data.decode("utf-8", errors="replace") if data else None
        # Regular files and in-memory streams never block for long.
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    async def _loop(self) -> None:
        try:
            while True:
                line = await self._read_line()
                if line is None:
                    break
                if not await self.handle_line(line):
                    break
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failed = True
            log.exception("console loop failed")
        finally:
            self._restore_stdout()
            if self.interactive:
                self.console.print()
            self._closed.set()

    async def handle_line(self, raw: str) -> bool:
        """Run one input line; False means the person asked to leave."""
        line = printable(raw, keep_newlines=False)
        if not line or line.startswith("#"):
            return True
        if not self.interactive:
            self._say(f"> {line}")
        if line.startswith(":"):
            return await self._meta(line)
        try:
            parsed = parse_line(line, self.app.registry)
        except UserError as exc:
            self.show(Message(body=str(exc), private=True, tone=Tone.WARNING))
            return True
        path, options = invocation_target(parsed)
        invocation = Invocation(
            path=path,
            options=options,
            actor=self.actor(),
            place=self.place(),
            plain_names=True,
        )
        await self.app.dispatcher.dispatch(invocation, ConsoleResponder(self))
        return True

    async def _meta(self, line: str) -> bool:
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        handlers: dict[str, Callable[[str], object]] = {
            "as": self._meta_as,
            "in": self._meta_in,
            "wait": self._meta_wait,
            "click": self._meta_click,
        }
        if word in ("quit", "exit", "q"):
            return False
        if word == "help":
            self._say(META_HELP, style="")
            return True
        handler = handlers.get(word)
        if handler is None:
            self._say(f"Unknown meta command :{word}. Type :help.", style="yellow")
            return True
        result = handler(rest)
        if asyncio.iscoroutine(result):
            await result
        return True

    def _meta_as(self, rest: str) -> None:
        parts = rest.split()
        if (
            not parts
            or len(parts) > 2
            or (len(parts) == 2 and parts[1].lower() not in ("moderator", "mod"))
        ):
            self._say("Usage: :as NAME  or  :as NAME moderator", style="yellow")
            return
        self.actor_name = parts[0].lstrip("@")[:80]
        self.moderator = len(parts) == 2
        role = " (moderator)" if self.moderator else ""
        self._say(f"You are now @{self.actor_name}{role}.")

    def _meta_in(self, rest: str) -> None:
        name = rest.lstrip("#").strip().lower()
        if not name or not name.replace("-", "").replace("_", "").isalnum() or len(name) > 80:
            self._say("Usage: :in #channel-name", style="yellow")
            return
        self.channel = name
        self._say(f"You are now in #{name}.")

    async def _meta_wait(self, rest: str) -> None:
        try:
            seconds = float(rest)
        except ValueError:
            self._say("Usage: :wait SECONDS", style="yellow")
            return
        if not 0 <= seconds <= 3600:
            self._say("Wait between 0 and 3600 seconds.", style="yellow")
            return
        await asyncio.sleep(seconds)

    async def _meta_click(self, rest: str) -> None:
        try:
            button = self.buttons[int(rest.lstrip("#"))]
        except (ValueError, KeyError):
            self._say("Usage: :click N, where N is a button number shown above.", style="yellow")
            return
        invocation = ActionInvocation(
            action=button.action, value=button.value, actor=self.actor(), place=self.place()
        )
        await self.app.dispatcher.dispatch_action(invocation, ConsoleResponder(self))
