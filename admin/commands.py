"""The operator's command line (`python -m bot COMMAND`): list, check and print frameworks and start a new
framework file, list rounds, export a round's CSVs, write a round's PDF report, erase a member's answers,
migrate the database.

It needs no Slack credentials, makes no Slack calls and imports no Slack library: it works on storage and
results only. DATABASE_URL and MATURITY_FRAMEWORK come from the settings (the environment or .env), as for
the bot, read in admin/setup.py. It reads rounds of every workspace in the database: it is the operator's
tool, not a member's. Each command is a function taking the parsed arguments and returning the exit code:
0 on success, 1 with a message on stderr otherwise.

Its output does not depend on the terminal it runs in: `framework show` wraps at a fixed width.

Heavy imports (SQLAlchemy, the stores, matplotlib) happen inside the commands, so `--help` is quick.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
from pathlib import Path

from . import CommandError

OPERATOR = "operator"  # who the audit log says erased a member from the command line
WIDTH = 100  # `framework show` wraps its paragraphs here, whatever the terminal's width


def add_commands(subparsers) -> None:
    """Add the admin commands to `python -m bot`'s subparsers; each sets `handler` to its function."""
    framework = subparsers.add_parser(
        "framework",
        help="list: the deployment's frameworks; show [ID|FILE]; validate FILE...; new [--out FILE]: a skeleton",
    )
    actions = framework.add_subparsers(dest="framework_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list", help="the frameworks facilitators can choose: the built-in one, MATURITY_FRAMEWORK's and the folder's"
    )
    listing.set_defaults(handler=framework_list)
    show = actions.add_parser("show", help="print a framework: themes, areas with their ids, levels and descriptors")
    show.add_argument(
        "file",
        metavar="ID|FILE",
        nargs="?",
        help="a framework's id in the library, or a framework file (default: the library's default framework)",
    )
    show.set_defaults(handler=framework_show)
    validate = actions.add_parser(
        "validate", help="check framework files (exit 1 and list every problem of every invalid file)"
    )
    validate.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="framework files (YAML or JSON), or a folder of them checked as MATURITY_FRAMEWORKS_DIR would be",
    )
    validate.set_defaults(handler=framework_validate)
    new = actions.add_parser("new", help="write a commented skeleton of a framework file, with every field")
    new.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE (a new file) instead of printing it")
    new.set_defaults(handler=framework_new)

    rounds = subparsers.add_parser(
        "rounds", help="list [--workspace TEAM_ID] [--channel CHANNEL_ID]: the rounds of every workspace"
    )
    round_actions = rounds.add_subparsers(dest="rounds_command", metavar="ACTION", required=True)
    listing = round_actions.add_parser("list", help="a table of rounds: workspace, channel, ids, status, participation")
    listing.add_argument("--workspace", metavar="TEAM_ID", help="only this workspace's rounds")
    listing.add_argument("--channel", metavar="CHANNEL_ID", help="only this channel's rounds")
    listing.set_defaults(handler=rounds_list)

    export = subparsers.add_parser(
        "export", help="write a round's answers CSV to FILE.csv and its summary CSV to FILE-summary.csv"
    )
    _round_argument(export)
    export.add_argument("--out", type=Path, required=True, metavar="FILE.csv", help="where to write the answers CSV")
    export.set_defaults(handler=export_round)

    report = subparsers.add_parser("report", help="write a round's PDF report for the team's leaders")
    _round_argument(report)
    report.add_argument("--out", type=Path, required=True, metavar="FILE.pdf", help="where to write the PDF")
    report.add_argument(
        "--label",
        metavar="TEXT",
        help='the team\'s name on the report, e.g. "Procurement team, Anytown Council" '
        "(default: the channel and workspace ids)",
    )
    report.set_defaults(handler=report_round)

    erase = subparsers.add_parser(
        "erase", help="delete a member's answers, comments and history in every round (UK GDPR erasure), audited"
    )
    erase.add_argument("--user", required=True, metavar="USER_ID", help="the member's Slack user id, e.g. U0123ABCD")
    erase.add_argument("--workspace", metavar="TEAM_ID", help="only this workspace (default: every workspace)")
    erase.set_defaults(handler=erase_member)

    migrate = subparsers.add_parser("migrate", help="apply pending database migrations and exit")
    migrate.set_defaults(handler=migrate_database)


