"""Facilitators (starter, admins, MATURITY_FACILITATORS, per-channel extras), the audit trail in status,
and the CSV exports uploaded to the facilitator's direct message."""

from __future__ import annotations

import csv
import io

from tests.walk import dm

LEADERSHIP = "engaging-councillors-and-senior-managers"


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_workspace_admins_and_configured_ids_facilitate(make_bot, slack, team_round_factory):
    slack.add_user("T1", "UADMIN", name="admin", is_admin=True)
    workspace = make_bot(maturity_facilitators="U3")
    team_round_factory(workspace)
    for user_id in ("UADMIN", "U3"):
        workspace.command(user_id, "remind", channel_id="C4")
        assert slack.ephemerals[-1]["text"].startswith("Reminded")
    workspace.command("U2", "remind", channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, only the round's facilitators")


def test_extra_facilitators_are_added_and_removed_by_facilitators_only(workspace, slack, team):
    workspace.command("U2", "facilitators add <@U3|carol>", channel_id="C4")
    assert "only this channel's facilitators" in slack.ephemerals[-1]["text"]
    assert workspace.services.stores.facilitators.facilitators("T1", "C4") == []
    workspace.command("U1", "facilitators add <@U3|carol> <@U4>", channel_id="C4")
    assert "Extra facilitators in this channel: <@U3>, <@U4>." in slack.ephemerals[-1]["text"]
    workspace.command("U3", "summary", channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Summary posted.")
    workspace.command("U3", "facilitators remove <@U4>", channel_id="C4")
    workspace.command("U4", "close", channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, only the round's facilitators")
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is not None


def test_status_shows_facilitator_actions_to_facilitators(workspace, slack, team):
    workspace.command("U1", "facilitators add <@U3>", channel_id="C4")
    workspace.command("U1", "remind", channel_id="C4")
    workspace.command("U1", "status", channel_id="C4")
    shown = slack.ephemerals[-1]["text"]
    assert "*Facilitator actions* (newest first):" in shown
    lines = [line for line in shown.splitlines() if line.startswith("• ")]
    assert "<@U1> remind: 4 reminded" in lines[0]
    assert "<@U1> facilitators add: <@U3>" in lines[1]
    assert "<@U1> start: anonymous" in lines[2]
    workspace.command("U2", "status", channel_id="C4")
    assert "Facilitator actions" not in slack.ephemerals[-1]["text"]


def test_export_sends_pseudonymous_answers_and_the_summary_to_the_facilitators_dm(
    workspace, slack, team_round_factory, nps, monkeypatch
):
    # The round numbers its members at random; here U1..U4 draw 1..4, to read the file by position.
    monkeypatch.setattr("storage.rounds.pseudonym_numbers", lambda count: list(range(1, count + 1)))
    team = team_round_factory(workspace)
    stores = workspace.services.stores
    comment = 'He said "no", then left,\nnew line £5 🙂'
    for user_id, level in zip(["U1", "U2", "U3", "U4"], [1, 2, 4, 5]):
        stores.answers.record_answer(round_=team, user_id=user_id, area_id=LEADERSHIP, level=level)
    stores.answers.record_answer(round_=team, user_id="U3", area_id=LEADERSHIP, comment=comment, set_comment=True)
    workspace.command("U1", "export", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "The CSV files are in our direct messages."
    files = {f.name: f for f in slack.files}
    assert set(files) == {
        "maturity-answers-procurement-team-round-1.csv",
        "maturity-summary-procurement-team-round-1.csv",
        "maturity-actions-procurement-team-round-1.csv",
    }
    assert {f.channel_id for f in files.values()} == {dm(slack, "U1")}
    answers = rows(files["maturity-answers-procurement-team-round-1.csv"].content)
    assert answers[0][:7] == ["round", "framework id", "framework version", "area id", "area title", "theme", "member"]
    assert [(r[6], r[7], r[8]) for r in answers[1:]] == [
        ("Member 1", "1", "Minimum"),
        ("Member 2", "2", "Developing"),
        ("Member 3", "4", "Leader"),
        ("Member 4", "5", "Innovator"),
    ]
    assert answers[3][9] == comment and answers[3][10] == ""  # an anonymous round: no time of answering
    assert "U3" not in files["maturity-answers-procurement-team-round-1.csv"].content.decode("utf-8-sig")
    summary = rows(files["maturity-summary-procurement-team-round-1.csv"].content)
    assert len(summary) == 14
    leadership = dict(zip(summary[0], summary[1]))
    assert (leadership["team level name"], leadership["spread"], leadership["views differ"]) == (
        "Developing",
        "4",
        "yes",
    )
    # Only facilitators may export.
    workspace.command("U2", "export", channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, only the round's facilitators")
    assert len(slack.files) == 3


def test_a_named_round_exports_names_and_an_earlier_round_by_number(workspace, slack):
    slack.add_channel("T1", "C4", name="procurement-team", members=["U1", "U2"])
    workspace.command("U1", "start named", channel_id="C4")
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C4")
    assert round_.anonymous is False
    workspace.services.stores.answers.record_answer(round_=round_, user_id="U2", area_id=LEADERSHIP, level=3)
    workspace.command("U1", "close", channel_id="C4")
    workspace.command("U1", "start", channel_id="C4")
    workspace.command("U1", "export round 1", channel_id="C4")
    answers = rows(next(f for f in slack.files if f.name.startswith("maturity-answers")).content)
    assert [(r[0], r[6], r[7]) for r in answers[1:]] == [("1", "Bob", "3")]
    workspace.command("U1", "export round 7", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "This channel has no round 7."
