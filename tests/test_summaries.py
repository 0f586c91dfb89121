"""Team summaries in the channel: the numbers, anonymity, the chart, permissions, targets, closing and the
second round's trend. Requests go through the real App; Slack is the fake at the HTTP boundary."""

from __future__ import annotations

import json

import pytest

from bot import values
from framework.models import Framework
from tests.harness import buttons, text_of
from tests.walk import open_prompt, parent, thread

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEAM = ["U1", "U2", "U3", "U4"]
LEADERSHIP = "engaging-councillors-and-senior-managers"
PARTNERS = "working-with-partners"
SUPPLIERS = "engaging-strategic-suppliers"


def answer(workspace, round_, user_id, area_id, level):
    workspace.services.stores.answers.record_answer(round_=round_, user_id=user_id, area_id=area_id, level=level)


def summaries_in(slack, channel="C4"):
    return [
        m for m in slack.top_level(channel, team_id="T1") if m.text.startswith(("Maturity summary", "Final summary"))
    ]


def test_summary_shows_the_team_level_distribution_gap_and_disagreement(workspace, slack, team):
    for user_id, level in zip(TEAM, [1, 2, 4, 5]):
        answer(workspace, team, user_id, LEADERSHIP, level)
    for user_id, level in zip(TEAM, [3, 3, 4, 3]):
        answer(workspace, team, user_id, PARTNERS, level)
    for user_id, level in zip(TEAM[:2], [5, 5]):
        answer(workspace, team, user_id, SUPPLIERS, level)
    workspace.services.stores.targets.replace("T1", "C4", "nps-2018-draft", {LEADERSHIP: 4, PARTNERS: 3}, "U1")

    workspace.command("U1", "summary", channel_id="C4")

    [posted] = summaries_in(slack)
    shown = text_of(posted)
    assert "Maturity summary: round 1" in shown
    assert "*Participation* ▱▱▱▱▱▱▱▱▱▱▱▱▱ *0 of 4* complete · 4 in progress · 0 not started" in shown
    assert (
        "*Engaging Councillors and Senior Managers*\nTeam level *2 · Developing*  ·  target 4 · Leader, gap 2\n"
        "Answers: Minimum 1 · Developing 1 · Mature 0 · Leader 1 · Innovator 1  ·  :warning: *views differ: discuss* (spread 4 levels)"
    ) in shown
    assert (
        "*Working with Partners*\nTeam level *3 · Mature*  ·  target 3 · Mature, target met\n"
        "Answers: Minimum 0 · Developing 0 · Mature 3 · Leader 1 · Innovator 0"
    ) in shown
    assert (
        "*Working with Partners*\nTeam level *3 · Mature*  ·  target 3 · Mature, target met\nAnswers: Minimum 0 · Developing 0 · Mature 3 · Leader 1 · Innovator 0  ·  :warning:"
        not in shown
    )
    # Two answers are below the anonymity threshold: no level, no distribution.
    assert "*Engaging Strategic Suppliers*\n_too few answers yet_ (2 of 3 needed)" in shown
    assert "*Showing leadership*  ·  team level 2 · Developing" in shown  # lower median of 2 and 3
    assert "<@" not in json.dumps(posted.blocks)  # nobody is named in the channel
    assert len(posted.blocks) <= 50


def test_the_chart_is_uploaded_as_a_png_into_the_summary_thread(workspace, slack, team):
    for user_id, level in zip(TEAM, [2, 3, 3, 4]):
        answer(workspace, team, user_id, PARTNERS, level)
    workspace.command("U1", "summary", channel_id="C4")
    [posted] = summaries_in(slack)
    [chart] = slack.files
    assert chart.content.startswith(PNG_SIGNATURE) and chart.name.endswith(".png")
    assert (chart.channel_id, chart.thread_ts) == ("C4", posted.ts)
    # A screen reader hears what the chart shows: the levels per theme, in words.
    assert chart.alt_txt.startswith("Overall team level: Mature (3).")
    assert "Showing leadership: team level Mature (3)." in chart.alt_txt
    assert slack.calls_to("files.getUploadURLExternal") and slack.calls_to("files.completeUploadExternal")
    assert not slack.calls_to("files.upload")


