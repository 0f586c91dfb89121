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
from datetime import date
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


def sandbox_env(folder: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL", "COLUMNS", "LINES"))
    }
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{folder / 'maturity.db'}", NO_COLOR="1", **extra)
    return env


def sandbox(
    folder: Path, *args: str, stdin: str | None = None, **extra_env: str
) -> tuple[subprocess.CompletedProcess, float]:
    env = sandbox_env(folder, **extra_env)
    env["SLACK_BOT_TOKEN"] = "xoxb-must-not-be-used"  # the sandbox ignores any real Slack settings
    env["SLACK_API_URL"] = "http://192.0.2.1/api/"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", *args],
        check=False,
        cwd=folder,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=180,
    )
    return result, time.monotonic() - started


def summary_text(stdout: str) -> str:
    """The summary as the channel shows it: from the /maturity summary line to the chart line."""
    start = stdout.index("#procurement> /maturity summary")
    return stdout[start : stdout.index("Chart saved to", start)]


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
            answers = dict(
                db.execute("select user_id, count(*) from answer where round_id = ? group by user_id", (round_id,))
            )
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
    return {
        "folder": folder,
        "first": first,
        "first_seconds": first_seconds,
        "first_chart": first_chart,
        "first_rounds": first_rounds,
        "second": second,
        "second_seconds": second_seconds,
    }


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
        "c",
        "3",
        "We rely on one person for this.",  # area 2 through the comment form: level and comment
        "x",
        "4",  # change the last answer (area 2) to Leader
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
        mine = {
            area: (level, comment)
            for area, level, comment in db.execute("select area_id, level, comment from answer where user_id = 'U0YOU'")
        }
    assert mine[FRAMEWORK.areas[0].id] == (5, None)
    assert mine[FRAMEWORK.areas[1].id] == (4, "We rely on one person for this.")
    assert {level for level, _ in mine.values()} == {2, 4, 5} and len(mine) == AREAS


# -- interactive, as people use it: an 80x24 terminal, changing any answer, type-ahead --------------------------

TITLES = [area.title for area in FRAMEWORK.areas]


@pytest.fixture(scope="module")
def small_screen(tmp_path_factory):
    """An interactive run at 80x24 (COLUMNS and LINES): help, skip, a comment, answers, `x` twice."""
    folder = tmp_path_factory.mktemp("small-screen")
    keys = [
        "h",  # area 1: help
        "s",  # area 1: skipped
        "c",
        "3",
        "Needs a wider view.",  # area 2: Mature, with a comment
        "2",  # area 3: Developing
        "2",  # area 4: Developing
        "x",
        "2",
        "4",  # at area 5: change area 2 (not the last answered) to Leader
        "x",
        "",
        "5",  # at area 5: Enter picks the last answered (area 4): Innovator
        *["1"] * (AREAS - 4),  # areas 5 to the last: Minimum
        "5",  # area 1, back after the others: Innovator
        "q",
    ]
    # The area each "Your choice:" waits on, in order.
    waits = [1, 1, 2, 3, 4, 5, 2, 5, 4, *range(5, AREAS + 1), 1]
    run, _ = sandbox(
        folder, "--members", "2", "--seed", "9", "--delay", "0", stdin="\n".join(keys) + "\n", COLUMNS="80", LINES="24"
    )
    return {"run": run, "waits": waits, "folder": folder}


def screen_before(out: str, end: int, rows: int = 24, columns: int = 80) -> list[str]:
    """What an 80x24 terminal shows when the output has reached `end`: its last rows (long lines wrap)."""
    lines = out[:end].split("\n")
    screen: list[str] = []
    for line in reversed(lines):
        pieces = [line[i : i + columns] for i in range(0, max(len(line), 1), columns)]
        screen[:0] = pieces
        if len(screen) >= rows:
            break
    return screen[-rows:]


