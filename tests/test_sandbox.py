"""`python -m bot sandbox`: the real bot against the in-process simulated Slack, driven from a terminal.

The sandbox runs as a real process (in an empty folder, no .env, SLACK_* removed, DATABASE_URL a SQLite
file there): unattended with --auto, and interactively with keys fed through stdin. The renderer and the
simulated Web API are also checked in-process: the renderer on a real prompt's blocks, the simulated Slack
(the tests' own, simulated_slack, set up as the sandbox sets it up) through the real slack_sdk WebClient.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import BOT_SCOPES
from bot.blocks.walkthrough import answered_prompt, area_prompt
from bot.sandbox.render import Names, Style, plain, render_message
from bot.sandbox.run import BOT_USER_ID, TEAM_ID, TOKEN
from framework.loader import load_framework
from simulated_slack import SimulatedSlack

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
FRAMEWORK = load_framework(None)
AREAS = len(FRAMEWORK.areas)


def sandbox(folder: Path, *args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{folder / 'maturity.db'}", NO_COLOR="1")
    env["SLACK_BOT_TOKEN"] = "xoxb-must-not-be-used"  # the sandbox ignores any real Slack settings
    env["SLACK_API_URL"] = "http://192.0.2.1/api/"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", *args], check=False, cwd=folder, env=env, input=stdin if stdin is not None else "",
        capture_output=True, text=True, timeout=180,
    )
    return result, time.monotonic() - started


def summary_text(stdout: str) -> str:
    """The summary as the channel shows it: from the /maturity summary line to the chart line."""
    start = stdout.index("#procurement> /maturity summary")
    return stdout[start:stdout.index("Chart saved to", start)]


def figures(summary: str) -> str:
    """The summary without its round number and trend notes (which depend on earlier rounds)."""
    summary = re.sub(r"round([ -])\d+", r"round\1N", summary)
    summary = re.sub(r"\s+·\s+(no change|↑ up \d+|↓ down \d+)\s+since\s+last\s+round", "", summary)  # wrapped or not
    return re.sub(r"\s+", " ", summary)


def rounds(database: Path) -> list[dict]:
    """Each sandbox round: its status, members and answers per member."""
    with sqlite3.connect(database) as db:
        found = []
        for round_id, status in db.execute("select id, status from round where team_id = 'TSANDBOX' order by id"):
            members = [u for (u,) in db.execute("select user_id from participant where round_id = ?", (round_id,))]
            answers = dict(db.execute("select user_id, count(*) from answer where round_id = ? group by user_id", (round_id,)))
            found.append({"id": round_id, "status": status, "members": members, "answers": answers})
        return found


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """`--auto --members 8 --seed 1` twice in the same folder and database."""
    folder = tmp_path_factory.mktemp("sandbox")
    first, first_seconds = sandbox(folder, "--auto", "--members", "8", "--seed", "1")
    first_chart = (folder / "sandbox-chart.png").read_bytes() if (folder / "sandbox-chart.png").exists() else b""
    first_rounds = rounds(folder / "maturity.db") if first.returncode == 0 else []
    second, second_seconds = sandbox(folder, "--auto", "--members", "8", "--seed", "1", "--chart", "second.png")
    return {"folder": folder, "first": first, "first_seconds": first_seconds, "first_chart": first_chart,
            "first_rounds": first_rounds, "second": second, "second_seconds": second_seconds}


# -- --auto ----------------------------------------------------------------------------------------------


def test_auto_runs_the_real_bot_to_the_summary_and_saves_the_chart(two_runs):
    run = two_runs["first"]
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "#procurement> /maturity start" in out
    assert "Your walk-through" in out
    assert f"{AREAS:>4}. {FRAMEWORK.areas[-1].title}" in out  # the person's areas and levels, briefly
    summary = summary_text(out)
    assert "Maturity summary: round 1" in summary
    assert "9 of 9 complete" in summary  # you and 8 teammates
    assert "views differ" in summary  # the teammates do not all agree
    assert "target" in summary  # the facilitator set targets through the form
    assert "Chart saved to ./sandbox-chart.png" in out
    assert two_runs["first_chart"].startswith(PNG)
    assert two_runs["first_seconds"] < 60, f"took {two_runs['first_seconds']:.1f} s"
    assert "Traceback" not in run.stderr


def test_the_database_has_every_members_answers(two_runs):
    (round_,) = two_runs["first_rounds"]
    assert round_["status"] == "open"
    assert len(round_["members"]) == 9
    assert set(round_["answers"]) == set(round_["members"])
    assert set(round_["answers"].values()) == {AREAS}


def test_the_same_seed_gives_the_same_figures_and_a_rerun_starts_the_next_round(two_runs):
    second = two_runs["second"]
    assert second.returncode == 0, second.stderr
    assert "was still open from an earlier sandbox run" in second.stdout
    summary = summary_text(second.stdout)
    assert "Maturity summary: round 2" in summary
    assert "since last round" in summary  # the trend against round 1
    assert figures(summary) == figures(summary_text(two_runs["first"].stdout))
    assert "Chart saved to second.png" in second.stdout
    assert (two_runs["folder"] / "second.png").read_bytes().startswith(PNG)
    first, latest = rounds(two_runs["folder"] / "maturity.db")
    assert first["status"] == "closed" and latest["status"] == "open"
    assert set(latest["answers"].values()) == {AREAS} and len(latest["answers"]) == 9


def test_a_different_seed_gives_another_team(tmp_path):
    run, _ = sandbox(tmp_path, "--auto", "--members", "3", "--seed", "2", "--chart", "chart.png")
    assert run.returncode == 0, run.stderr
    assert "4 of 4 complete" in summary_text(run.stdout)
    assert "Seed 2" in run.stdout
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG)


# -- interactive, keys through stdin -----------------------------------------------------------------------


def test_interactive_keys_from_stdin_reach_the_summary(tmp_path):
    run, _ = sandbox(tmp_path, "--members", "3", "--seed", "4", stdin="1\n" * AREAS + "q\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    first = FRAMEWORK.areas[0]
    assert first.title in out and first.descriptor("Minimum").descriptor.split()[0] in out
    assert "[1] Minimum  [2] Developing  [3] Mature  [4] Leader  [5] Innovator" in out
    assert out.count("you chose Minimum") == AREAS
    assert "Your maturity profile" in out
    assert "Maturity summary: round 1" in out and "4 of 4 complete" in out
    assert (tmp_path / "sandbox-chart.png").read_bytes().startswith(PNG)
    (round_,) = rounds(tmp_path / "maturity.db")
    assert set(round_["answers"].values()) == {AREAS}


def test_interactive_help_skip_comment_change_and_commands(tmp_path):
    keys = [
        "h",  # help on area 1: posted in the thread, the prompt stays
        "s",  # skip area 1: it comes back after the others
        "c", "3", "We rely on one person for this.",  # area 2 through the comment form: level and comment
        "x", "4",  # change the last answer (area 2) to Leader
        *["2"] * (AREAS - 2),  # areas 3 to the last
        "5",  # area 1, back after the others
        "/maturity status",
        "q",
    ]
    run, _ = sandbox(tmp_path, "--members", "2", "--seed", "9", stdin="\n".join(keys) + "\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "What it is" in out  # the help
    assert f"{FRAMEWORK.areas[0].title}: skipped for now" in out
    assert "Add a comment" in out and "(form submitted)" in out
    assert f"{FRAMEWORK.areas[1].title}: you chose Mature" in out
    assert f"{FRAMEWORK.areas[1].title}: you chose Leader" in out
    assert f"{FRAMEWORK.areas[0].title}: you chose Innovator" in out
    assert "Your progress in #procurement" in out and f"{AREAS} of {AREAS} areas answered" in out
    assert "Maturity summary: round 1" in out and "3 of 3 complete" in out
    with sqlite3.connect(tmp_path / "maturity.db") as db:
        mine = {area: (level, comment) for area, level, comment in
                db.execute("select area_id, level, comment from answer where user_id = 'U0YOU'")}
    assert mine[FRAMEWORK.areas[0].id] == (5, None)
    assert mine[FRAMEWORK.areas[1].id] == (4, "We rely on one person for this.")
    assert {level for level, _ in mine.values()} == {2, 4, 5} and len(mine) == AREAS


# -- the renderer, in-process ------------------------------------------------------------------------------


def test_a_prompt_renders_with_theme_area_description_levels_descriptors_and_keys():
    area = next(a for a in FRAMEWORK.areas if any(d.truncated for d in a.levels))
    text, blocks = area_prompt(round_id=7, framework=FRAMEWORK, area=area)
    rendered = render_message(text, blocks, style=Style(color=False), width=100)
    flat = re.sub(r"\s+", " ", rendered.text)
    position = FRAMEWORK.area_ids.index(area.id) + 1
    assert f"Area {position} of {AREAS}" in flat
    assert area.title in flat
    for level in FRAMEWORK.levels:
        assert f"{level.number} · {level.name}" in flat
        assert re.sub(r"\s+", " ", area.descriptor(level.name).descriptor) in flat
    assert "cuts this descriptor off" in flat
    assert "[1] Minimum  [2] Developing  [3] Mature  [4] Leader  [5] Innovator" in rendered.text
    assert "[h] Help  [s] Skip for now  [c] Add a comment" in rendered.text
    assert "*" not in rendered.text and "&amp;" not in rendered.text and "\033[" not in rendered.text
    assert rendered.button("3").element["value"] == f"7|{area.id}|3"
    assert rendered.button("s").action_id == "area_skip"

    theme_area = FRAMEWORK.areas[0]
    text, blocks = area_prompt(round_id=7, framework=FRAMEWORK, area=theme_area)
    flat = re.sub(r"\s+", " ", render_message(text, blocks).text)
    assert f"Theme: {FRAMEWORK.theme_of(theme_area.id).title}" in flat
    assert re.sub(r"\s+", " ", theme_area.description) in flat


def test_an_answered_prompt_shows_the_choice_the_comment_and_change():
    area = FRAMEWORK.areas[4]
    text, blocks = answered_prompt(round_id=1, framework=FRAMEWORK, area=area, level=3, comment="Fine & <good>")
    rendered = render_message(text, blocks)
    assert "✔ Your answer: 3 · Mature" in rendered.text
    assert "Your comment: Fine & <good>" in rendered.text
    assert "[x] Change  [h] Help  [c] Edit comment" in rendered.text


def test_mrkdwn_becomes_plain_text():
    names = Names(users={"U1": "alex"}, channels={"C1": "procurement"})
    assert plain("*Bold* and _it_ in <#C1>, <#C2|other> for <@U1> &amp; &lt;x&gt; `code`", names) == (
        "Bold and it in #procurement, #other for @alex & <x> code"
    )
    assert plain(":warning: views differ, :arrow_up: up 1") == "⚠ views differ, ↑ up 1"
    assert plain("<https://example.org|the guide> or <!here>") == "the guide (https://example.org) or @here"
    assert plain("> quoted\nplain") == "│ quoted\nplain"
    coloured = render_message("", [{"type": "section", "text": {"type": "mrkdwn", "text": "*x*"}}], style=Style(color=True))
    assert "\033[1mx\033[0m" in coloured.text


# -- the simulated Web API, through the real WebClient --------------------------------------------------------


def test_the_simulated_slack_answers_the_real_web_client():
    events = []
    slack = SimulatedSlack(scopes=BOT_SCOPES, listener=events.append)
    slack.add_team(TEAM_ID, bot_token=TOKEN, bot_user_id=BOT_USER_ID)
    url = slack.api_url
    try:
        for n in range(5):
            slack.add_user(TEAM_ID, f"U{n}", name=f"user{n}", real_name=f"User {n}")
        slack.add_channel(TEAM_ID, "C1", name="team", members=[f"U{n}" for n in range(5)] + [BOT_USER_ID])
        client = WebClient(token=TOKEN, base_url=url)
        assert client.auth_test()["team_id"] == "TSANDBOX"
        members = [m for page in client.conversations_members(channel="C1", limit=2) for m in page["members"]]
        assert members == ["U0", "U1", "U2", "U3", "U4", BOT_USER_ID]
        posted = client.chat_postMessage(channel="U1", text="hi", metadata={"event_type": "e", "event_payload": {"key": "k1"}})
        assert posted["channel"] == "DU1"
        reply = client.chat_postMessage(channel="DU1", thread_ts=posted["ts"], text="in the thread")
        thread = client.conversations_replies(channel="DU1", ts=posted["ts"], include_all_metadata=True)["messages"]
        assert [m["text"] for m in thread] == ["hi", "in the thread"]
        assert thread[0]["metadata"]["event_payload"]["key"] == "k1"
        client.chat_update(channel="DU1", ts=reply["ts"], text="edited")
        assert [e.kind for e in events] == ["post", "post", "update"]
        client.files_upload_v2(channel="C1", content=PNG + b"rest", filename="c.png", title="Chart")
        (upload,) = slack.files
        assert upload.content == PNG + b"rest" and upload.completed and upload.channel_id == "C1"
        assert [e.kind for e in events[3:]] == ["post", "file"] and events[-1].file.content == upload.content
        with pytest.raises(SlackApiError) as unknown:
            client.api_call("chat.scheduleMessage", params={"channel": "C1"})
        assert unknown.value.response["error"] == "unknown_method"
        with pytest.raises(SlackApiError) as bad_token:
            WebClient(token="xoxb-other", base_url=url).auth_test()
        assert bad_token.value.response["error"] == "invalid_auth"
    finally:
        slack.stop()


def test_the_command_prompt_offers_every_subcommand_of_the_bot(tmp_path):
    from bot.listeners.commands import SUBCOMMANDS as BOT_SUBCOMMANDS
    from bot.sandbox.run import SUBCOMMANDS

    assert set(SUBCOMMANDS) == set(BOT_SUBCOMMANDS) and "report" in SUBCOMMANDS
    # `report` typed at the facilitator's prompt (without /maturity) reaches the bot, whose PDF is saved.
    run, _ = sandbox(tmp_path, "--members", "0", "--seed", "3", stdin="q\nreport\n\n")
    assert run.returncode == 0, run.stderr
    assert "The report (PDF) is in the summary's thread." in run.stdout
    assert (tmp_path / "sandbox-maturity-report-round-1.pdf").read_bytes().startswith(b"%PDF")
