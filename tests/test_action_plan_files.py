"""The action plan in the files a facilitator and an operator take away: the actions CSV beside the round's
export (owners named in every round, nobody's answers), the command line's FILE-actions.csv, and the leaders'
report's "Action plan" page with, for a round after the first, what became of the previous round's actions
beside each area's trend. Through the real App and the simulated Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from bot import values
from bot.__main__ import main
from results.csv_files import ACTIONS_HEADER
from results.report import round_report_pdf
from storage.models import utcnow
from tests.conftest import POSTGRES_URL, SCHEMAS
from tests.test_action_plan import SOCIAL_VALUE, add, items, owner_messages

LEADERSHIP = "engaging-councillors-and-senior-managers"
SECRET = "a comment only its author should be known by"


def rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def answer_all(workspace, level: int, comment: str | None = None) -> None:
    """U1 to U3 (C1's members) answer both areas at `level`, enough for their figures to show."""
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    for user_id in ("U1", "U2", "U3"):
        for area_id in (SOCIAL_VALUE, LEADERSHIP):
            workspace.services.stores.answers.record_answer(
                round_=round_, user_id=user_id, area_id=area_id, level=level, comment=comment, set_comment=bool(comment)
            )


def report_of(workspace, slack, number: int) -> bytes:
    workspace.command("U1", "report")
    [report] = [f for f in slack.files if f.name == f"maturity-report-round-{number}.pdf"]
    return report.content


def test_the_export_delivers_the_channels_actions_with_owners_named_and_no_answers(workspace, slack):
    workspace.command("U1", "start")  # anonymous
    answer_all(workspace, 2, comment=SECRET)
    due = utcnow().date() + timedelta(days=30)
    add(workspace, slack, text="Publish a social value policy", owner="U2", due=due, aim="3")
    add(workspace, slack, area=LEADERSHIP, text="=Brief the cabinet", owner="U3", due=due + timedelta(days=5))
    told = owner_messages(slack, "U3")[-1]
    workspace.click("U3", told, values.ACTION_DONE)

    workspace.command("U1", "export")
    assert slack.ephemerals[-1]["text"] == "The CSV files are in our direct messages."
    files = {f.name: f for f in slack.files}
    assert set(files) == {
        "maturity-answers-procurement-round-1.csv",
        "maturity-summary-procurement-round-1.csv",
        "maturity-actions-procurement-round-1.csv",
    }
    assert len({f.channel_id for f in files.values()}) == 1  # one message in the facilitator's DM
    content = files["maturity-actions-procurement-round-1.csv"].content
    assert next(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == ACTIONS_HEADER
    assert content.decode("utf-8-sig").count('"') % 2 == 0 and content.decode("utf-8-sig").startswith('"area id"')
    policy, brief = rows(content)  # soonest due first
    today = utcnow().date().isoformat()
    assert policy == {
        "area id": SOCIAL_VALUE,
        "area title": workspace.services.framework.area(SOCIAL_VALUE).title,
        "action": "Publish a social value policy",
        "owner": "U2",
        "owner name": "Bob",  # named in an anonymous round: owning an action is not an answer
        "due": due.isoformat(),
        "aims for level number": "3",
        "aims for level name": workspace.services.framework.level(3).name,
        "status": "open",
        "done on": "",
        "added by": "U1",
        "added on": today,
        "round": "1",
    }
    assert (brief["action"], brief["owner"], brief["owner name"]) == ("'=Brief the cabinet", "U3", "Carol")
    assert (brief["status"], brief["done on"]) == ("done", today)
    assert SECRET not in content.decode("utf-8-sig")  # nobody's answers
    # The answers stay pseudonymous in the same export.
    assert "U2" not in files["maturity-answers-procurement-round-1.csv"].content.decode("utf-8-sig")


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `python -m bot ARGS` in-process against the test's own database, without Slack credentials."""

    def run(engine, *args: str) -> int:
        for name in list(os.environ):
            if name.startswith(("SLACK_", "MATURITY_", "DATABASE_URL")):
                monkeypatch.delenv(name)
        if engine.url.get_backend_name() == "sqlite":
            url = engine.url.render_as_string(hide_password=False)
        else:
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMAS[engine]}"
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.chdir(tmp_path)
        return main(list(args))

    return run


def test_the_command_line_export_writes_the_actions_csv(workspace, slack, cli, tmp_path, capsys):
    workspace.command("U1", "start named")
    due = utcnow().date() + timedelta(days=10)
    add(workspace, slack, text="Publish a social value policy", owner="U2", due=due)
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    out = tmp_path / "round.csv"
    assert cli(workspace.services.engine, "export", "--round", str(round_.id), "--out", str(out)) == 0
    actions_out = tmp_path / "round-actions.csv"
    assert f"Actions CSV: {actions_out}" in capsys.readouterr().out
    assert out.exists() and (tmp_path / "round-summary.csv").exists()
    [row] = rows(actions_out.read_bytes())
    # No Slack here: the owner is their user id only.
    assert (row["action"], row["owner"], row["owner name"], row["due"], row["round"]) == (
        "Publish a social value policy",
        "U2",
        "",
        due.isoformat(),
        "1",
    )


def test_the_report_has_an_action_plan_page(workspace, slack):
    workspace.command("U1", "start")
    answer_all(workspace, 2)
    due = utcnow().date() + timedelta(days=30)
    add(workspace, slack, text="Publish a social value policy", owner="U2", due=due)
    text = pdf_text(report_of(workspace, slack, 1))
    plan = text[text.index("Action plan The channel's actions") :]
    table = plan.split("has passed.")[-1]
    assert re.search(rf"Publish a social value policy .*Bob {due.isoformat()} open", table), table
    assert "overdue" not in table
    assert "the action plan names each action's owner" in text  # how to read this report
    assert "What became of round" not in text  # the channel's first round

    # The day after it was due, the action is marked overdue in words (not by colour alone).
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    late = round_report_pdf(
        workspace.services.framework,
        round_,
        workspace.services.results.compute(round_, publish=False),
        round_number=1,
        channel_label="#procurement",
        min_group=3,
        actions=items(workspace),
        today=due + timedelta(days=1),
    )
    table = pdf_text(late).split("has passed.")[-1]
    assert re.search(rf"Publish a social value policy .*U2 {due.isoformat()} open overdue", table), table


def test_the_second_rounds_report_says_what_became_of_the_first_rounds_actions(workspace, slack):
    workspace.command("U1", "start")
    answer_all(workspace, 2)
    due = utcnow().date() + timedelta(days=30)
    add(workspace, slack, text="Publish a social value policy", owner="U2", due=due)
    add(workspace, slack, text="Train buyers in social value", owner="U3", due=due + timedelta(days=1))
    add(workspace, slack, area=LEADERSHIP, text="Brief the cabinet", owner="U3", due=due + timedelta(days=2))
    workspace.command("U1", "close")
    workspace.command("U1", "start")
    answer_all(workspace, 3)
    [told] = owner_messages(slack, "U2")
    workspace.click("U2", told, values.ACTION_DONE)  # one of round 1's actions is done
    add(workspace, slack, text="Measure social value", owner="U1", due=due + timedelta(days=3))
    agreed = {item.text: item.round_id for item in items(workspace)}
    rounds = workspace.services.stores.rounds
    first, second = rounds.by_number("T1", "C1", 1), rounds.by_number("T1", "C1", 2)
    assert agreed["Publish a social value policy"] == first.id and agreed["Measure social value"] == second.id

    text = pdf_text(report_of(workspace, slack, 2))
    assert "Measure social value" in text and "Publish a social value policy" in text
    follow_up = text[text.index("What became of round 1's actions") :]
    assert "Of the 3 actions agreed in round 1, 1 was completed and 2 are still open." in follow_up
    framework = workspace.services.framework
    social, leadership = framework.area(SOCIAL_VALUE).title, framework.area(LEADERSHIP).title
    # Area, completed, still open, trend (the team level moved from 2 to 3 in both).
    assert re.search(rf"{re.escape(' '.join(social.split()))} 1 of 2 1 moved up 1", follow_up), follow_up
    assert re.search(rf"{re.escape(' '.join(leadership.split()))} 0 of 1 1 moved up 1", follow_up), follow_up
    assert "Measure social value" not in follow_up  # round 2's own action is not round 1's
