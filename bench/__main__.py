"""`python -m bench`: the benchmark suite (see bench/__init__.py). `--quick` is CI's smoke mode."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from bench import footprint, interactions, scale_out, summary
from bench.common import Database, Row, postgres_answers, quiet_logging
from bench.kickoff import kickoff_at_rate_limit
from bench.table import render, verdicts

SECTIONS = ("interactions", "summary", "kickoff", "footprint", "scale_out")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres", "both"),
        help="databases to measure (default: both when PostgreSQL answers, else sqlite)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode for CI: small sizes, one run each; checks the benchmarks run, not the targets",
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures to FILE as JSON")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable; default: all)"
    )
    return parser.parse_args(argv)


def choose_databases(args: argparse.Namespace) -> tuple[list[str], str]:
    if args.db == "sqlite":
        return ["sqlite"], "SQLite only (--db sqlite)"
    answers, note = postgres_answers(timeout=2.0 if args.quick else 5.0)
    if args.db in ("postgres", "both"):
        if not answers:
            raise SystemExit(f"--db {args.db}: {note}; set TEST_DATABASE_URL or start the server")
        return (["postgres"] if args.db == "postgres" else ["sqlite", "postgres"]), note
    if answers:
        return ["sqlite", "postgres"], note
    return ["sqlite"], f"NOTE: {note}; measuring SQLite only"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_logging()
    started = time.perf_counter()
    sections = args.only or list(SECTIONS)
    databases, note = choose_databases(args)
    mode = "quick (smoke)" if args.quick else "full"
    print(
        f"Benchmarks, {mode} mode: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"databases: {', '.join(databases)}"
    )
    print(note)

    rows: list[Row] = []
    failures: list[str] = []

    def section(name: str, work) -> None:
        print(f"\n== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            rows.extend(work())
        except Exception:
            failures.append(name)
            traceback.print_exc()
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)

    repeats = 1 if args.quick else 3
    if "interactions" in sections:
        for kind in databases:

            def run_interactions(kind=kind):
                with Database(kind) as db:
                    return interactions.measure(db, quick=args.quick, repeats=repeats)[0]

            section(f"1. interactions [{kind}]", run_interactions)
        if not args.quick:
            # Diagnostic: the same clicks with the outbox's pacing out of the way, to tell the bot's own
            # cost from the pacing's. No targets: production runs with the pacing.
            for kind in databases:

                def run_unpaced(kind=kind):
                    with Database(kind) as db:
                        return interactions.measure(db, quick=False, repeats=repeats, unpaced=True)[0]

                section(f"1b. interactions, pacer off (diagnostic) [{kind}]", run_unpaced)

    if "summary" in sections:
        for index, kind in enumerate(databases):

            def run_summary(kind=kind, chart=index == 0):
                with Database(kind) as db:
                    return summary.measure(
                        db,
                        members=500 if args.quick else 5000,
                        repeats=5 if args.quick else 15,
                        chart=chart,
                        memory_summaries=20 if args.quick else 100,
                    )[0]

            section(f"2. summary at scale [{kind}]", run_summary)

    if "kickoff" in sections:
        for kind in databases:
            section(
                f"3. kick-off at the rate limit [{kind}]",
                lambda kind=kind: kickoff_at_rate_limit(kind=kind, members=60 if args.quick else 1000),
            )

    if "footprint" in sections:
        section("4. footprint", lambda: footprint.measure(runs=1 if args.quick else 5)[0])

    if "scale_out" in sections:
        if "postgres" in databases:
            for title, work in scale_out.measure(quick=args.quick):
                section(title, work)
        else:
            print("\n== 5. scale out on PostgreSQL: SKIPPED, it needs PostgreSQL (several processes on one database)")

    elapsed = time.perf_counter() - started
    print()
    print(render(rows))
    print()
    print(verdicts(rows))
    if args.quick:
        print("(--quick checks that the benchmarks run; its sizes are too small for the targets to be judged.)")
    if failures:
        print(f"\nFAILED to run: {', '.join(failures)}")
    print(f"\nTotal {elapsed:.1f} s.")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "mode": "quick" if args.quick else "full",
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "databases": databases,
                    "database_note": note,
                    "elapsed_s": elapsed,
                    "failures": failures,
                    "rows": [row.as_json() for row in rows],
                },
                indent=2,
                default=str,
            ),
            encoding="utf-8",
        )
        print(f"Figures written to {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
