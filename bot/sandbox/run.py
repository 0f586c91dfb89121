"""`python -m bot sandbox`: the real bot against a simulated Slack workspace, in the terminal.

The bot is the real one: the slack_bolt App from `bot.app.create_app`, its listeners, storage and scoring,
served over HTTP through `bot.wsgi.wsgi_app`. Its WebClient talks to the simulated Slack the tests use
(`simulated_slack`, in this process, granting the bot exactly its BOT_SCOPES), and the sandbox plays Slack
towards it with signed requests (`simulated_slack.Driver`): the person at the terminal is the facilitator and
a member of #procurement, and seeded teammates answer alongside them, through the same signed clicks, as their
own users. What the bot changes reaches the terminal through the simulated Slack's event listener.

Interactive (the default): the sandbox types `/maturity start` in #procurement, presses Start in your
direct messages, and shows each area prompt; keys choose a level, ask for help, skip, comment or change.
When you are done (or press q) you can type facilitator commands; then the teammates finish, the sandbox
posts `/maturity summary`, shows it and saves the chart. At that prompt you can also add an action to the
channel's plan (`/maturity action add <area words>`: its form is asked field by field), press a button of a
message you were shown by typing its key (`d` for Mark done), and tick the bot's clock as if days had passed
(`clock +N`), so that the reminders it owes arrive.

--auto: everything unattended, your answers chosen by the seed too; for demos and as a smoke test. It says
what it will change (the round it closes and starts, whether it sets targets) before it changes anything,
and leaves targets the channel already has as they are.

One simulated team per database: the seed and team size of a SQLite database's first run are kept next to
it (<file>.sandbox-team.json) and reused by later runs without --seed/--members, so "since last round"
compares the same people; an explicit different --seed or --members is said to be a different team and is
kept from then on. Other databases derive the seed from their URL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import queue
import re
import secrets
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from simulated_slack import AppServer, Driver, Event, Message, NoSuchButton, RequestFailed, SimulatedSlack, ViewRecord
from simulated_slack import find_button as _find_button

from .. import values
from ..blocks import views as view_blocks
from ..listeners.commands import SUBCOMMANDS as BOT_SUBCOMMANDS
from .render import (
    Button,
    Names,
    Rendered,
    Style,
    key_bar,
    plain,
    render_message,
    render_view,
    terminal_height,
    terminal_width,
)
from .team import YOU_ID, Person, make_team, targets_for

TOKEN = "xoxb-sandbox"
TEAM_ID = "TSANDBOX"
TEAM_NAME = "Sandbox"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SANDBOX"
CHANNEL_ID = "C0PROCURE"
CHANNEL_NAME = "procurement"
DEFAULT_MEMBERS = 8
SUBCOMMANDS = tuple(BOT_SUBCOMMANDS)  # every /maturity subcommand the bot has, in its order


class SandboxError(Exception):
    """The sandbox cannot go on; the message says why."""


def main(args: argparse.Namespace) -> int:
    if args.members is not None and (args.members < 0 or args.members > 200):
        print("Error: --members must be between 0 and 200.", file=sys.stderr)
        return 2
    # Nothing of a real Slack app may leak in: slack_bolt and slack_sdk read some SLACK_* variables
    # themselves (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET...), so this process forgets them all.
    for name in [n for n in os.environ if n.upper().startswith("SLACK_")]:
        del os.environ[name]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    color = not args.no_color and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    session = None
    try:
        session = Session(args, Style(color))
        return session.run()
    except SandboxError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except RequestFailed as error:
        print(f"Error: {error}. --verbose shows the bot's log.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped.")
        return 130
    finally:
        if session is not None:
            session.close()


def sandbox_settings(*, api_url: str, secret: str, database_url: str | None, framework: str | None):
    """The bot's Settings for the sandbox: every value explicit, so no SLACK_* variable and no .env can
    leak in; DATABASE_URL and MATURITY_FRAMEWORK are passed in from the environment by the caller."""
    from core.settings import Settings

    fields = {
        name: f.get_default(call_default_factory=True)
        for name, f in Settings.model_fields.items()
        if not f.is_required()
    }
    fields.update(
        slack_bot_token=TOKEN,
        slack_signing_secret=secret,
        slack_app_token=None,
        slack_client_id=None,
        slack_client_secret=None,
        slack_api_url=api_url,
        database_url=database_url,
        maturity_framework=Path(framework) if framework else None,
        maturity_facilitators="",
        process_before_response=True,
        maturity_clock=False,
        maturity_channel_rate=100,
        maturity_workspace_rate=200,
        maturity_tier_scale=100,
        log_level="WARNING",
    )
    return Settings(_env_file=None, **fields)


class Screen:
    """The terminal's output, counting the rows written (lines longer than the width take more than one), so
    the sandbox knows what has scrolled away."""

    _ANSI_CODE = re.compile(r"\033\[[0-9;]*m")

    def __init__(self, stream, columns: int):
        self.stream, self.columns = stream, max(1, columns)
        self.rows = 0  # complete rows written
        self.column = 0

    def write(self, text: str) -> int:
        for char in self._ANSI_CODE.sub("", text):
            if char == "\n":
                self.rows, self.column = self.rows + 1, 0
            elif char == "\r":
                self.column = 0
            else:
                if self.column >= self.columns:
                    self.rows, self.column = self.rows + 1, 0
                self.column += 1
        return self.stream.write(text)

    def newline_echoed(self) -> None:
        """The terminal itself echoed a typed line and its Enter."""
        self.rows, self.column = self.rows + 1, 0

    def flush(self) -> None:
        self.stream.flush()


class Keys:
    """Keys and lines from the person: single key presses on a terminal, lines from a pipe.

    What was typed before a prompt was drawn is dropped, so keys pressed ahead never answer an area the person
    has not seen: on a terminal, pending input is flushed as each prompt is drawn; from a pipe (an IDE's
    console, `docker run -i`), a line that came in after the previous answer was read and before this prompt
    was drawn is dropped. Input that was all there before the previous answer was read (a script, a file,
    a here-document) is kept, line by line."""

    def __init__(self, stream=None, out=None):
        self.stream = stream or sys.stdin
        self.out = out or sys.stdout
        self.tty = self.stream.isatty()
        try:
            import termios  # noqa: F401
            import tty  # noqa: F401
        except ImportError:
            self.tty = False
        self.lines: queue.Queue[tuple[float, str]] | None = None  # (arrival, line) from a pipe; "" at the end
        self.last_read: float | None = None  # when the previous line was taken

    def _arrivals(self) -> None:
        """On a thread: each line from the pipe with the time it came in."""
        assert self.lines is not None
        try:
            for line in iter(self.stream.readline, ""):
                self.lines.put((time.monotonic(), line))
        except (OSError, ValueError):
            pass
        self.lines.put((time.monotonic(), ""))

    def _pipe_line(self, drawn: float) -> str:
        """The next line from a pipe ("" at the end), dropping those typed ahead of the prompt drawn at
        `drawn` (taken just before the prompt was written, so nothing typed after it is dropped)."""
        if self.lines is None:
            self.lines = queue.Queue()
            threading.Thread(target=self._arrivals, name="sandbox-keys", daemon=True).start()
        while True:
            arrived, line = self.lines.get()
            if line and self.last_read is not None and self.last_read < arrived < drawn:
                continue  # came in while the sandbox was busy with the previous answer: never seen
            self.last_read = time.monotonic()
            return line

    def key(self, prompt: str) -> str | None:
        """One key ("enter" for Enter), or a whole line starting with "/"; None at the end of input."""
        if not self.tty:
            drawn = time.monotonic()
            self.out.write(prompt)
            self.out.flush()
            line = self._pipe_line(drawn)
            if not line:
                self.out.write("\n")
                return None
            line = line.strip()
            self.out.write(line + "\n")  # a pipe does not echo: show what was "pressed"
            return line if line.startswith("/") else (line[:1].lower() if line else "enter")
        import termios
        import tty

        fd = self.stream.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            # Typed ahead, before this prompt was drawn (the area above is on the screen by now): dropped.
            termios.tcflush(fd, termios.TCIFLUSH)
            self.out.write(prompt)
            self.out.flush()
            char = os.read(fd, 1).decode(errors="replace")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if char == "\x03":
            raise KeyboardInterrupt
        if char == "\x04":
            self.out.write("\n")
            return None
        if char in ("\r", "\n"):
            self.out.write("\n")
            return "enter"
        if char == "/":
            rest = self.line("/", flush=False)
            return None if rest is None else "/" + rest
        self.out.write(char + "\n")
        return char.lower()

    def line(self, prompt: str, *, flush: bool = True) -> str | None:
        """A line of text (stripped); None at the end of input. On a terminal, text typed before the prompt
        was drawn is dropped (unless `flush` is false: the rest of a line whose first key was read)."""
        if self.tty and flush:
            import termios

            termios.tcflush(self.stream.fileno(), termios.TCIFLUSH)
        drawn = time.monotonic()
        self.out.write(prompt)
        self.out.flush()
        line = self.stream.readline() if self.tty else self._pipe_line(drawn)
        if not line:
            self.out.write("\n")
            return None
        if not self.tty:
            self.out.write(line.rstrip("\n") + "\n")
        elif hasattr(self.out, "newline_echoed"):
            self.out.newline_echoed()
        return line.strip()


class Session:
    def __init__(self, args: argparse.Namespace, style: Style):
        self.started = time.monotonic()
        self.args, self.style = args, style
        self.auto = bool(args.auto)
        self.width = terminal_width()
        self.height = terminal_height()  # None: not a terminal, nothing scrolls away
        self.screen = Screen(sys.stdout, self.width + 1)
        self.keys = Keys(out=self.screen)
        self.title_row: int | None = None  # the screen row of the shown prompt's title
        self.team_notes: list[str] = []
        self.events: queue.Queue[Event] = queue.Queue()
        self.chart_path = args.chart
        self.chart_saved: str | None = None
        self.bot_server: AppServer | None = None
        self.teammates_thread: threading.Thread | None = None
        self.hurry = threading.Event()
        self.stop_teammates = threading.Event()
        self.teammate_error: BaseException | None = None
        self.reopened: str | None = None  # ts of the prompt you reopened with Change
        self.shown_prompt: str | None = None  # ts of the prompt last shown
        self.shortened = False  # the prompt last shown was shortened to fit the terminal
        self.round = None
        self.pressable: list[tuple[str, str]] = []  # (channel, ts) of the messages with buttons shown, latest last
        self.clock_days = 0  # how far `clock +N` has moved the clock's time ahead of today

        from ..app import BOT_SCOPES, create_app
        from ..wsgi import EVENTS_PATH, wsgi_app

        # Timestamps start now, so they never repeat those of an earlier run stored in the same database.
        self.slack = SimulatedSlack(scopes=BOT_SCOPES, listener=self._listen, first_ts=time.time())
        self.slack.add_team(
            TEAM_ID,
            bot_token=TOKEN,
            bot_user_id=BOT_USER_ID,
            name=TEAM_NAME,
            bot_id=BOT_ID,
            app_id=APP_ID,
            bot_name="maturity-bot",
            bot_real_name="Maturity bot",
        )
        api_url = self.slack.api_url
        secret = secrets.token_hex(16)
        database_url = args.database or os.environ.get("DATABASE_URL") or None
        framework_file = os.environ.get("MATURITY_FRAMEWORK") or None
        self.settings = sandbox_settings(
            api_url=api_url, secret=secret, database_url=database_url, framework=framework_file
        )

        from framework.loader import FrameworkError

        from ..services import Services

        try:
            self.services = Services.compose(self.settings)
        except FrameworkError as error:
            raise SandboxError(str(error)) from None
        except Exception as error:
            raise SandboxError(
                f"cannot open the database ({type(error).__name__}: {str(error).splitlines()[0]})"
            ) from None
        self.framework = self.services.framework
        self.app = create_app(self.services)
        self.bot_server = AppServer(wsgi_app(self.app), EVENTS_PATH)
        self.driver = Driver(self.slack, self.bot_server.url, secret, TEAM_ID, timeout=60, check=True)

        self.seed, members = self.choose_team(args.seed, args.members)
        self.you, self.team = make_team(self.framework, members, self.seed)
        self.slack.add_user(TEAM_ID, self.you.id, name=self.you.name, real_name=self.you.real_name, is_admin=True)
        for person in self.team:
            self.slack.add_user(TEAM_ID, person.id, name=person.name, real_name=person.real_name)
        self.slack.add_channel(
            TEAM_ID, CHANNEL_ID, name=CHANNEL_NAME, members=[self.you.id, *(p.id for p in self.team)]
        )
        self.dm = self.slack.dm_channel(TEAM_ID, self.you.id)
        self.names = Names(
            users={u.id: u.name for u in self.slack.users(TEAM_ID)},
            channels={CHANNEL_ID: CHANNEL_NAME},
            areas={a.id: a.title for a in self.framework.areas},
        )

    # -- one simulated team per database -------------------------------------------------------------------

    def team_file(self) -> Path | None:
        """Where this database's simulated team (its seed and size) is kept: next to its SQLite file. None
        for an in-memory database; other databases derive the seed from their URL instead."""
        url = self.services.engine.url
        if url.get_backend_name() != "sqlite":
            return None
        if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
            return None
        return Path(url.database + ".sandbox-team.json")

    def choose_team(self, seed: int | None, members: int | None) -> tuple[int, int]:
        """The seed and size of the simulated team: those this database's first sandbox run used (so "since
        last round" compares the same people), unless --seed or --members say otherwise; an explicit
        different one is used, with a note that it is another team, and kept for the later runs."""
        path = self.team_file()
        stored = None
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text())
                stored = (int(data["seed"]), int(data["members"]))
            except (OSError, ValueError, KeyError, TypeError):
                stored = None
        if stored is None and path is None and self.services.engine.url.get_backend_name() != "sqlite":
            # No file to keep it in: the same database URL always gives the same team.
            url = self.services.engine.url.render_as_string(hide_password=True)
            stored = (int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big") % 10_000, DEFAULT_MEMBERS)
        chosen_seed = seed if seed is not None else (stored[0] if stored else secrets.randbelow(10_000))
        chosen_members = members if members is not None else (stored[1] if stored else DEFAULT_MEMBERS)
        if stored is not None and (chosen_seed, chosen_members) != stored:
            self.team_notes.append(
                f"Note: this database's simulated team is seed {stored[0]} with {stored[1]} teammates; "
                f"--seed {chosen_seed} --members {chosen_members} is a different team, so this run's "
                '"since last round" compares different people. It is this database\'s team from now on.'
            )
        elif stored is not None and seed is None:
            self.team_notes.append(
                f"The same simulated team as this database's earlier runs (seed {stored[0]}, "
                f"{stored[1]} teammates); --seed N draws another."
            )
        if path is not None:
            try:
                path.write_text(json.dumps({"seed": chosen_seed, "members": chosen_members}) + "\n")
            except OSError as error:
                self.team_notes.append(f"Could not keep the team's seed in {path}: {error.strerror or error}")
        return chosen_seed, chosen_members

    # -- output ------------------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.screen.write(text + "\n")
        self.screen.flush()

    def para(self, text: str, *, dim: bool = False, indent: str = "") -> None:
        """A paragraph wrapped to the terminal."""
        text = textwrap.fill(
            text,
            self.width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_on_hyphens=False,
            break_long_words=False,
        )
        self.say(self.style.dim(text) if dim else text)

    def heading(self, label: str) -> None:
        room = self.width - 7
        if len(label) > room:
            label = label[: room - 1].rstrip() + "…"
        rule = "─" * max(3, min(self.width, 78) - len(label) - 4)
        self.say(self.style.dim(f"── {label} {rule}"))

    def render(self, message_text: str, blocks: list | None, *, keys: bool = True, files=()) -> Rendered:
        return render_message(message_text, blocks, self.names, self.style, width=self.width, keys=keys, files=files)

    # -- what the bot does, as you see it ----------------------------------------------------------------

    def _listen(self, event: Event) -> None:
        """Called on the simulated Slack's threads: keep what you could see, for the main thread to show."""
        if event.channel in (CHANNEL_ID, "D" + YOU_ID) or event.user == YOU_ID:
            if event.kind == "view" and event.view is not None and event.view.type == "home":
                return  # your App Home is re-published after each answer; `home` shows it on request
            self.events.put(event)

    def drain(self) -> list[Event]:
        pending = []
        while True:
            try:
                pending.append(self.events.get_nowait())
            except queue.Empty:
                return pending

    def catch_up(self) -> None:
        """Show what arrived for you, and fill in any form that opened for you (which may bring more)."""
        for _ in range(10):
            modals = self.show_pending()
            if not modals:
                return
            for modal in modals:
                self.fill_modal(modal.view)

    def show_pending(self, *, channel_only: bool = False) -> list[Event]:
        """Show what arrived for you since last time; returns the modals that opened for you."""
        modals = []
        pending = self.drain()
        # Your answer's tick (✔ Area: you chose ...) comes in after the bot has posted the next area: shown
        # first, right under the key that chose it, not under the next area.
        ticks = [e for e in pending if self._is_tick(e)] if not channel_only else []
        for event in ticks + [e for e in pending if e not in ticks]:
            if event.kind == "view":
                modals.append(event)
            elif event.kind == "ephemeral":
                self.heading(
                    f"#{self.names.channel(event.channel)} · only visible to you"
                    if not event.channel.startswith("D")
                    else "Direct message · only visible to you"
                )
                self.say(self.render(event.payload["text"], event.payload["blocks"]).text)
            elif event.kind == "file":
                self._save_file(event)
            elif event.kind == "delete":
                self.say(self.style.dim("  (maturity-bot deleted a message)"))
            elif event.channel == CHANNEL_ID:
                self._show_channel(event)
            elif not channel_only:
                self._show_dm(event)
        return modals

    def _files_of(self, message: Message) -> list[str]:
        shown = []
        for upload in filter(None, (self.slack.file(f) for f in message.files)):
            shown.append(upload.name if upload.title in ("", upload.name) else f"{upload.title} ({upload.name})")
        return shown

    def _show_channel(self, event: Event) -> None:
        message = event.message
        if event.kind == "update":
            self.say(self.style.dim(f"  (#{CHANNEL_NAME}, a message was edited: {plain(message.text, self.names)})"))
            return
        where = f"#{CHANNEL_NAME}" + (" · in a thread" if message.thread_ts else "") + " · maturity-bot"
        self.heading(where)
        rendered = self.render(message.text, message.blocks, files=self._files_of(message))
        self.say(rendered.text)
        self.remember(message, rendered)

    def _is_tick(self, event: Event) -> bool:
        """An update of one of your area prompts to its answer (or to skipped)."""
        message = event.message
        return (
            event.kind == "update"
            and message is not None
            and event.channel == self.dm
            and message.thread_ts is not None
            and message.ts != self._thread_ts()
            and not self._has_levels(message)
        )

    def _show_dm(self, event: Event) -> None:
        message = event.message
        parent = self._thread_ts()
        if event.kind == "update":
            if message.ts == parent or message.thread_ts is None:
                return  # your progress on the thread's first message: shown in the status line instead
            if self._has_levels(message):
                self.show_prompt(message, "Direct message · thread · maturity-bot (updated)")
                return
            mark = "↷" if "skipped" in message.text else "✔"
            self.say(
                self.style.bold(
                    textwrap.fill(
                        f"{mark} {plain(message.text, self.names)}",
                        self.width,
                        initial_indent="  ",
                        subsequent_indent="    ",
                    )
                )
            )
            return
        in_thread = message.thread_ts is not None
        if self._has_levels(message):
            self.show_prompt(message, "Direct message from maturity-bot · thread")
            return
        heading = "Direct message from maturity-bot" + (" · thread" if in_thread else "")
        if message.text.startswith("Help: "):
            heading = "maturity-bot · thread · help on " + plain(message.text.removeprefix("Help: "), self.names)
        self.heading(heading)
        rendered = self.render(message.text, message.blocks, files=self._files_of(message))
        self.say(rendered.text)
        self.remember(message, rendered)

    # -- the buttons of the messages you were shown ------------------------------------------------------

    def remember(self, message: Message, rendered: Rendered) -> None:
        """A message shown with buttons: its keys press them (the latest message that has the key)."""
        if not rendered.buttons:
            return
        where = (message.channel, message.ts)
        self.pressable = [w for w in self.pressable if w != where][-19:] + [where]

    def pressable_button(self, key: str) -> tuple[Message, Button] | None:
        """The button a key stands for: on the latest message shown with that key."""
        for channel, ts in reversed(self.pressable):
            message = self.slack.find_message(channel, ts)
            if message is None or self._has_levels(message):
                continue
            button = self.render(message.text, message.blocks).button(key)
            if button is not None:
                return message, button
        return None

    def press(self, message: Message, button: Button) -> None:
        """You press a message's button; what the bot answers is shown (a form opened for you is asked)."""
        self.say(self.style.dim(f"  (you press “{button.label}”)"))
        payload = self.driver.click_body(YOU_ID, message, element=button.element, block_id=button.block_id)
        self.driver.post_form({"payload": json.dumps(payload)})
        for response in self.slack.responses:
            if response.get("url") != payload["response_url"]:
                continue
            if response.get("delete_original") in (True, "true"):
                self.pressable = [w for w in self.pressable if w != (message.channel, message.ts)]
                self.say(self.style.dim("  (maturity-bot deleted the message)"))
            elif response.get("replace_original") in (True, "true"):
                # Slack shows the bot's answer in the message's place (its buttons go with the old one).
                self.pressable = [w for w in self.pressable if w != (message.channel, message.ts)]
                where = "Direct message" if message.channel.startswith("D") else f"#{CHANNEL_NAME}"
                self.heading(f"{where} · maturity-bot (updated)")
                self.say(self.render(response.get("text") or "", response.get("blocks")).text)
        self.catch_up()

    # -- the clock ---------------------------------------------------------------------------------------

    def client_for(self, team_id: str):
        return self.app.client if team_id == TEAM_ID else None

    def tick_clock(self, args: str) -> None:
        """`clock [+N]`: the bot's clock ticks once, as if N more days had passed (reminders, closing dates,
        scheduled summaries); what it sends is shown. The rest of the bot keeps today's date."""
        from storage.models import utcnow

        from ..clock import Clock

        words = args.strip().lower()
        found = re.fullmatch(r"\+?\s*(\d{1,3})\s*(d|days?)?", words) if words else None
        if words and found is None:
            self.say("  Say `clock` to tick the clock now, or `clock +N` to tick it N days later (e.g. clock +7).")
            return
        if self.other_workspaces():
            self.say(
                "  This database holds other workspaces too: the sandbox ticks the clock only on a database of "
                "its own (the clock acts on every workspace)."
            )
            return
        self.clock_days += int(found.group(1)) if found else 0
        now = utcnow() + timedelta(days=self.clock_days)
        later = f" (today + {self.clock_days} day{'s' if self.clock_days != 1 else ''})" if self.clock_days else ""
        self.heading(f"the clock ticks · {now:%a} {now.day} {now:%b %Y %H:%M} UTC{later}")
        Clock(self.services, self.client_for, now=lambda: now).tick()
        sent = self.services.sender.flush_due(self.client_for)  # what this tick made owed goes out now
        self.catch_up()
        if not sent:
            self.say(self.style.dim("  (nothing was due)"))

    def other_workspaces(self) -> bool:
        """Whether the database holds rounds, actions or owed messages of another workspace."""
        from sqlalchemy import select as core_select

        from storage.models import ActionItem, OutboxMessage, Round

        with self.services.engine.connect() as conn:
            for model in (Round, ActionItem, OutboxMessage):
                table = model.__table__
                if conn.execute(core_select(table.c.team_id).where(table.c.team_id != TEAM_ID).limit(1)).first():
                    return True
        return False

    def footer_rows(self) -> int:
        """The rows under a prompt while it waits: a blank line, your progress, the keys (up to 3 rows at
        this width) and the choice line."""
        return 1 + 1 + 3 + 1

    def show_prompt(self, message: Message, heading: str, *, full: bool = False) -> None:
        """An area prompt (its keys come with the status line), shortened if need be so that its title and
        the choice line under it are on the screen together."""
        room = None if full or self.height is None else self.height - self.footer_rows() - 1
        rendered = render_message(
            message.text,
            message.blocks,
            self.names,
            self.style,
            width=self.width,
            keys=False,
            files=self._files_of(message),
            height=room,
        )
        self.heading(heading)
        title = header_of(message)
        lines = rendered.text.split("\n")
        before = next((i for i, line in enumerate(lines) if title and title in line), 0)
        if before:
            self.say("\n".join(lines[:before]))
        self.title_row = self.screen.rows
        self.say("\n".join(lines[before:]))
        self.shown_prompt = message.ts
        self.shortened = rendered.shortened and not full

    def _save_file(self, event: Event) -> None:
        upload = event.file
        if upload.content is None:
            return
        if event.channel == CHANNEL_ID and upload.name.endswith(".png"):
            path = self.chart_path
        else:
            path = f"sandbox-{upload.name}"
        try:
            Path(path).write_bytes(upload.content)
        except OSError as error:
            self.say(f"  Could not save {upload.name} to {path}: {error.strerror or error}")
            return
        if path == self.chart_path:
            self.chart_saved = path
        if not self.auto or path != self.chart_path:
            self.say(self.style.dim(f"  (saved {upload.name} to {path})"))

    # -- the workspace's people, acting ------------------------------------------------------------------

    def command(self, user_id: str, text: str, *, echo: bool = True) -> None:
        """`/maturity <text>` in #procurement; an immediate answer is shown as Slack shows it (to you)."""
        if echo:
            self.say(self.style.accent(f"#{CHANNEL_NAME}> /maturity {text}".rstrip()))
        reply = self.driver.command(user_id, text, CHANNEL_ID)
        body = reply.json
        if user_id == YOU_ID and isinstance(body, dict) and (body.get("text") or body.get("blocks")):
            self.heading(f"#{CHANNEL_NAME} · only visible to you")
            self.say(self.render(body.get("text") or "", body.get("blocks")).text)

    def click(self, user_id: str, message: Message, action_id: str) -> None:
        message = self.slack.find_message(message.channel, message.ts) or message
        block_id, element = find_button(message, action_id)
        self.driver.click(user_id, message, element=element, block_id=block_id)

    def submit(self, user_id: str, record, state: dict) -> dict | None:
        reply = self.driver.submit_view(user_id, record, state)
        body = reply.json
        return body if isinstance(body, dict) and body.get("response_action") == "errors" else None

    def home_of(self, user_id: str) -> ViewRecord | None:
        return next((v for v in self.slack.views if v.type == "home" and v.user_id == user_id), None)

    def newest_modal(self, user_id: str):
        modals = [v for v in self.slack.views if v.type == "modal" and v.user_id == user_id]
        return modals[-1] if modals else None

    # -- reading the walk-through -----------------------------------------------------------------------

    def current_round(self):
        self.round = self.services.stores.rounds.open_in_channel(TEAM_ID, CHANNEL_ID) or self.round
        return self.round

    def participant(self, user_id: str):
        round_ = self.current_round()
        return self.services.stores.answers.participant(TEAM_ID, round_.id, user_id) if round_ else None

    def _thread_ts(self, user_id: str = YOU_ID) -> str | None:
        participant = self.participant(user_id)
        return participant.thread_ts if participant else None

    @staticmethod
    def _has_levels(message: Message) -> bool:
        return has_button(message, values.answer_action_id(1))

    def thread(self, user_id: str) -> list[Message]:
        ts = self._thread_ts(user_id)
        return self.slack.replies("D" + user_id, ts) if ts else []

    def open_prompt(self, user_id: str) -> Message | None:
        prompts = [m for m in self.thread(user_id) if self._has_levels(m)]
        return prompts[-1] if prompts else None

    def progress(self, user_id: str):
        round_ = self.current_round()
        return self.services.walkthrough.progress(round_, user_id) if round_ else None

    def team_counts(self) -> tuple[int, int]:
        """(teammates finished, teammates in all)."""
        round_ = self.current_round()
        if round_ is None:
            return 0, len(self.team)
        members = [
            m for m in self.services.stores.answers.team_progress(round_.team_id, round_.id) if m.user_id != YOU_ID
        ]
        return sum(1 for m in members if m.status(round_.area_count) == "complete"), len(members)

    # -- teammates ---------------------------------------------------------------------------------------

    def walk(self, person: Person, *, behave: bool = True) -> Iterator[tuple[str, int]]:
        """One member's walk-through as a series of signed clicks; yields (area id, level) after each answer
        and (area id, 0) after other clicks."""
        parent_ts = self._thread_ts(person.id)
        if parent_ts is None:
            raise SandboxError(f"{person.real_name} got no direct message from the bot")
        parent = self.slack.find_message("D" + person.id, parent_ts)
        self.click(person.id, parent, values.CONTINUE)
        yield "", 0
        skipped = commented = changed = False
        for _ in range(len(self.framework.areas) * 4):
            prompt = self.open_prompt(person.id)
            if prompt is None:
                break
            area = area_of(prompt)
            level = person.levels[area]
            if behave and person.skip == area and not skipped:
                skipped = True
                self.click(person.id, prompt, values.SKIP)
                yield area, 0
            elif behave and person.comment and person.comment[0] == area and not commented:
                commented = True
                self.click(person.id, prompt, values.COMMENT)
                record = self.newest_modal(person.id)
                self.submit(
                    person.id,
                    record,
                    modal_state(
                        record.view, {view_blocks.LEVEL_BLOCK: str(level), view_blocks.COMMENT_BLOCK: person.comment[1]}
                    ),
                )
                yield area, level
            elif behave and person.change and person.change[0] == area and not changed:
                changed = True
                self.click(person.id, prompt, values.answer_action_id(person.change[1]))
                yield area, 0
                self.click(person.id, prompt, values.CHANGE)
                self.click(person.id, prompt, values.answer_action_id(level))
                yield area, level
            else:
                self.click(person.id, prompt, values.answer_action_id(level))
                yield area, level
        progress = self.progress(person.id)
        if progress is not None and not progress.complete:
            raise SandboxError(
                f"{person.real_name}'s walk-through stopped at {progress.done} of {progress.total} areas"
            )

    def run_teammates(self, delay: float) -> None:
        """Teammates take turns, one click each, until all are done; `hurry` drops the pauses."""
        walks = [self.walk(person) for person in self.team]
        try:
            while walks and not self.stop_teammates.is_set():
                for walk in list(walks):
                    try:
                        next(walk)
                    except StopIteration:
                        walks.remove(walk)
                    if delay and not self.hurry.is_set():
                        self.hurry.wait(delay / max(1, len(walks)))
        except BaseException as error:
            self.teammate_error = error

    def finish_teammates(self) -> None:
        self.hurry.set()
        if self.teammates_thread is not None:
            self.teammates_thread.join()
        if self.teammate_error is not None:
            error = self.teammate_error
            raise SandboxError(f"a teammate's walk-through failed: {error}") from error

    # -- the session -------------------------------------------------------------------------------------

    def run(self) -> int:
        self.intro()
        self.announce()
        self.close_earlier_round()
        self.command(YOU_ID, "start")
        if self.current_round() is None:
            self.show_pending()
            raise SandboxError("the bot did not start a round in #procurement")
        if self.auto:
            self.show_pending(channel_only=True)
            return self.run_auto()
        return self.run_interactive()

    def intro(self) -> None:
        from storage.db import describe

        s = self.style
        self.para(
            s.bold("Maturity bot sandbox") + ": the real bot, answering a simulated Slack workspace in this process."
        )
        self.para(
            f"Workspace {TEAM_NAME} ({TEAM_ID}) · #{CHANNEL_NAME}: you (facilitator) and "
            f"{len(self.team)} teammate{'s' if len(self.team) != 1 else ''}"
            + (
                ": " + ", ".join(p.real_name for p in self.team[:6]) + (", ..." if len(self.team) > 6 else "")
                if self.team
                else ""
            )
        )
        self.para(
            f"Framework: {self.framework.title} ({len(self.framework.areas)} areas, {len(self.framework.levels)} levels)"
        )
        self.para(
            f"Seed {self.seed} (--seed {self.seed} gives the same team and answers) · data in {describe(self.services.engine)}"
        )
        for note in self.team_notes:
            self.para(note, dim=not note.startswith("Note"))
        self.say()

    def keeps_targets(self) -> dict[str, int]:
        """The targets #procurement already has (which --auto leaves as they are)."""
        return self.services.stores.targets.for_channel(TEAM_ID, CHANNEL_ID, self.framework.id)

    def announce(self) -> None:
        """What this run will change in the database, said before it changes anything."""
        rounds = self.services.stores.rounds
        earlier = rounds.open_in_channel(TEAM_ID, CHANNEL_ID)
        if earlier is not None:
            number = rounds.number(earlier)
            plan = f"This will close round {number} in #{CHANNEL_NAME} and start round {number + 1}"
            self.para(f"Round {number} of #{CHANNEL_NAME} was still open from an earlier sandbox run in this database.")
        else:
            latest = self.latest_round_number()
            plan = f"This will start round {latest + 1} in #{CHANNEL_NAME}"
        if not self.auto or self.keeps_targets():
            plan += "; targets stay as set."
        else:
            plan += " and set its targets through /maturity targets (it has none yet)."
        self.para(plan)
        self.say()

    def latest_round_number(self) -> int:
        """How many rounds #procurement has had (0 for none)."""
        from sqlmodel import Session as DbSession
        from sqlmodel import select

        from storage.models import Round

        with DbSession(self.services.engine) as db:
            return len(db.exec(select(Round.id).where(Round.team_id == TEAM_ID, Round.channel_id == CHANNEL_ID)).all())

    def close_earlier_round(self) -> None:
        earlier = self.services.stores.rounds.open_in_channel(TEAM_ID, CHANNEL_ID)
        if earlier is None:
            return
        number = self.services.stores.rounds.number(earlier)
        try:
            self.command(YOU_ID, "close", echo=False)
        finally:
            self.drain()
        if self.services.stores.rounds.open_in_channel(TEAM_ID, CHANNEL_ID) is not None:
            raise SandboxError(
                f"round {number} in #{CHANNEL_NAME} (from an earlier sandbox run) is still open and could not be closed"
            )
        self.para(
            f"Closed round {number} of #{CHANNEL_NAME} with /maturity close, so this run starts the next round.",
            dim=True,
        )
        self.say()

    # -- --auto ------------------------------------------------------------------------------------------

    def run_auto(self) -> int:
        kept = self.keeps_targets()
        if kept:
            self.say(
                f"Targets stay as set ({len(kept)} area{'s' if len(kept) != 1 else ''} with a target; "
                "/maturity targets changes them)."
            )
        else:
            self.set_targets_auto()
        self.say()
        self.say(self.style.bold(f"Your walk-through (answers chosen by seed {self.seed}):"))
        titles = {a.id: a.title for a in self.framework.areas}
        width = max(len(t) for t in titles.values()) + 2
        number = 0
        for area, level in self.walk(self.you, behave=False):
            if level:
                number += 1
                name = self.framework.level(level).name
                self.say(f"  {number:>2}. {titles[area]} {'.' * (width - len(titles[area]))} {level} · {name}")
        self.drain()
        self.say()
        behaviours = {
            "skipped an area and answered it when it came back": 0,
            "added a comment": 0,
            "changed an answer": 0,
        }
        for person in self.team:
            for _ in self.walk(person):
                pass
            behaviours["skipped an area and answered it when it came back"] += bool(person.skip)
            behaviours["added a comment"] += bool(person.comment)
            behaviours["changed an answer"] += bool(person.change)
        self.drain()
        finished, total = self.team_counts()
        notes = ", ".join(f"{n} {what}" for what, n in behaviours.items() if n)
        self.say(f"Teammates: {finished} of {total} finished" + (f" ({notes})." if notes else "."))
        self.say()
        return self.finish()

    def set_targets_auto(self) -> None:
        """The facilitator sets the team's targets through the real form (/maturity targets)."""
        self.command(YOU_ID, "targets")
        self.drain()
        record = self.newest_modal(YOU_ID)
        if record is None or record.view.get("callback_id") != values.TARGETS_VIEW:
            raise SandboxError("/maturity targets opened no form")
        targets = targets_for(self.framework, self.seed)
        self.submit(
            YOU_ID, record, modal_state(record.view, {f"target:{a}": str(level) for a, level in targets.items()})
        )
        self.drain()
        counts: dict[int, int] = {}
        for level in targets.values():
            counts[level] = counts.get(level, 0) + 1
        shown = ", ".join(
            f"{self.framework.level(n).name} in {c} area{'s' if c != 1 else ''}" for n, c in sorted(counts.items())
        )
        self.say(f"Targets set through /maturity targets: {shown}.")

    def finish(self) -> int:
        """Post the summary as the facilitator, show it, save its chart."""
        self.say()
        self.chart_saved = None
        self.command(YOU_ID, "summary")
        self.show_pending(channel_only=True)
        if self.chart_saved is None:
            raise SandboxError("the summary came without a chart")
        self.say()
        self.say(f"Chart saved to {self.chart_saved}")
        self.para(
            f"Done in {time.monotonic() - self.started:.1f} s. Run it again for round "
            f"{self.services.stores.rounds.number(self.round) + 1}: its summary shows the trend.",
            dim=True,
        )
        return 0

    # -- interactive -------------------------------------------------------------------------------------

    def run_interactive(self) -> int:
        s = self.style
        self.show_pending()
        parent_ts = self._thread_ts()
        parent = self.slack.find_message(self.dm, parent_ts) if parent_ts else None
        if parent is None:
            raise SandboxError("you got no direct message from the bot")
        self.say(s.dim("  (the sandbox presses Start for you; your teammates start too)"))
        self.click(YOU_ID, parent, values.CONTINUE)
        delay = self.args.delay if self.args.delay is not None else 3.0
        self.teammates_thread = threading.Thread(
            target=self.run_teammates, args=(delay,), name="sandbox-teammates", daemon=True
        )
        self.teammates_thread.start()
        self.walk_interactive()
        self.facilitate()
        self.say(s.dim("Waiting for your teammates to finish..."))
        self.finish_teammates()
        self.drain_dm_quietly()
        return self.finish()

    def drain_dm_quietly(self) -> None:
        for event in self.drain():
            if event.channel == CHANNEL_ID and event.kind in ("post", "file"):
                self.events.put(event)

    def walk_interactive(self) -> None:
        levels = len(self.framework.levels)
        while True:
            self.catch_up()
            prompt = self.active_prompt()
            progress = self.progress(YOU_ID)
            if prompt is None:
                if progress is not None and progress.complete:
                    return
                parent = self.slack.find_message(self.dm, self._thread_ts() or "")
                if parent is None or not has_button(parent, values.CONTINUE):
                    return
                self.say("  " + key_bar([], self.style, extra=[("g", "Continue"), ("/", "command"), ("q", "finish")]))
                key = self.keys.key(self.style.accent("  Your choice: "))
                if key is None or key == "q":
                    return
                if key.startswith("/"):
                    self.run_line(key)
                elif key == "g":
                    self.click(YOU_ID, parent, values.CONTINUE)
                continue
            if prompt.ts != self.shown_prompt:
                self.show_prompt(
                    prompt,
                    "Direct message from maturity-bot · thread · back to "
                    + plain(prompt.text, self.names).split(":")[0],
                )
            rendered = self.render(prompt.text, prompt.blocks)
            extra = []
            answered = self.answered() if prompt.ts != self.reopened else []
            if len(answered) == 1:
                extra.append(("x", f"Change “{header_of(answered[0])}”"))
            elif answered:
                extra.append(("x", "Change an answer"))
            if self.shortened:
                extra.append(("f", "full text"))
            extra += [("/", "command"), ("q", "finish")]
            finished, total = self.team_counts()
            bar = key_bar(rendered.buttons, self.style, self.width - 2, extra).split("\n")
            if self.height is not None and (
                self.title_row is None or self.screen.rows - self.title_row + 3 + len(bar) >= self.height
            ):
                # The area's title has scrolled away (help, a form, messages): name the area again.
                self.title_row = self.screen.rows + 1
                self.say()
                self.say("  " + self.style.bold(f"↳ {self.area_label(prompt)}"))
            else:
                self.say()
            self.say(
                "  "
                + self.style.dim(
                    f"You: {progress.done} of {progress.total} answered · teammates finished: {finished} of {total}"
                )
            )
            self.say("\n".join("  " + row for row in bar))
            key = self.keys.key(self.style.accent("  Your choice: "))
            if key is None or key == "q":
                return
            if key.startswith("/"):
                self.run_line(key)
                continue
            if key == "x" and answered:
                chosen = self.choose_answered(answered)
                if chosen is not None:
                    self.reopened = chosen.ts
                    self.click(YOU_ID, chosen, values.CHANGE)
                continue
            if key == "f" and self.shortened:
                self.show_prompt(prompt, "Direct message from maturity-bot · thread · in full", full=True)
                continue
            button = rendered.button(key)
            if button is None:
                elsewhere = self.pressable_button(key) if key.isalpha() else None
                if elsewhere is not None:
                    self.press(*elsewhere)
                    continue
                self.say(f"  Press a key shown in brackets (1-{levels} chooses a level).")
                continue
            if button.action_id == values.SKIP and prompt.ts == self.reopened:
                self.reopened = None
            self.driver.click(
                YOU_ID,
                self.slack.find_message(prompt.channel, prompt.ts),
                element=button.element,
                block_id=button.block_id,
            )
            if button.key.isdigit() and prompt.ts == self.reopened:
                self.reopened = None

    def area_label(self, prompt: Message) -> str:
        """ "Area 3 of 13 · Its title", for an area prompt."""
        try:
            position = f"Area {self.framework.area_ids.index(area_of(prompt)) + 1} of {len(self.framework.areas)} · "
        except (SandboxError, ValueError):
            position = ""
        return position + header_of(prompt)

    def choose_answered(self, answered: list[Message]) -> Message | None:
        """`x`: the answer to change. With one answered area, that one; with more, a list by area number
        (Enter picks the last one answered)."""
        if len(answered) == 1:
            return answered[0]
        numbers = {}
        self.say("  Change which answer?")
        for message in sorted(answered, key=lambda m: self.framework.area_ids.index(area_of(m))):
            number = self.framework.area_ids.index(area_of(message)) + 1
            numbers[str(number)] = message
            chosen = plain(message.text, self.names).split(": you chose ")[-1]
            self.say(f"  {self.style.accent(f'[{number}]')} {header_of(message)} · {chosen}")
        while True:
            text = self.keys.line(f"  Area number (Enter: {header_of(answered[-1])}, q cancels): ")
            if text is None or text.lower() == "q":
                return None
            if not text:
                return answered[-1]
            if text in numbers:
                return numbers[text]
            self.say("  Type one of the numbers in brackets.")

    def active_prompt(self) -> Message | None:
        if self.reopened:
            message = self.slack.find_message(self.dm, self.reopened)
            if message is not None and self._has_levels(message):
                return message
            self.reopened = None
        return self.open_prompt(YOU_ID)

    def answered(self) -> list[Message]:
        """Your answered area prompts (those with Change), in the thread's order."""
        return [
            m
            for m in self.thread(YOU_ID)
            if any(
                b.get("action_id") == values.CHANGE and (b.get("text") or {}).get("text") == "Change"
                for b in buttons_of(m)
            )
        ]

    def facilitate(self) -> None:
        """After your walk-through: the facilitator's turn at the channel prompt."""
        s = self.style
        self.catch_up()
        progress = self.progress(YOU_ID)
        finished, total = self.team_counts()
        self.say()
        if progress is not None and progress.complete:
            self.say(s.bold("You have answered every area.") + f" Teammates finished so far: {finished} of {total}.")
        else:
            self.say(
                s.bold(f"You stopped at {progress.done} of {progress.total} areas.")
                + f" Teammates finished so far: {finished} of {total}."
            )
        for paragraph, indent in [
            ("You are the facilitator in #procurement. Type a command as you would in Slack, e.g.", ""),
            (
                (
                    "/maturity status · /maturity summary · /maturity help social value · /maturity targets · "
                    "/maturity export · /maturity report · /maturity close"
                ),
                "  ",
            ),
            ("Every subcommand (with or without /maturity): " + " · ".join(SUBCOMMANDS) + ".", "  "),
            ("home shows your App Home; any other text is a direct message to the bot.", "  "),
            (
                "The action plan: /maturity action add social value opens its form (asked here field by field; a "
                "date as 2030-01-31 or +14 for 14 days on) · /maturity actions lists the open ones.",
                "  ",
            ),
            (
                "A key in brackets under a message, e.g. d for [d] Mark done, presses that button on the "
                "latest message showing it.",
                "  ",
            ),
            (
                "clock +N ticks the bot's clock as if N days had passed, so the reminders it owes arrive "
                "(clock alone ticks it now).",
                "  ",
            ),
            (
                (
                    "Press Enter (or q) to finish: your teammates complete their answers and the sandbox posts "
                    "/maturity summary."
                ),
                "",
            ),
        ]:
            self.para(paragraph, indent=indent)
        while True:
            line = self.keys.line(s.accent(f"#{CHANNEL_NAME}> "))
            if line is None or line.lower() in ("", "q", "quit", "exit"):
                return
            self.run_line(line)

    def run_line(self, line: str) -> None:
        """A typed line: a /maturity command, `home`, or a direct message to the bot."""
        line = line.strip()
        first = line.split(" ", 1)[0].lower()
        if line.startswith("/maturity") or first in SUBCOMMANDS:
            text = line[len("/maturity") :].strip() if line.startswith("/maturity") else line
            try:
                self.command(YOU_ID, text, echo=False)  # the typed line is on the screen already
            except RequestFailed as error:
                self.say(f"  The bot failed: {error}")
        elif line.startswith("/"):
            self.say("  Only /maturity is installed in this workspace (try /maturity help).")
            return
        elif first == "clock":
            self.tick_clock(line[len("clock") :])
            return
        elif len(line) == 1 and line.isalpha() and (pressed := self.pressable_button(line.lower())) is not None:
            self.press(*pressed)
            return
        elif first == "home":
            record = self.home_of(YOU_ID)
            self.heading("maturity-bot · Home")
            self.say(
                render_view(record.view, self.names, self.style, width=self.width)
                if record
                else "  (not published yet)"
            )
            return
        elif line:
            self.heading("Direct message to maturity-bot")
            self.say(f"  you: {line}")
            self.driver.direct_message(YOU_ID, line)
        self.catch_up()

    def fill_modal(self, record) -> None:
        """A modal opened for you: ask for each input in the terminal, then submit it (q cancels)."""
        view = record.view
        self.heading("maturity-bot · a form")
        self.say(
            render_view(
                {"title": view.get("title"), "blocks": [b for b in view.get("blocks", []) if b.get("type") != "input"]},
                self.names,
                self.style,
                width=self.width,
            )
        )
        answers: dict[str, str] = {}
        last_options = None
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block.get("element") or {}
            label = plain((block.get("label") or {}).get("text", ""), self.names)
            optional = block.get("optional", False)
            if element.get("type") == "static_select":
                options = element.get("options") or []
                if options != last_options and not numbered(options):
                    self.say(
                        "  "
                        + "  ".join(
                            f"[{o['value']}] {o['text']['text'].removeprefix(str(o['value']) + ' · ')}" for o in options
                        )
                    )
                    last_options = options
                elif options != last_options:  # values that are ids (an area's): chosen by number or by name
                    for number, option in enumerate(options, 1):
                        self.say(f"  [{number}] {option['text']['text']}")
                    last_options = options
                initial = element.get("initial_option")
                hint = (
                    f"Enter keeps {initial['text']['text']}"
                    if initial
                    else ("Enter for none" if optional else "required")
                )
                while True:
                    text = self.keys.line(f"  {label} ({hint}, q cancels): ")
                    if text is None or text.lower() == "q":
                        self.say("  Form cancelled: nothing was sent.")
                        return
                    if not text:
                        if initial:
                            answers[block["block_id"]] = initial["value"]
                        if initial or optional:
                            break
                        self.say("  This one is required.")
                        continue
                    chosen = choose_option(options, text)
                    if chosen is not None:
                        answers[block["block_id"]] = chosen["value"]
                        break
                    self.say("  Type one of the values in brackets.")
            elif element.get("type") == "plain_text_input":
                initial = element.get("initial_value")
                text = self.keys.line(
                    f"  {label} ({'Enter keeps the current text' if initial else 'Enter to leave empty'}, q cancels): "
                )
                if text is None or text.lower() == "q":
                    self.say("  Form cancelled: nothing was sent.")
                    return
                answers[block["block_id"]] = text or initial or ""
            elif element.get("type") == "users_select":
                chosen = self.ask_person(label, element.get("initial_user"), optional)
                if chosen is None:
                    self.say("  Form cancelled: nothing was sent.")
                    return
                if chosen:
                    answers[block["block_id"]] = chosen
            elif element.get("type") == "datepicker":
                chosen = self.ask_date(label, element.get("initial_date"), optional)
                if chosen is None:
                    self.say("  Form cancelled: nothing was sent.")
                    return
                if chosen:
                    answers[block["block_id"]] = chosen
        errors = self.submit(YOU_ID, record, modal_state(view, answers))
        if errors:
            for text in (errors.get("errors") or {}).values():
                self.say(f"  The form says: {text}")
            self.say("  Nothing was saved.")
        else:
            self.say(self.style.dim("  (form submitted)"))
            if view.get("callback_id") == values.COMMENT_VIEW:
                self.acknowledge_comment(view)
            elif view.get("callback_id") == values.ACTION_VIEW:
                self.acknowledge_action()

    def ask_person(self, label: str, initial: str | None, optional: bool) -> str | None:
        """A users_select: a person of the workspace by @name, name or id; "" for none, None to cancel."""
        people = [self.you, *self.team]
        shown = ", ".join("@" + p.name for p in people[:12]) + (", ..." if len(people) > 12 else "")
        self.say(f"  People: {shown}")
        keeps = f"Enter keeps @{self.names.user(initial)}" if initial else None
        return self._ask_until(
            f"  {label} ({{keeps}}, q cancels): ",
            keeps,
            initial,
            optional,
            lambda text: person.id if (person := choose_person(people, text)) is not None else None,
            "  Type one of the people above (@name).",
        )

    def ask_date(self, label: str, initial: str | None, optional: bool) -> str | None:
        """A datepicker: 2030-01-31, +14 (days from today), today or tomorrow; "" for none, None to cancel."""
        return self._ask_until(
            f"  {label} (YYYY-MM-DD or +N days; {{keeps}}, q cancels): ",
            f"Enter keeps {initial}" if initial else None,
            initial,
            optional,
            lambda text: chosen.isoformat() if (chosen := parse_date(text, today())) is not None else None,
            "  Type a date as 2030-01-31, or +14 for 14 days from today.",
        )

    def _ask_until(self, prompt: str, keeps, initial, optional: bool, read, hint: str) -> str | None:
        """Ask until `read` takes the answer: Enter keeps `initial` (or gives "" when optional), q cancels (None)."""
        keeps = keeps or ("Enter for none" if optional else "required")
        while True:
            text = self.keys.line(prompt.replace("{keeps}", keeps))
            if text is None or text.lower() == "q":
                return None
            if not text:
                if initial or optional:
                    return initial or ""
                self.say("  This one is required.")
                continue
            chosen = read(text)
            if chosen is not None:
                return chosen
            self.say(hint)

    def acknowledge_action(self) -> None:
        """Say what was added to the plan, as the database has it (its owner is told in a direct message)."""
        added = [i for i in self.services.stores.plan.for_channel(TEAM_ID, CHANNEL_ID) if i.created_by == YOU_ID]
        if not added:
            return
        item = max(added, key=lambda i: i.id)
        area = self.framework.area(item.area_id)
        self.say(
            f"  Action added to #{CHANNEL_NAME}'s plan: {area.title if area else item.area_id}, owner "
            f"@{self.names.user(item.owner_id)}, due {item.due_on.isoformat()}."
        )

    def acknowledge_comment(self, view: dict) -> None:
        """Say what became of the comment, as the database has it."""
        try:
            area_id = json.loads(view.get("private_metadata") or "{}")["area_id"]
            area = self.framework.area(area_id)
        except (ValueError, KeyError, TypeError):
            return
        title = area.title if area is not None else self.names.areas.get(area_id, area_id)
        round_ = self.current_round()
        answer = self.services.stores.answers.answer(TEAM_ID, round_.id, YOU_ID, area_id) if round_ else None
        if answer is not None and answer.comment:
            self.say(f"  Comment saved for {title}.")
        elif answer is not None:
            self.say(f"  Answer saved for {title}, without a comment.")
        else:
            self.say(f"  The comment for {title} was not saved.")

    def close(self) -> None:
        self.stop_teammates.set()
        self.hurry.set()
        if self.bot_server is not None:
            self.bot_server.stop()
        self.slack.stop()


