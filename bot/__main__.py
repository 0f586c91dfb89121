"""`python -m bot`: run the bot, or administer it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import NoReturn

from admin import commands as admin_commands

from . import sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Maturity self-assessment bot for Slack.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", help="run the bot (the default): Socket Mode if SLACK_APP_TOKEN is set, else HTTP on $PORT"
    )
    commands.add_parser("clock", help="run only the clock: scheduled summaries, closing dates and reminders")
    admin_commands.add_commands(commands)  # framework, rounds, export, report, migrate: the operator's (admin/)
    sandbox.add_command(commands)  # try the bot without Slack
    args = parser.parse_args(argv)

    if getattr(args, "handler", None) is not None:
        return admin_commands.run(args.handler, args)

    from .main import run, run_clock

    code = run_clock() if args.command == "clock" else run()
    if argv is None:  # this process's own command line (`python -m bot`), not a caller inside a process
        _leave(code)
    return code


def _leave(code: int) -> NoReturn:
    """End the process once the bot has shut down in order (requests finished, the Socket Mode connection
    closed, the senders and the clock stopped). Library threads that are daemons (websocket-client's reader,
    bolt's listener threads) may still be winding down, and an interpreter torn down under a thread that holds
    stderr's lock aborts (SIGABRT: "could not acquire lock ... at interpreter shutdown"), turning a clean stop
    into a crash for the supervisor: so flush the logs and output and leave at once."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("maturity-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