def test_at_80x24_the_areas_title_and_the_choice_line_are_on_the_screen_together(small_screen):
    run = small_screen["run"]
    assert run.returncode == 0, run.stderr
    out = run.stdout
    starts = [m.start() for m in re.finditer(r"  Your choice: ", out)]
    assert len(starts) == len(small_screen["waits"])
    for number, (start, area) in enumerate(zip(starts, small_screen["waits"]), 1):
        end = out.index("\n", start)
        screen = screen_before(out, end)
        assert screen[-1].startswith("  Your choice: "), screen
        shown = re.sub(r"\s+", " ", " ".join(screen))
        assert TITLES[area - 1] in shown, f"wait {number} (area {area}): the title is off the screen:\n" + "\n".join(
            screen
        )
        assert [line for line in screen if len(line) == 80] == [], "a line is wider than the terminal"
    # The first prompt, shortened, shows its levels and the start of each descriptor on the same screen.
    first = screen_before(out, out.index("\n", starts[0]))
    shown = re.sub(r"\s+", " ", " ".join(first))
    for level in FRAMEWORK.levels:
        assert f"{level.number} · {level.name}" in shown
    assert FRAMEWORK.areas[0].descriptor("Minimum").descriptor.split()[0] in shown
    assert "[f] full text" in out  # the shortened text can be seen in full


def test_x_changes_any_answered_area_chosen_from_a_list(small_screen):
    run = small_screen["run"]
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Change which answer?" in out
    listing = out[out.index("Change which answer?") :]
    assert f"[2] {TITLES[1]} · Mature" in listing and f"[3] {TITLES[2]} · Developing" in listing
    assert f"{TITLES[1]}: you chose Leader" in out and f"{TITLES[3]}: you chose Innovator" in out
    with sqlite3.connect(small_screen["folder"] / "maturity.db") as db:
        mine = {
            area: (level, comment)
            for area, level, comment in db.execute("select area_id, level, comment from answer where user_id = 'U0YOU'")
        }
    ids = FRAMEWORK.area_ids
    assert mine[ids[0]] == (5, None)
    assert mine[ids[1]] == (4, "Needs a wider view.")  # changed though it was not the last answer
    assert mine[ids[2]] == (2, None)
    assert mine[ids[3]] == (5, None)  # Enter at the list: the last answered
    assert all(mine[a][0] == 1 for a in ids[4:]) and len(mine) == AREAS


def test_a_comment_is_acknowledged(small_screen):
    out = small_screen["run"].stdout
    assert f"Comment saved for {TITLES[1]}." in out
    assert out.index("(form submitted)") < out.index(f"Comment saved for {TITLES[1]}.")


def test_an_answers_tick_shows_with_its_area_not_under_the_next_one(small_screen):
    out = small_screen["run"].stdout
    for answered, chosen in [(2, "Mature"), (3, "Developing"), (4, "Developing")]:
        tick = out.index(f"✔ {TITLES[answered - 1]}: you chose {chosen}")
        # after the key that chose it, before the next area is drawn
        next_area = out.index(f"Area {answered + 1} of {AREAS}")
        assert tick < next_area, f"the tick for area {answered} shows under area {answered + 1}"
        assert out.rindex("Your choice: ", 0, tick) > out.rindex(f"Area {answered} of {AREAS}", 0, tick)


def test_help_shows_the_areas_title_not_its_id(small_screen):
    out = small_screen["run"].stdout
    assert "What it is" in out
    helped = out[out.index("Your choice: h") : out.index("Your choice: s")]
    area = FRAMEWORK.areas[0]
    assert area.id not in helped
    assert f"{FRAMEWORK.theme_of(area.id).title} · {area.title}" in helped
    assert f"help on {area.title}" in helped
    names = Names(areas={a.id: a.title for a in FRAMEWORK.areas})
    from bot.blocks.help import area_help

    text, blocks = area_help(FRAMEWORK, FRAMEWORK.areas[1])
    rendered = render_message(text, blocks, names).text
    assert FRAMEWORK.areas[1].id not in rendered and rendered.count(FRAMEWORK.areas[1].title) >= 2