# -- helpers ---------------------------------------------------------------------------------------------


def buttons_of(message: Message) -> list[dict]:
    found = []
    for block in message.blocks:
        if block.get("type") == "actions":
            found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append(accessory)
    return found


def find_button(message: Message, action_id: str) -> tuple[str | None, dict]:
    try:
        return _find_button(message, action_id)
    except NoSuchButton:
        raise SandboxError(f"the message has no {action_id} button: {message.text[:80]!r}") from None


def has_button(message: Message, action_id: str) -> bool:
    return any(b.get("action_id") == action_id for b in buttons_of(message))


def area_of(message: Message) -> str:
    for button in buttons_of(message):
        value = button.get("value") or ""
        if "|" in value:
            return value.split("|")[1]
    raise SandboxError(f"not an area prompt: {message.text[:80]!r}")


def header_of(message: Message) -> str:
    for block in message.blocks:
        if block.get("type") == "header":
            return (block.get("text") or {}).get("text", "")
    return message.text.split(":")[0]


def numbered(options: list[dict]) -> bool:
    """Whether a select's options are listed by number (their values are ids, not numbers)."""
    return any(not str(o["value"]).isdigit() for o in options)


def choose_option(options: list[dict], text: str) -> dict | None:
    """An option by its value ("3"), its text ("3 · Mature") or its name ("mature"); where the values are ids,
    by its number in the list too."""
    wanted = text.strip().lower()
    for option in options:
        shown = option["text"]["text"].lower()
        if wanted in (str(option["value"]).lower(), shown) or shown.split("· ")[-1] == wanted:
            return option
    if numbered(options) and wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    return None


