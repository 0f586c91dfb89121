"""results/ and admin/ are Slack-free: importing any of their modules, or running an operator command,
loads no Slack library; and the figures load matplotlib only when a chart or report is drawn."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLACK = ("slack_sdk", "slack_bolt")


def modules(package: str) -> list[str]:
    return [package] + [info.name for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")]


def loaded_after(code: str, cwd: Path = ROOT) -> list[str]:
    """The names in sys.modules after running `code` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def slack_modules(names: list[str]) -> list[str]:
    return [name for name in names if name.split(".")[0] in SLACK]


@pytest.mark.parametrize("package", ["results", "admin"])
def test_importing_every_module_loads_no_slack(package):
    names = modules(package)
    assert len(names) >= 3  # the package and its modules were found
    loaded = loaded_after("\n".join(f"import {name}" for name in names))
    assert set(names) <= set(loaded)
    assert slack_modules(loaded) == []


def test_the_figures_and_the_commands_load_no_matplotlib():
    for module in ("results.figures", "results.csv_files", "admin.commands", "admin.setup"):
        loaded = loaded_after(f"import {module}")
        assert not [name for name in loaded if name.split(".")[0] == "matplotlib"], module


def test_the_operator_commands_run_without_slack(tmp_path):
    """rounds list, export and report of a named round, in one process: no Slack library is loaded. (The
    database is made first, in another process: migration 0003 imports slack_sdk for the installation
    store's tables, so `migrate` does load it.)"""
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    setup = f"""
from framework.loader import load_framework
from storage import Stores
from storage.db import make_engine, migrate
engine = make_engine({database!r})
migrate(engine)
framework = load_framework()
stores = Stores.open(engine)
round_ = stores.rounds.start(team_id="T1", enterprise_id=None, channel_id="C1", framework=framework,
                             started_by="U1", members=["U1", "U2", "U3"], anonymous=False)
for user in ("U1", "U2", "U3"):
    stores.answers.record_answer(round_=round_, user_id=user, area_id=framework.area_ids[0], level=3)
assert round_.id == 1
"""
    loaded_after(setup, cwd=tmp_path)
    code = f"""
import argparse, os
os.environ["DATABASE_URL"] = {database!r}
from admin import commands

def command(*argv):
    parser = argparse.ArgumentParser()
    commands.add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert commands.run(args.handler, args) == 0, argv

command("framework", "show")
command("rounds", "list")
command("export", "--round", "1", "--out", "round.csv")
command("report", "--round", "1", "--out", "round.pdf")
"""
    loaded = loaded_after(code, cwd=tmp_path)
    assert slack_modules(loaded) == []
    assert "matplotlib" in loaded  # the report was drawn
    assert (tmp_path / "round.pdf").read_bytes().startswith(b"%PDF-")
    assert "U2" in (tmp_path / "round.csv").read_text(encoding="utf-8-sig")  # a named round, by user id
