"""`python -m bot`: run the bot, or administer it."""

from __future__ import annotations

import argparse
import sys

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

    return run_clock() if args.command == "clock" else run()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("maturity-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