def choose_person(people: list[Person], text: str) -> Person | None:
    """A person by @name, real name or user id; or the only one whose name or real name starts with it."""
    wanted = text.strip().removeprefix("@").strip().lower()
    if not wanted:
        return None
    for person in people:
        if wanted in (person.name.lower(), person.real_name.lower(), person.id.lower()):
            return person
    starting = [p for p in people if p.name.lower().startswith(wanted) or p.real_name.lower().startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


def today() -> date:
    """The bot's today (UTC): the date its forms check a due date against."""
    from storage.models import utcnow

    return utcnow().date()


def parse_date(text: str, base: date) -> date | None:
    """2030-01-31, +14 (or +14 days), today or tomorrow (from `base`, today)."""
    wanted = text.strip().lower()
    if wanted == "today":
        return base
    if wanted == "tomorrow":
        return base + timedelta(days=1)
    found = re.fullmatch(r"\+\s*(\d{1,4})\s*(d|days?)?", wanted)
    if found:
        return base + timedelta(days=int(found.group(1)))
    try:
        return date.fromisoformat(wanted)
    except ValueError:
        return None


def modal_state(view: dict, answers: dict[str, str]) -> dict:
    """Slack's view.state.values for a modal: selects by option value, text inputs by their text."""
    state: dict[str, dict] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block.get("block_id") not in answers:
            continue
        element = block.get("element") or {}
        action_id, answer = element.get("action_id"), answers[block["block_id"]]
        if element.get("type") == "static_select":
            option = next((o for o in element.get("options", []) if str(o["value"]) == str(answer)), None)
            state[block["block_id"]] = {action_id: {"type": "static_select", "selected_option": option}}
        elif element.get("type") == "users_select":
            state[block["block_id"]] = {action_id: {"type": "users_select", "selected_user": answer or None}}
        elif element.get("type") == "datepicker":
            state[block["block_id"]] = {action_id: {"type": "datepicker", "selected_date": answer or None}}
        else:
            state[block["block_id"]] = {
                action_id: {"type": element.get("type", "plain_text_input"), "value": answer or None}
            }
    return state
