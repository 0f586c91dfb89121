"""`python -m bot sandbox`: try the bot without Slack.

The real bot (the same App, listeners, storage and scoring) runs against a simulated Slack workspace inside
the process, and the person at the terminal takes part: see run.py. Importing this package is cheap; the
bot and the simulation load only when the command runs.
"""

from __future__ import annotations

import argparse

DEFAULT_CHART = "./sandbox-chart.png"


def add_command(subparsers) -> None:
    """Add `sandbox` to `python -m bot`'s subcommands (sets `handler`, as the admin commands do)."""
    parser = subparsers.add_parser(
        "sandbox",
        help="try the bot without Slack: the real bot against a simulated workspace, in this terminal",
        description="Run the real bot against a simulated Slack workspace inside this process and take part "
        "in the terminal: you facilitate #procurement and answer the areas, seeded teammates answer "
        "too, and the sandbox posts the summary and saves its chart. Needs no Slack credentials or "
        "network; honours DATABASE_URL and MATURITY_FRAMEWORK, ignores SLACK_* and .env.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from .run import main

    return main(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--auto",
        action="store_true",
        help="run unattended to the summary (your answers chosen by the seed too): demos, CI",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        metavar="N",
        help="simulated teammates besides you (default: as in this database's first sandbox run, else 8)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed for the teammates' names and answers (default: the one this database's first "
        "sandbox run used, kept next to its SQLite file; else a random one, printed)",
    )
    parser.add_argument(
        "--chart",
        default=DEFAULT_CHART,
        metavar="PATH",
        help=f"where to save the summary chart PNG (default {DEFAULT_CHART})",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: DATABASE_URL, else maturity.db in the working directory)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="interactive: seconds between one teammate's clicks (default 3; 0 = at once)",
    )
    parser.add_argument("--no-color", action="store_true", help="plain text, no ANSI colours")
    parser.add_argument("--verbose", action="store_true", help="show the bot's log lines (INFO)")