def test_lines_typed_ahead_in_a_console_do_not_answer_unseen_areas(tmp_path):
    """From a console that is no terminal (an IDE's, `docker run -i`), keys come as lines: 3, 3, 3 typed
    quickly answer only the area on the screen; lines that came in before a prompt was drawn are dropped."""
    import select

    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--members", "1", "--seed", "2", "--delay", "0"],
        cwd=tmp_path,
        env=sandbox_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, seen = b"", 0

    def read_until(marker: bytes, timeout: float = 60) -> None:
        nonlocal output, seen
        deadline = time.monotonic() + timeout
        while marker not in output[seen:]:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} after {timeout} s:\n{output.decode(errors='replace')[-3000:]}"
            ready, _, _ = select.select([process.stdout], [], [], left)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                assert chunk, f"the sandbox ended early:\n{output.decode(errors='replace')[-3000:]}"
                output += chunk
        seen = output.index(marker, seen) + len(marker)

    def type_(text: bytes) -> None:
        process.stdin.write(text)
        process.stdin.flush()

    try:
        read_until(b"Your choice: ")
        type_(b"3\n")
        read_until(b"3\n")  # taken: the bot is busy with it, the next area is not drawn yet
        type_(b"3\n3\n")  # typed quickly after the first, before the next area is on the screen
        read_until(b"Your choice: ")
        time.sleep(0.5)  # lines typed ahead would have been taken by now
        type_(b"q\n")
        read_until(b"#procurement> ")
        type_(b"\n")
        read_until(b"Chart saved to")
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = output.decode(errors="replace")
    assert f"Area 2 of {AREAS}" in text and f"Area 3 of {AREAS}" not in text
    with sqlite3.connect(tmp_path / "maturity.db") as db:
        (mine,) = db.execute("select count(*) from answer where user_id = 'U0YOU'").fetchone()
    assert mine == 1


