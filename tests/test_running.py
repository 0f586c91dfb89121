"""`python -m bot` as a real process: start-up errors, the HTTP server, and acknowledging before working."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import values
from tests.harness import SIGNING_SECRET, Workspace
from tests.walk import dm, parent

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path, slack=None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
    env.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    if slack is not None:
        env.update(SLACK_BOT_TOKEN="xoxb-T1", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url)
    env.update(extra)
    return env


def _run(tmp_path, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_credentials_stop_start_up_naming_them(tmp_path):
    result = _run(tmp_path, _env(tmp_path))
    assert result.returncode == 2
    assert "Missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in result.stderr
    assert "README.md, section 'Configuration'" in result.stderr


def test_an_invalid_framework_file_stops_start_up_naming_file_field_and_reason(tmp_path, slack):
    bad = tmp_path / "framework.yaml"
    bad.write_text(
        "id: tiny\nversion: '1'\ntitle: Tiny\nlevels: [{number: 1, name: Low}, {number: 2, name: High}]\n"
        "themes:\n  - id: t\n    title: T\n    areas:\n      - id: a\n        title: A\n"
        "        levels: [{level: Low, descriptor: low}, {level: High, descriptor: ''}]\n",
        encoding="utf-8",
    )
    result = _run(tmp_path, _env(tmp_path, slack, MATURITY_FRAMEWORK=str(bad)))
    assert result.returncode == 2
    assert f"Invalid framework file {bad} at themes[0].areas[0].levels[1].descriptor" in result.stderr
    assert "xoxb-T1" not in result.stderr + result.stdout and SIGNING_SECRET not in result.stderr + result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_bot_serves_slack_on_slash_slack_events(tmp_path, slack):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_env(tmp_path, slack, PORT=str(port), DATABASE_URL=""),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        workspace = Workspace(slack, f"http://127.0.0.1:{port}/slack/events")
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = workspace.command("U1", "help risk")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the bot did not start"
                time.sleep(0.1)
        assert reply.status == 200 and "Managing Strategic Risk" in reply.body
        assert workspace.post_form(workspace.command_body("U1", "help", "C1"), signature="v0=bad").status == 401
    finally:
        process.terminate()  # SIGTERM: stop taking requests, finish what is in flight, exit cleanly
        output = process.communicate(timeout=10)[0]
    assert process.returncode == 0, output
    # With no DATABASE_URL the bot uses a SQLite file in the working directory and says where.
    assert str(tmp_path / "maturity.db") in output
    assert (tmp_path / "maturity.db").exists()


def test_clicks_are_acknowledged_before_the_work_is_done(make_bot, slack):
    """In the default mode the HTTP answer does not wait for Slack calls made by the listener."""
    workspace = make_bot(process_before_response=False)
    workspace.command("U1", "start")
    deadline = time.monotonic() + 10
    while len(slack.top_level(dm(slack, "U3"), team_id="T1")) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    slack.fail("chat.postMessage", delay=2.0, times=1)
    started = time.monotonic()
    reply = workspace.click("U3", parent(slack, "U3"), values.CONTINUE)
    assert reply.status == 200 and time.monotonic() - started < 1.5
    while not slack.replies(dm(slack, "U3"), parent(slack, "U3").ts, team_id="T1"):
        assert time.monotonic() < deadline + 5
        time.sleep(0.05)


@pytest.mark.parametrize("flag", ["--help"])
def test_the_command_line_lists_its_commands(flag):
    result = subprocess.run([sys.executable, "-m", "bot", flag], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "migrate" in result.stdout and "run" in result.stdout