def _round_argument(parser) -> None:
    parser.add_argument(
        "--round",
        dest="round_id",
        type=int,
        required=True,
        metavar="ID",
        help="the round id (the ROUND ID column of `rounds list`)",
    )


def run(handler, args: argparse.Namespace) -> int:
    """Run a command, turning a CommandError into its message on stderr and exit code 1."""
    try:
        return handler(args)
    except CommandError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `python -m bot framework show | head`: the reader has gone, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# -- framework -----------------------------------------------------------------------------------------------


def framework_list(args: argparse.Namespace) -> int:
    library = _configure().frameworks()
    rows = []
    for framework in library.frameworks:
        path = library.source_of(framework.id)
        where = f"{path} (built in)" if library.is_built_in(framework.id) else str(path)
        mark = "*" if framework.id == library.default.id else ""
        rows.append([mark, framework.id, framework.version, str(len(framework.areas)), framework.title, where])
    header = ["", "ID", "VERSION", "AREAS", "TITLE", "FILE"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    print("* the default: a round runs it unless the facilitator chooses another")
    return 0


def framework_validate(args: argparse.Namespace) -> int:
    from framework.library import framework_files, load_library
    from framework.loader import FrameworkError, load_framework

    failed = False
    for name in args.files:
        path = Path(name)
        try:
            if path.is_dir():
                library = load_library(folder=path)
                files = framework_files(path)
                checked = [f for f in library.frameworks if library.source_of(f.id) in files]
                for framework in checked:
                    _print_valid(library.source_of(framework.id), framework)
                if not files:
                    print(f"{path}: no framework files (*.yaml, *.yml, *.json) in this folder")
                continue
            _print_valid(name, load_framework(path))
        except FrameworkError as error:
            print(str(error), file=sys.stderr)
            failed = True
    return 1 if failed else 0


def _print_valid(path, framework) -> None:
    print(
        f"{path}: valid framework {framework.id} {framework.version}, "
        f"{len(framework.areas)} areas, {len(framework.levels)} levels"
    )


def framework_show(args: argparse.Namespace) -> int:
    from framework.library import UnknownFramework
    from framework.loader import FRAMEWORK_SUFFIXES, FrameworkError, load_framework

    wanted = args.file
    try:
        if wanted and (Path(wanted).is_file() or Path(wanted).suffix.lower() in FRAMEWORK_SUFFIXES or "/" in wanted):
            path = Path(wanted)
            framework = load_framework(path)
        else:
            library = _configure().frameworks()
            framework = library.require(wanted) if wanted else library.default
            path = library.source_of(framework.id)
    except FrameworkError as error:
        print(str(error), file=sys.stderr)
        return 1
    except UnknownFramework as error:
        raise CommandError(f"{error}; or give a framework file's path") from None
    print(format_framework(framework, path))
    return 0


def framework_new(args: argparse.Namespace) -> int:
    from framework.skeleton import skeleton

    text = skeleton()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    _check_writable(out)
    if out.exists():
        raise CommandError(f"{out} already exists: choose another name, or delete it first")
    _write(out, text.encode("utf-8"))
    print(f"Wrote {out}: replace every <<...>> with the source's words, then `python -m bot framework validate {out}`")
    return 0


def format_framework(framework, path) -> str:
    """The whole framework as plain text: identity, level scale, then each theme's areas with descriptors.
    Paragraphs are wrapped at WIDTH columns; titles are never wrapped."""
    from framework.limits import EDITOR_NOTE_LABEL, TRUNCATED_MARK

    width = WIDTH
    out: list[str] = []

    def para(text: str, indent: int, first: str | None = None) -> None:
        prefix = " " * indent
        out.extend(
            textwrap.wrap(
                text,
                width,
                initial_indent=first if first is not None else prefix,
                subsequent_indent=prefix,
                break_on_hyphens=False,
            )
            or [prefix]
        )

    out.append(framework.title)
    out.append(f"id {framework.id}, version {framework.version}, from {path}")
    if framework.source:
        para(f"Source: {framework.source}", 0)
    if framework.licence:
        para(f"Licence: {framework.licence}", 0)
    out.append(f"{len(framework.themes)} themes, {len(framework.areas)} areas, {len(framework.levels)} levels")
    out.append("")
    out.append("Levels: " + ", ".join(f"{level.number} {level.name}" for level in framework.levels))
    number = 0
    for theme in framework.themes:
        out.append("")
        kind = "enablers" if theme.kind == "enabler" else "theme"
        out.append(f"{'=' * 3} {theme.title} ({kind}, id {theme.id}) {'=' * 3}")
        for area in theme.areas:
            number += 1
            out.append("")
            out.append(f"{number}. {area.title}")
            out.append(f"   id: {area.id}")
            if area.description:
                para(area.description, 3)
            if area.help:
                para(f"What it is: {area.help.what_it_is}", 3)
                para(f"Why it is important: {area.help.why_it_is_important}", 3)
            if area.editor_note:
                para(f"{EDITOR_NOTE_LABEL}: {area.editor_note}", 3)
            for level in framework.levels:
                descriptor = area.descriptor(level.name)
                out.append(f"   {level.number} {level.name}:")
                para(descriptor.descriptor, 6)
                if descriptor.truncated:
                    para(TRUNCATED_MARK, 6)
                if descriptor.editor_note:
                    para(f"{EDITOR_NOTE_LABEL}: {descriptor.editor_note}", 6)
    return "\n".join(out)


# -- rounds ---------------------------------------------------------------------------------------------------


def rounds_list(args: argparse.Namespace) -> int:
    from storage.overview import RoundOverviewStore

    engine = _configure().engine()
    with _reading(engine):
        overview = RoundOverviewStore(engine).rounds()
    rounds = [item.round for item in overview]
    numbers = {item.round.id: item.number for item in overview}
    participation = {item.round.id: (item.complete, item.members) for item in overview}
    shown = [
        r
        for r in rounds
        if (not args.workspace or r.team_id == args.workspace) and (not args.channel or r.channel_id == args.channel)
    ]
    if not shown:
        print(
            f"No rounds in {_describe(engine)}"
            + (" matching the filters" if args.workspace or args.channel else "")
            + "."
        )
        return 0
    header = ["WORKSPACE", "CHANNEL", "ROUND ID", "NO.", "STATUS", "COMPLETE", "CREATED", "FRAMEWORK"]
    rows = []
    for r in shown:
        complete, total = participation[r.id]
        rows.append(
            [
                f"{r.team_name} ({r.team_id})" if r.team_name else r.team_id,
                f"#{r.channel_name} ({r.channel_id})" if r.channel_name else r.channel_id,
                str(r.id),
                str(numbers[r.id]),
                r.status,
                f"{complete}/{total}",
                r.created_at.date().isoformat() if r.created_at else "",
                f"{r.framework_id} {r.framework_version}",
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 5}
    for row in [header, *rows]:
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    return 0


# -- export and report -------------------------------------------------------------------------------------------


def export_round(args: argparse.Namespace) -> int:
    out = Path(args.out)
    summary_out = out.with_name(f"{out.stem}-summary{out.suffix or '.csv'}")
    actions_out = out.with_name(f"{out.stem}-actions{out.suffix or '.csv'}")
    _check_writable(out)
    progress = _Progress(5, enabled=sys.stderr.isatty())
    progress.step("reading the round")
    results, round_ = _results_and_round(args.round_id)
    progress.step("building the answers, summary and actions CSVs")
    with _reading(results.stores.engine):
        # No Slack: a named round's members, and the actions' owners, appear as their Slack user ids.
        (_, answers), (_, summary) = results.export_files(round_, round_.channel_id)
        _, actions = results.actions_file(round_, round_.channel_id)
    progress.step(f"writing {out.name}")
    _write(out, answers)
    progress.step(f"writing {summary_out.name}")
    _write(summary_out, summary)
    progress.step(f"writing {actions_out.name}")
    _write(actions_out, actions)
    progress.done()
    print(f"Answers CSV: {out}")
    print(f"Summary CSV: {summary_out}")
    print(f"Actions CSV: {actions_out}")
    return 0


def report_round(args: argparse.Namespace) -> int:
    from results.figures import round_label

    out = Path(args.out)
    _check_writable(out)
    progress = _Progress(3, enabled=sys.stderr.isatty())
    progress.step("reading the round")
    results, round_ = _results_and_round(args.round_id)
    label = args.label or round_label(round_)
    progress.step("drawing the report")
    with _reading(results.stores.engine):
        number, pdf = results.report_pdf(round_, label)
    progress.step(f"writing {out.name}")
    _write(out, pdf)
    progress.done()
    print(f"Report on round {round_.id} (round {number} of {label}): {out}")
    return 0


# -- migrate ----------------------------------------------------------------------------------------------------


def erase_member(args: argparse.Namespace) -> int:
    """An administrator's erasure: the same as the member's `/maturity forget me` (results/data_protection.py),
    recorded in the audit log as done by the operator, without the answers."""
    import re

    if not re.fullmatch(r"[UW][A-Z0-9]{1,31}", args.user):
        raise CommandError(f"--user {args.user!r} is not a Slack user id (U or W and capital letters or digits).")
    setup = _configure()
    protection = setup.data_protection()
    with _reading(setup.engine()):
        erased = protection.erase_member(args.workspace, args.user, by=OPERATOR)
    if not erased:
        where = f"workspace {args.workspace}" if args.workspace else "any workspace"
        print(f"{args.user} has no answers in {where} of {_describe(setup.engine())}: nothing to delete.")
        return 0
    for team_id, done in sorted(erased.items()):
        print(f"Erased {args.user} in workspace {team_id}: {done.describe()}. Recorded in the audit log.")
    return 0


def migrate_database(args: argparse.Namespace) -> int:
    from storage.db import describe, migrate

    engine = _configure().new_engine()
    migrate(engine)
    print(f"Migrated {describe(engine)}")
    return 0


# -- helpers ----------------------------------------------------------------------------------------------------


def _configure():
    """The settings, database, framework and results (admin/setup.py: the one place they are built)."""
    from .setup import configure

    return configure()


def _describe(engine) -> str:
    from storage.db import describe

    return describe(engine)


class _reading:
    """Turn a database error (unreachable, or not migrated) into a CommandError that says so."""

    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        from sqlalchemy.exc import SQLAlchemyError

        if error is not None and isinstance(error, SQLAlchemyError):
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            if not _answers(self.engine):  # out of reach: migrating would not help
                raise CommandError(
                    f"cannot reach {_describe(self.engine)}: {reason}. Check that the database server is running "
                    "and DATABASE_URL names it."
                ) from None
            raise CommandError(
                f"cannot read {_describe(self.engine)}: {reason}. If its tables are missing or out of date, "
                "run `python -m bot migrate`."
            ) from None
        return False


def _answers(engine) -> bool:
    """Whether the database takes a connection at all (as opposed to lacking tables)."""
    from sqlalchemy import text

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _results_and_round(round_id: int):
    """The results and the round, refusing a round whose framework the deployment's library does not have."""
    from storage.overview import RoundOverviewStore

    setup = _configure()
    engine = setup.engine()
    with _reading(engine):
        round_ = RoundOverviewStore(engine).round(round_id)
    if round_ is None:
        raise CommandError(
            f"there is no round {round_id} in {_describe(engine)}. `python -m bot rounds list` lists them."
        )
    frameworks = setup.frameworks()
    framework = frameworks.get(round_.framework_id)
    if framework is None:
        raise CommandError(
            f"round {round_.id} was run with framework {round_.framework_id!r} (version {round_.framework_version}), "
            f"which this deployment does not have (it has {', '.join(frameworks.ids)}). Put that framework's file "
            "in MATURITY_FRAMEWORKS_DIR and try again."
        )
    if round_.framework_version != framework.version:
        print(
            f"Warning: round {round_.id} was run with version {round_.framework_version} of {framework.id}; "
            f"{frameworks.source_of(framework.id)} is version {framework.version}. Areas and levels are taken "
            "from the loaded version.",
            file=sys.stderr,
        )
    return setup.results(), round_


def _check_writable(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"cannot write {path}: the folder {parent} does not exist")
    if path.is_dir():
        raise CommandError(f"cannot write {path}: it is a folder")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then renamed into place."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it owner-only; colleagues may need to open it
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None


class _Progress:
    """A one-line textual progress bar on stderr (only on a terminal, so logs and pipes stay clean)."""

    WIDTH = 24

    def __init__(self, steps: int, *, enabled: bool):
        self.steps, self.enabled, self.done_steps = steps, enabled, 0

    def step(self, what: str) -> None:
        if self.enabled:
            filled = self.WIDTH * self.done_steps // self.steps
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            sys.stderr.write(f"\r[{bar}] {self.done_steps}/{self.steps} {what[:60]:<60}")
            sys.stderr.flush()
        self.done_steps += 1

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\r[{'#' * self.WIDTH}] {self.steps}/{self.steps} {'done':<60}\n")
            sys.stderr.flush()