def test_keys_typed_before_a_prompt_is_drawn_do_not_answer_unseen_areas(tmp_path):
    """On a real terminal (a pseudo-terminal here): 3 3 3 pressed quickly answers only the area on screen."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--members", "1", "--seed", "2", "--delay", "0"],
        cwd=tmp_path,
        env=sandbox_env(tmp_path),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    output = b""

    def read_until(marker: bytes, timeout: float = 60) -> None:
        """Read until the marker shows up in what has not been read yet (by an earlier call)."""
        nonlocal output, seen
        deadline = time.monotonic() + timeout
        while marker not in output[seen:]:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} after {timeout} s:\n{output.decode(errors='replace')[-3000:]}"
            ready, _, _ = select.select([master], [], [], left)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                assert chunk, f"the sandbox ended early:\n{output.decode(errors='replace')[-3000:]}"
                output += chunk
        seen = output.index(marker, seen) + len(marker)

    seen = 0
    try:
        read_until(b"Your choice: ")
        os.write(master, b"3")
        read_until(b"3\r\n")  # the key is read: the bot is busy with it, the next area is not drawn yet
        os.write(master, b"33")  # pressed quickly after the first: before the next area is on the screen
        read_until(b"Your choice: ")
        time.sleep(0.5)  # anything typed ahead would be read by now
        os.write(master, b"q")
        read_until(b"#procurement> ")
        os.write(master, b"\n")
        read_until(b"Chart saved to")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    text = output.decode(errors="replace")
    assert f"Area 2 of {AREAS}" in text and f"Area 3 of {AREAS}" not in text
    with sqlite3.connect(tmp_path / "maturity.db") as db:
        (mine,) = db.execute("select count(*) from answer where user_id = 'U0YOU'").fetchone()
    assert mine == 1


# -- one simulated team per database; --auto says what it will change ----------------------------------------


def test_a_database_keeps_its_team_and_auto_says_what_it_will_change_first(tmp_path):
    first, _ = sandbox(tmp_path, "--auto", "--members", "2", "--seed", "5")
    assert first.returncode == 0, first.stderr
    team_line = next(line for line in first.stdout.splitlines() if line.startswith("Workspace Sandbox"))
    plan = "This will start round 1 in #procurement and set its targets through /maturity targets"
    assert plan in re.sub(r"\s+", " ", first.stdout)
    assert "Targets set through /maturity targets" in first.stdout

    # Without --seed (or --members): the same team, and the plan is said before anything changes.
    second, _ = sandbox(tmp_path, "--auto")
    assert second.returncode == 0, second.stderr
    out = second.stdout
    flat = re.sub(r"\s+", " ", out)
    assert "Seed 5" in out and team_line in out
    assert "This will close round 1 in #procurement and start round 2; targets stay as set." in flat
    assert (
        flat.index("This will close round 1")
        < flat.index("Closed round 1")
        < flat.index("#procurement> /maturity start")
    )
    assert "Targets set through" not in out and "Targets stay as set" in out
    summary = summary_text(out)
    assert "Maturity summary: round 2" in summary and "3 of 3 complete" in summary and "target" in summary
    assert "no change since last round" in re.sub(r"\s+", " ", summary)  # the same people as round 1
    first_round, latest = rounds(tmp_path / "maturity.db")
    assert sorted(first_round["members"]) == sorted(latest["members"])

    # An explicit different seed: said to be a different team, and kept for the next runs.
    third, _ = sandbox(tmp_path, "--auto", "--seed", "6")
    assert third.returncode == 0, third.stderr
    assert "is a different team" in re.sub(r"\s+", " ", third.stdout)
    fourth, _ = sandbox(tmp_path, "--auto")
    assert fourth.returncode == 0, fourth.stderr
    assert "Seed 6" in fourth.stdout and "is a different team" not in re.sub(r"\s+", " ", fourth.stdout)


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
    coloured = render_message(
        "", [{"type": "section", "text": {"type": "mrkdwn", "text": "*x*"}}], style=Style(color=True)
    )
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
        posted = client.chat_postMessage(
            channel="U1", text="hi", metadata={"event_type": "e", "event_payload": {"key": "k1"}}
        )
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


# -- the action plan: add an action, its reminder by the clock, Mark done ------------------------------------


def test_an_action_is_added_through_its_form_reminded_by_the_clock_and_marked_done(tmp_path):
    keys = [
        "q",  # stop the walk-through: the facilitator's prompt
        "/maturity action add social value",
        "",  # Area: Enter keeps the one the words named
        "Publish a social value policy",  # What will be done
        "",  # Owner: Enter keeps you
        "+10",  # Due: 10 days from today
        "3",  # Level it aims for: Mature
        "clock +7",  # the clock ticks 7 days on: the action is due in 3 days
        "d",  # [d] Mark done, on the reminder
        "/maturity actions",
        "",  # finish: the teammates complete, the summary is posted
    ]
    run, _ = sandbox(tmp_path, "--members", "2", "--seed", "4", "--delay", "0", stdin="\n".join(keys) + "\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "clock +N ticks the bot's clock" in out  # the facilitator's help names the command
    form = out[out.index("#procurement> /maturity action add social value") : out.index("(form submitted)")]
    assert "Add an action" in form and "Area (Enter keeps Obtaining Social Value" in form
    assert "Owner (Enter keeps @you" in form and "Due (YYYY-MM-DD or +N days" in form
    assert "Action added to #procurement's plan: Obtaining Social Value, owner @you" in out

    added = out[out.index("(form submitted)") : out.index("#procurement> clock +7")]
    assert "── Direct message from maturity-bot" in added
    assert "You added an action you own:" in added and "Publish a social value policy" in added
    assert "[d] Mark done  [e] Change date  [o] Hand over" in added

    ticked = out[out.index("#procurement> clock +7") : out.index("#procurement> d")]
    assert "the clock ticks" in ticked and "(today + 7 days)" in ticked
    reminder = ticked[ticked.index("Reminder: this action is due in 3 days.") :]
    assert "Publish a social value policy" in reminder and "[d] Mark done" in reminder

    done = out[out.index("#procurement> d") : out.index("#procurement> /maturity actions")]
    assert "(you press “Mark done”)" in done and "Done, marked by @you:" in done and "[d]" not in done
    listed = out[out.index("#procurement> /maturity actions") :]
    assert "No open actions in #procurement" in listed
    assert "Maturity summary: round 1" in listed  # the run still ends with the summary

    with sqlite3.connect(tmp_path / "maturity.db") as db:
        [(area, owner, status, due, created, aim)] = db.execute(
            "select area_id, owner_id, status, due_on, created_at, aim_level from action_item"
        ).fetchall()
        audited = [a for (a,) in db.execute("select action from audit_entry order by id") if a.startswith("action")]
    assert (area, owner, status, aim) == ("obtaining-social-value", "U0YOU", "done", 3)
    assert (date.fromisoformat(due) - date.fromisoformat(created[:10])).days == 10
    assert audited == ["action added", "action done"]
