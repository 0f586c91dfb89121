"""A stranger's first start: the example configuration works as copied, and whatever stops start-up is said
in one or two lines with exit status 2 (never a stack trace), for `python -m bot`, the clock and gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL
from tests.harness import SIGNING_SECRET, Workspace

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL", "LOG_"))}
    env.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    env.update(extra)
    return env


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _refused(result: subprocess.CompletedProcess, *words: str) -> str:
    """The start-up refusal: exit 2, one or two lines on stderr that say `words` (after at most the one log
    line saying where the data is), no stack trace."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and len(lines) <= 3, result.stderr
    start = next(i for i, line in enumerate(lines) if line.startswith("Cannot start:"))
    assert start <= 1 and 1 <= len(lines) - start <= 2 and all("INFO bot:" in line for line in lines[:start]), (
        result.stderr
    )
    said = "\n".join(lines[start:])
    for word in words:
        assert word in said, said
    return said


def _bot(tmp_path, env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90
    )


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.1)


def _serves_help(slack, command, cwd, env, port) -> tuple[int, str]:
    """Start a serving process, check /healthz and a signed command, stop it: (exit status, output)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert _wait_http(f"http://127.0.0.1:{port}/healthz", process) == 200
        reply = Workspace(slack, f"http://127.0.0.1:{port}/slack/events").command("U1", "help risk")
        assert reply.status == 200 and "Managing Strategic Risk" in reply.body
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    return process.returncode, output


def test_the_example_env_file_starts_in_http_mode_once_its_two_values_are_filled_in(tmp_path, slack):
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    filled = example.replace("SLACK_BOT_TOKEN=\n", "SLACK_BOT_TOKEN=xoxb-T1\n").replace(
        "SLACK_SIGNING_SECRET=\n", f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
    )
    assert filled != example and "SLACK_APP_TOKEN=\n" in filled  # the empty Socket Mode line stays as copied
    (tmp_path / ".env").write_text(filled, encoding="utf-8")
    port = _closed_port()
    env = _env(tmp_path, PORT=str(port), SLACK_API_URL=slack.api_url)
    returncode, output = _serves_help(slack, [sys.executable, "-m", "bot"], tmp_path, env, port)
    assert returncode == 0, output
    assert "Socket Mode" not in output


def test_a_token_slack_refuses_stops_start_up_in_two_lines(tmp_path, slack):
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url)
    said = _refused(_bot(tmp_path, env), "Slack refused SLACK_BOT_TOKEN", "invalid_auth", "OAuth & Permissions")
    assert "xoxb-wrong" not in said


def test_slack_out_of_reach_stops_start_up_in_two_lines(tmp_path):
    api = f"http://127.0.0.1:{_closed_port()}/api/"
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-T1", SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api)
    _refused(_bot(tmp_path, env), "cannot reach Slack", api, "SLACK_API_URL")


@pytest.mark.parametrize(
    "url, words",
    [
        ("postgresql+psycopg://postgres@127.0.0.1:{port}/test", ["cannot open the database", "DATABASE_URL"]),
        ("not a url at all", ["DATABASE_URL is not a database URL", "postgresql+psycopg://"]),
        ("mysql+nosuchdriver://u@h/db", ["DATABASE_URL is not a database URL"]),
        ("sqlite:////no/such/folder/bot.db", ["cannot open the database", "DATABASE_URL"]),
    ],
    ids=["unreachable", "malformed", "unknown-driver", "no-such-folder"],
)
def test_a_database_that_cannot_be_opened_stops_start_up_in_two_lines(tmp_path, slack, url, words):
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=url.format(port=_closed_port()),
    )
    _refused(_bot(tmp_path, env), *words)


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs the PostgreSQL server")
def test_a_postgres_database_that_does_not_exist_stops_start_up_in_two_lines(tmp_path, slack):
    missing = POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_database_here"
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=missing,
    )
    _refused(_bot(tmp_path, env), "cannot open the database", "no_such_database_here", "createdb")


def test_a_bad_setting_is_named_with_its_value_and_reason(tmp_path):
    said = _refused(_bot(tmp_path, _env(tmp_path, PORT="eighty")), "PORT='eighty'", "integer")
    assert "pydantic" not in said.lower()


def test_the_clock_needs_only_a_bot_token(tmp_path, slack):
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-T1", SLACK_API_URL=slack.api_url)  # no signing secret
    log = tmp_path / "clock.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "clock"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while "Clock started" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        process.terminate()
        process.wait(timeout=10)
    output = log.read_text()
    assert process.returncode == 0 and "Missing" not in output, output
    refused = _bot(tmp_path, _env(tmp_path), "clock")
    _refused(refused, "Missing SLACK_BOT_TOKEN for the clock")


def test_gunicorn_without_a_signing_secret_refuses_to_start_in_one_line(tmp_path, slack):
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-T1", SLACK_API_URL=slack.api_url, SLACK_APP_TOKEN="xapp-1")
    result = subprocess.run(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{_closed_port()}", "bot.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    refusals = [line for line in result.stderr.splitlines() if line.startswith("Cannot start:")]
    assert refusals == [
        "Cannot start: Missing SLACK_SIGNING_SECRET for HTTP mode: set them in the environment or in .env "
        "(see README.md, section 'Configuration')."
    ]
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr


def test_gunicorn_serves_events_and_the_health_check(tmp_path, slack):
    port = _closed_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        MATURITY_CLOCK="false",
    )
    gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "bot.wsgi:application"]
    _serves_help(slack, gunicorn, ROOT, env, port)


def test_the_health_check_says_503_when_the_database_does_not_answer(make_bot, slack):
    from bot.wsgi import wsgi_app
    from storage.db import make_engine

    workspace = make_bot()
    gone = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test")
    for engine, expected in ((workspace.services.engine, "200 OK"), (gone, "503 Service Unavailable")):
        seen = {}

        def start_response(status, headers, seen=seen):
            seen.update(status=status)

        body = wsgi_app(workspace.app, engine)({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response)
        assert seen["status"] == expected, b"".join(body)


def test_version():
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and result.stdout.strip() == f"python -m bot {version('maturity-bot')}"


def test_the_logs_are_quiet_and_never_carry_a_request_body(tmp_path, slack):
    port = _closed_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        MATURITY_CLOCK_TICK="0.5",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_http(f"http://127.0.0.1:{port}/healthz", process) == 200
        workspace = Workspace(slack, f"http://127.0.0.1:{port}/slack/events")
        body = workspace.command_body("U1", "help secret-words-in-the-body", "C1")
        assert workspace.post_form(body, signature="v0=bad").status == 401
        time.sleep(2)  # several clock ticks
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "secret-words-in-the-body" not in output
    assert "will be unused" not in output
    assert "apscheduler" not in output  # the scheduler's per-tick lines only show at DEBUG
    assert len(output.strip().splitlines()) <= 6, output


def test_the_procfile_has_a_line_for_each_way_of_running():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert "bot.wsgi:application" in lines["web"] and lines["web"].startswith("gunicorn ")
    assert lines["socket"] == "python -m bot"  # Socket Mode: one process, no gunicorn
    assert lines["clock"] == "python -m bot clock" and lines["release"] == "python -m bot migrate"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in readme for name in lines)  # the README says which line is for which mode


def test_the_readme_runs_every_command_with_the_projects_own_python():
    """One convention: `.venv/bin/python` (a bare `python -m bot` fails outside an activated venv)."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for block in re.findall(r"```sh\n(.*?)```", readme, re.S) for line in block.splitlines()]
    assert commands
    for command in commands:
        words = command.split("#")[0].replace("&&", " ").split()
        for i, word in enumerate(words):
            if word in ("python", "pip", "python3.11") or (
                word == "python3" and words[i + 1 : i + 3] != ["-m", "venv"]
            ):
                raise AssertionError(f"README command runs {word} without the project's environment: {command}")
    assert ".venv/bin/python -m pytest -q" in readme  # the test command CI runs