def test_unfinished_names_go_only_to_the_facilitator(workspace, slack, team, nps):
    for area_id in nps.area_ids:
        answer(workspace, team, "U2", area_id, 3)
    workspace.services.stores.answers.touch(
        workspace.services.stores.answers.participant("T1", team.id, "U2").id, completed=True
    )
    workspace.command("U1", "summary", channel_id="C4")
    told = slack.ephemerals[-1]
    assert told["user"] == "U1"
    assert "Still to finish (only you see this): <@U1>, <@U3>, <@U4>" in told["text"]
    assert "<@U3>" not in json.dumps([m.blocks for m in slack.top_level("C4", team_id="T1")])


@pytest.mark.parametrize("subcommand", ["summary", "close", "remind", "targets", "schedule daily 09:00"])
def test_facilitator_commands_refuse_everyone_else(workspace, slack, team, subcommand):
    before = len(slack.top_level("C4", team_id="T1"))
    workspace.command("U2", subcommand, channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, only the round's facilitators can do that")
    assert len(slack.top_level("C4", team_id="T1")) == before
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is not None
    assert workspace.services.stores.schedules.schedule("T1", "C4") is None
    assert not slack.views and not slack.files


def test_close_posts_the_final_summary_and_later_clicks_change_nothing(workspace, slack, team):
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    prompt = open_prompt(slack, "U2")
    workspace.command("U1", "close", channel_id="C4")
    [final] = summaries_in(slack)
    assert text_of(final).startswith("Final summary: round 1")
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is None
    workspace.click("U2", prompt, values.answer_action_id(3))
    assert slack.ephemerals[-1]["text"] == "This round is closed, so its answers can no longer be changed."
    assert workspace.services.stores.answers.answers("T1", team.id) == []
    workspace.command("U1", "close", channel_id="C4")
    assert len(summaries_in(slack)) == 1


def test_targets_are_set_in_a_modal_and_carry_over_to_the_next_round(workspace, slack, team, nps):
    workspace.command("U1", "targets", channel_id="C4")
    modal = slack.views[-1]
    selects = [b for b in modal.view["blocks"] if b["type"] == "input"]
    assert len(selects) == 13 and [b["label"]["text"] for b in selects] == [a.title for a in nps.areas]
    state = {
        f"target:{LEADERSHIP}": {"target_level": {"type": "static_select", "selected_option": {"value": "4"}}},
        f"target:{PARTNERS}": {"target_level": {"type": "static_select", "selected_option": {"value": "3"}}},
        f"target:{SUPPLIERS}": {
            "target_level": {"type": "static_select", "selected_option": {"value": "9"}}
        },  # tampered
    }
    assert workspace.submit_view("U1", modal.view, state).status == 200
    assert workspace.services.stores.targets.for_channel("T1", "C4", nps.id) == {LEADERSHIP: 4, PARTNERS: 3}
    assert slack.ephemerals[-1]["text"] == "Targets saved: 2 of 13 areas have one."
    # Someone else submitting the same form changes nothing.
    workspace.submit_view(
        "U3",
        modal.view,
        {f"target:{LEADERSHIP}": {"target_level": {"type": "static_select", "selected_option": {"value": "1"}}}},
    )
    assert workspace.services.stores.targets.for_channel("T1", "C4", nps.id) == {LEADERSHIP: 4, PARTNERS: 3}
    # The next round starts with the same targets, preselected.
    workspace.command("U1", "close", channel_id="C4")
    workspace.command("U1", "start", channel_id="C4")
    workspace.command("U1", "targets", channel_id="C4")
    reopened = {
        b["block_id"]: b["element"].get("initial_option", {}).get("value")
        for b in slack.views[-1].view["blocks"]
        if b["type"] == "input"
    }
    assert (
        reopened[f"target:{LEADERSHIP}"] == "4"
        and reopened[f"target:{PARTNERS}"] == "3"
        and reopened[f"target:{SUPPLIERS}"] is None
    )


def test_the_second_round_shows_the_trend_since_the_first(workspace, slack, team):
    for user_id, level in zip(TEAM, [2, 2, 3, 3]):
        answer(workspace, team, user_id, PARTNERS, level)
    workspace.command("U1", "close", channel_id="C4")
    workspace.command("U1", "start", channel_id="C4")
    second = workspace.services.stores.rounds.open_in_channel("T1", "C4")
    assert second.id != team.id
    for user_id, level in zip(TEAM, [3, 4, 4, 4]):
        answer(workspace, second, user_id, PARTNERS, level)
    workspace.command("U1", "summary", channel_id="C4")
    latest = summaries_in(slack)[-1]
    assert "Maturity summary: round 2" in text_of(latest)
    assert "*Working with Partners*\nTeam level *4 · Leader*  ·  :arrow_up: up 2 since last round" in text_of(latest)
    # The second round's members got a fresh walk-through: a second parent message in their DM.
    assert len(slack.top_level("DU2", team_id="T1")) == 2


def test_remind_nudges_unfinished_members_who_can_stop_it(workspace, slack, team, nps):
    for area_id in nps.area_ids:
        answer(workspace, team, "U4", area_id, 2)
    workspace.services.stores.answers.touch(
        workspace.services.stores.answers.participant("T1", team.id, "U4").id, completed=True
    )
    workspace.command("U1", "remind", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "Reminded 3 members who have not finished."
    reminder = thread(slack, "U2")[-1]
    assert reminder.text.startswith("Reminder: 13 of 13 areas are still waiting")
    assert buttons(reminder) == ["Continue", "Stop reminders for this round"]
    assert not [m for m in slack.messages("DU4", team_id="T1") if m.text.startswith("Reminder")]
    workspace.click("U2", reminder, values.STOP_REMINDERS)
    assert slack.ephemerals[-1]["text"] == "Done: no more reminders for this round."
    workspace.command("U1", "remind", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "Reminded 2 members who have not finished."
    assert len([m for m in thread(slack, "U2") if m.text.startswith("Reminder")]) == 1


def test_a_long_framework_continues_its_summary_in_the_thread(make_bot, slack, small_framework):
    data = small_framework.model_dump()
    area = data["themes"][0]["areas"][0]
    data["themes"] = [
        {
            "id": f"theme-{t}",
            "title": f"Theme {t}",
            "kind": "theme",
            "areas": [{**area, "id": f"area-{t}-{a}", "title": f"Area {t}.{a}"} for a in range(10)],
        }
        for t in range(6)
    ]
    big = Framework.model_validate(data)
    workspace = make_bot(big)
    workspace.command("U1", "start")
    workspace.command("U1", "summary")
    [first] = summaries_in(slack, "C1")
    continued = [m for m in slack.replies("C1", first.ts, team_id="T1") if m.text.endswith("(continued)")]
    assert len(first.blocks) == 50 and continued and all(len(m.blocks) <= 50 for m in continued)
    shown = "\n".join(text_of(m) for m in [first, *continued])
    assert all(f"*Area {t}.{a}*" in shown for t in range(6) for a in range(10))


def test_report_uploads_a_pdf_into_the_summary_thread(workspace, slack, team):
    for user_id, level in zip(TEAM, [2, 3, 3, 4]):
        answer(workspace, team, user_id, PARTNERS, level)
    workspace.command("U1", "summary", channel_id="C4")
    [posted] = summaries_in(slack)
    workspace.command("U1", "report", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "The report (PDF) is in the summary's thread."
    [pdf] = [f for f in slack.files if f.name.endswith(".pdf")]
    assert pdf.content.startswith(b"%PDF") and (pdf.channel_id, pdf.thread_ts) == ("C4", posted.ts)
    import io

    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Working with Partners" in text and "U2" not in text
    workspace.command("U2", "report", channel_id="C4")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, only the round's facilitators")
