"""Data a council can defend (UK GDPR): retention deletes a closed round's individual answers when it is old
enough, a member can have the bot forget them (`/maturity forget me`, or the operator's `python -m bot
erase`), and neither changes anything a closed round showed. Through the real App and the simulated Slack,
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from bot import values
from bot.clock import Clock
from simulated_slack.workspaces import Message
from storage.kinds import ClaimKind
from storage.models import (
    Answer,
    AnswerChange,
    AuditEntry,
    Participant,
    Prompt,
    PublishedView,
    Reminder,
    ScheduledRun,
    utcnow,
)
from tests.harness import text_of

PARTNERS = "working-with-partners"
RISK = "managing-risk-and-ensuring-resilience"  # a second area, answered by fewer people


def answer(workspace, round_, user_id, level, area_id=PARTNERS, comment=None):
    workspace.services.stores.answers.record_answer(
        round_=round_, user_id=user_id, area_id=area_id, level=level, comment=comment, set_comment=comment is not None
    )


def rows(engine, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def _claims(engine):
    with engine.connect() as conn:
        return conn.execute(select(ScheduledRun).where(ScheduledRun.kind == ClaimKind.REMINDER)).all()


def figures(services, round_):
    """Everything a closed round shows: participation and, per area, its figures and what they held back."""
    round_ = services.stores.rounds.get(round_.team_id, round_.id)
    summary = services.results.compute(round_)
    areas = {
        a.area_id: (a.answers, a.team_level, a.spread, a.counts, a.held_back, a.held_by, a.received)
        for a in summary.areas
        if a.answers or a.held_back
    }
    return summary.participation, areas, summary.overall


def summary_csv(services, round_) -> list[dict]:
    round_ = services.stores.rounds.get(round_.team_id, round_.id)
    [_, (_, data)] = services.results.export_files(round_, "procurement-team")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def closed_round(workspace, team):
    """Round 1 in C4: four members answer (U2 with a comment), a summary is posted, the round closes."""
    for user_id, level in zip(["U1", "U2", "U3", "U4"], [2, 3, 3, 4]):
        answer(workspace, team, user_id, level, comment="we share a buyer" if user_id == "U2" else None)
    for user_id, level in zip(["U1", "U2", "U3"], [1, 2, 2]):
        answer(workspace, team, user_id, level, area_id=RISK)
    workspace.command("U1", "summary", channel_id="C4")
    answer(workspace, team, "U2", 5, area_id=RISK)  # a change after the summary: held back
    workspace.command("U1", "close", channel_id="C4")
    return workspace.services.stores.rounds.get("T1", team.id)


def confirmation(workspace, user_id="U2"):
    reply = workspace.command(user_id, "forget me", channel_id="C4")
    body = reply.json
    return body, Message(channel="C4", ts="1700000000.000100", user="UBOT", text=body["text"], blocks=body["blocks"])


# -- erasure -------------------------------------------------------------------------------------------------


def test_forget_me_asks_first_and_cancel_deletes_nothing(workspace, slack, team):
    engine = workspace.services.engine
    answer(workspace, team, "U2", 3)
    body, message = confirmation(workspace)
    asked = text_of(message)
    assert "Forget me?" in asked and "cannot be undone" in asked and "What stays" in asked
    assert rows(engine, Answer, user_id="U2") == 1  # asking deleted nothing
    workspace.click("U2", message, values.FORGET_CANCEL)
    assert slack.responses[-1]["text"] == "Nothing was deleted."
    assert rows(engine, Answer, user_id="U2") == 1
    assert workspace.services.stores.records.erasures("T1") == []


def test_forget_needs_the_word_me(workspace, team):
    body = workspace.command("U2", "forget U3", channel_id="C4").json
    assert "To delete your own answers, type `/maturity forget me`" in body["text"] + str(body["blocks"])
    assert rows(workspace.services.engine, Answer) == 0


def test_forget_me_deletes_the_members_answers_everywhere_and_no_shown_figure_changes(workspace, slack, team):
    services, engine = workspace.services, workspace.services.engine
    first = closed_round(workspace, team)
    closed_before, csv_before = figures(services, first), summary_csv(services, first)
    workspace.command("U1", "start", channel_id="C4")
    second = services.stores.rounds.open_in_channel("T1", "C4")
    for user_id, level in zip(["U1", "U2", "U3"], [4, 4, 2]):
        answer(workspace, second, user_id, level, comment="only my view" if user_id == "U2" else None)
    workspace.command("U1", "summary", channel_id="C4")
    open_before = figures(services, second)[1]
    assert rows(engine, Answer, user_id="U2") == 3 and rows(engine, Participant, user_id="U2") == 2

    # A day's reminder of U2 and of U3 were claimed (the clock's record that nobody is nudged twice a day).
    for user_id in ("U2", "U3"):
        services.stores.schedules.claim("T1", ClaimKind.REMINDER, f"{second.id}:{user_id}", utcnow())
    _, message = confirmation(workspace)
    workspace.click("U2", message, values.FORGET_ME)

    assert [row.key for row in _claims(engine)] == [f"{second.id}:U3"]
    told = slack.responses[-1]["text"]
    assert told.startswith("Done: I deleted 3 answers (2 with comments) from 2 rounds"), told
    for model in (Answer, AnswerChange, Prompt, Participant, Reminder):
        assert rows(engine, model, user_id="U2") == 0, model.__name__
    with engine.connect() as conn:
        assert not [levels for (levels,) in conn.execute(select(PublishedView.levels)) if "U2" in levels]
    # Others keep their answers; the closed round shows exactly what it showed, in the summary and its CSV.
    assert rows(engine, Answer, user_id="U1") == 3
    assert figures(services, first) == closed_before
    assert summary_csv(services, first) == csv_before
    # The open round repeats the figures already shown (they included U2's answer: no answer is newer, so
    # none is held back) and moves only when three people's answers differ from them. U2's departure counts
    # as one, and a new name may be U2 taking part again, so it pairs with the departure and counts once.
    assert figures(services, second)[1][PARTNERS][:4] == open_before[PARTNERS][:4]
    assert figures(services, second)[1][PARTNERS][4] == 0
    answer(workspace, second, "U4", 1)
    answer(workspace, second, "U3", 5)
    held = figures(services, second)[1][PARTNERS]
    assert held[:2] == (3, 4) and held[4:6] == (2, "differencing")  # still as of the 3 answers shown
    services.stores.answers.add_participant(second, "U5")
    answer(workspace, second, "U5", 2)
    moved = figures(services, second)[1][PARTNERS]
    assert moved[3] == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1} and moved[4] == 0  # U1 4, U3 5, U4 1, U5 2
    # The audit log says who asked and how much went, never what the answers were.
    [entry] = services.stores.records.erasures("T1")
    assert (entry.user_id, entry.action) == ("U2", "erasure")
    assert entry.detail == "member U2: 3 answers (2 with comments) in 2 rounds"
    with engine.connect() as conn:
        audit = " ".join(str(v) for row in conn.execute(select(AuditEntry)) for v in row)
    assert "only my view" not in audit and "we share a buyer" not in audit


def test_a_forgotten_member_who_clicks_an_old_prompt_changes_nothing(workspace, slack, team):
    from tests.test_walkthrough import open_prompt, parent

    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    prompt = open_prompt(slack, "U2")
    _, message = confirmation(workspace)
    workspace.click("U2", message, values.FORGET_ME)
    workspace.click("U2", prompt, values.answer_action_id(3))
    assert "Nothing was changed" in slack.ephemerals[-1]["text"]
    assert rows(workspace.services.engine, Answer, user_id="U2") == 0


def test_the_operator_erases_a_member_from_the_command_line(workspace, team, tmp_path, monkeypatch, capsys):
    from bot.__main__ import main
    from tests.conftest import POSTGRES_URL, SCHEMAS

    engine = workspace.services.engine
    if engine in SCHEMAS:  # the test's own PostgreSQL schema, named to the command line by libpq's options
        monkeypatch.setenv("DATABASE_URL", f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMAS[engine]}")
    else:
        monkeypatch.setenv("DATABASE_URL", str(engine.url))
    monkeypatch.chdir(tmp_path)
    closed_round(workspace, team)
    before = figures(workspace.services, team)

    assert main(["erase", "--user", "not-a-user"]) == 1
    assert "is not a Slack user id" in capsys.readouterr().err
    assert rows(workspace.services.engine, Answer, user_id="U3") == 2

    assert main(["erase", "--user", "U3", "--workspace", "T1"]) == 0
    out = capsys.readouterr().out
    assert "Erased U3 in workspace T1: 2 answers (0 with comments) in 1 round." in out
    assert rows(workspace.services.engine, Answer, user_id="U3") == 0
    assert figures(workspace.services, team) == before
    [entry] = workspace.services.stores.records.erasures("T1")
    assert (entry.user_id, entry.detail) == ("operator", "member U3: 2 answers (0 with comments) in 1 round")


# -- retention -----------------------------------------------------------------------------------------------


def test_retention_deletes_old_rounds_answers_by_the_clock_and_keeps_their_figures(make_bot, slack, team_round_factory):
    workspace = make_bot(maturity_retention_days=30)
    services, engine = workspace.services, workspace.services.engine
    first = closed_round(workspace, team_round_factory(workspace))
    before, csv_before = figures(services, first), summary_csv(services, first)
    workspace.command("U1", "start", channel_id="C4")
    second = services.stores.rounds.open_in_channel("T1", "C4")
    answer(workspace, second, "U1", 3)
    for days, left in ((29, 7), (31, 0)):  # 29 days after closing: kept; 31: deleted
        Clock(services, lambda team_id: None, now=lambda days=days: utcnow() + timedelta(days=days)).tick()
        assert rows(engine, Answer, round_id=first.id) == left
    for model in (AnswerChange, Prompt, Participant, Reminder, PublishedView):
        assert rows(engine, model, round_id=first.id) == 0, model.__name__
    record = services.stores.records.final("T1", first.id)
    assert record is not None and record.answers_deleted_at is not None
    # The round shows what it showed; the open round is untouched.
    assert figures(services, first) == before
    assert summary_csv(services, first) == csv_before
    assert rows(engine, Answer, round_id=second.id) == 1 and rows(engine, Participant, round_id=second.id) == 4
    # The trend of the next round still compares with the old round's figures.
    assert services.results.compute(second).by_area[PARTNERS].previous_level == before[1][PARTNERS][1]


def test_retention_is_off_unless_set(workspace, team):
    first = closed_round(workspace, team)
    Clock(workspace.services, lambda team_id: None, now=lambda: utcnow() + timedelta(days=3650)).tick()
    assert rows(workspace.services.engine, Answer, round_id=first.id) == 7
    assert workspace.services.stores.records.final("T1", first.id) is None


def test_a_report_after_retention_is_the_report_before(make_bot, slack, team_round_factory):
    from pypdf import PdfReader

    workspace = make_bot(maturity_retention_days=1)
    services = workspace.services
    first = closed_round(workspace, team_round_factory(workspace))

    def report_text():
        round_ = services.stores.rounds.get("T1", first.id)
        _, pdf = services.results.report_pdf(round_, "#procurement-team")
        return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]

    before = report_text()
    assert services.data_protection.apply_retention(utcnow() + timedelta(days=2)) == 1
    assert rows(services.engine, Answer, round_id=first.id) == 0
    assert report_text() == before
    assert services.data_protection.apply_retention(utcnow() + timedelta(days=3)) == 0  # done once
