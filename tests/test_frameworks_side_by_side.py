"""Two frameworks in one deployment: each channel's round runs the framework its facilitator chose, and
everything of that round (prompts, answers, help, summaries, targets, actions, reports, the next round's
default and its trend) follows it. Requests go through the real App; Slack is the fake at the HTTP boundary."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from bot import values
from framework.library import FrameworkLibrary
from framework.loader import load_framework
from tests.conftest import TESTS_DIR
from tests.harness import text_of, wait_for
from tests.walk import answer_all, area_of, open_prompt, parent, prompts

TEAM = "T1"
HEALTH_MEMBERS = ["U4", "U5", "U6"]


@pytest.fixture
def health():
    return load_framework(TESTS_DIR / "data" / "team-health.yaml")


@pytest.fixture
def two(make_bot, slack, nps, health):
    """The bot with the NPS draft (the default) and the team health check; C1 (U1-U3) and C5 (U4-U6)."""
    for user_id, name in zip(HEALTH_MEMBERS, ["erin", "frank", "grace"]):
        slack.add_user(TEAM, user_id, name=name, real_name=name.title())
    slack.add_channel(TEAM, "C5", name="delivery-team", members=HEALTH_MEMBERS)
    return make_bot(FrameworkLibrary(nps, [health]))


def _shown(reply) -> str:
    body = reply.json
    return text_of(SimpleNamespace(blocks=body.get("blocks", []), text=body.get("text", "")))


def _said(slack, user_id: str) -> str:
    return "\n".join(e["text"] for e in slack.ephemerals if e.get("user") == user_id)


def _summary(slack, channel: str):
    [posted] = [m for m in slack.top_level(channel, team_id=TEAM) if m.text.startswith("Maturity summary")]
    return text_of(posted)


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_two_channels_run_two_frameworks_side_by_side(two, slack, nps, health):
    workspace = two
    workspace.command("U1", "start")  # nobody chose: the deployment's default
    workspace.command("U4", "start framework team-health-check", channel_id="C5")
    rounds = workspace.services.stores.rounds
    nps_round, health_round = rounds.open_in_channel(TEAM, "C1"), rounds.open_in_channel(TEAM, "C5")
    assert (nps_round.framework_id, nps_round.area_count) == ("nps-2018-draft", 13)
    assert (health_round.framework_id, health_round.framework_version, health_round.area_count) == (
        "team-health-check",
        "1",
        len(health.areas),
    )
    announced = text_of(slack.top_level("C5", team_id=TEAM)[0])
    assert f"{len(health.areas)} areas* of {health.title}" in announced

    # Each member walks through their round's own areas and levels.
    wait_for(lambda: all(len(slack.top_level(f"D{u}", team_id=TEAM)) == 1 for u in ("U1", "U4")), what="kick-offs")
    workspace.click("U4", parent(slack, "U4"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U4")) == 1, what="U4's first prompt")
    first = open_prompt(slack, "U4")
    shown = text_of(first)
    assert health.areas[0].title in shown and "Goals are unclear or unknown." in shown
    assert not any(area.title in shown for area in nps.areas)
    # A level the NPS has but the health check (three levels) does not is refused politely, nothing stored.
    workspace.click("U4", first, values.answer_action_id(3), value=f"{health_round.id}|{health.areas[0].id}|5")
    wait_for(lambda: "couldn't make sense of that button" in _said(slack, "U4"), what="the refusal")
    assert workspace.services.stores.answers.answers(TEAM, health_round.id, "U4") == []
    # So is an area of the other framework, in a button of this round.
    workspace.click("U4", first, values.answer_action_id(1), value=f"{health_round.id}|{nps.areas[0].id}|1")
    wait_for(lambda: _said(slack, "U4").count("couldn't make sense of that button") == 2, what="the second refusal")
    assert workspace.services.stores.answers.answers(TEAM, health_round.id, "U4") == []

    levels = {area.id: 3 for area in health.areas}
    _answer_rest(workspace, slack, levels)
    for user_id in ("U5", "U6"):
        wait_for(lambda u=user_id: len(slack.top_level(f"D{u}", team_id=TEAM)) == 1, what=f"{user_id}'s kick-off")
        answer_all(workspace, slack, user_id, levels)
    for user_id in ("U1", "U2", "U3"):
        wait_for(lambda u=user_id: len(slack.top_level(f"D{u}", team_id=TEAM)) == 1, what=f"{user_id}'s kick-off")
        answer_all(workspace, slack, user_id, {area.id: 2 for area in nps.areas})

    # Help in each channel answers from that channel's framework.
    assert health.area("shared-goals").help.what_it_is in _shown(workspace.command("U4", "help goals", channel_id="C5"))
    assert nps.area("engaging-councillors-and-senior-managers").title in _shown(
        workspace.command("U1", "help councillors")
    )
    assert f"{len(health.areas)} areas" in _shown(workspace.command("U5", "help", channel_id="C5"))

    # Summaries: each in its framework's words and scale.
    workspace.command("U1", "summary")
    workspace.command("U4", "summary", channel_id="C5")
    wait_for(lambda: len(slack.top_level("C5", team_id=TEAM)) >= 2, what="C5's summary")
    c1, c5 = _summary(slack, "C1"), _summary(slack, "C5")
    assert nps.title in c1 and "Team level *2 · Developing*" in c1 and health.areas[0].title not in c1
    assert health.title in c5 and f"*{health.areas[0].title}*\nTeam level *3 · Always*" in c5
    assert not any(area.title in c5 for area in nps.areas)

    # Reports: each names its own framework and areas.
    results = workspace.services.results
    _, nps_pdf = results.report_pdf(rounds.get(TEAM, nps_round.id), "#procurement")
    _, health_pdf = results.report_pdf(rounds.get(TEAM, health_round.id), "#delivery-team")
    nps_text, health_text = _pdf_text(nps_pdf), _pdf_text(health_pdf)
    assert health.areas[0].title in health_text and health.title in health_text
    assert health.areas[0].title not in nps_text and nps.areas[0].title in nps_text
    assert nps.areas[0].title not in health_text


def _answer_rest(workspace, slack, levels: dict[str, int]) -> None:
    """U4 has the first prompt open already: answer it and every one after."""
    for _ in range(len(levels)):
        prompt = open_prompt(slack, "U4")
        assert workspace.click("U4", prompt, values.answer_action_id(levels[area_of(prompt)])).status == 200


def test_start_names_the_frameworks_when_asked_for_one_the_deployment_lacks(two, slack):
    for words in ("start framework nope", "start framework"):
        workspace = two
        assert workspace.command("U4", words, channel_id="C5").status == 200
        said = _said(slack, "U4")
        assert "`nps-2018-draft`" in said and "`team-health-check`" in said, said
    assert two.services.stores.rounds.latest_in_channel(TEAM, "C5") is None
    assert slack.top_level("C5", team_id=TEAM) == []


def test_the_channels_last_choice_is_its_default_and_trends_stay_within_a_framework(two, make_bot, slack, health, nps):
    workspace = two
    workspace.command("U4", "start framework team-health-check named", channel_id="C5")
    rounds = workspace.services.stores.rounds
    first = rounds.open_in_channel(TEAM, "C5")
    assert first.framework_id == "team-health-check" and first.anonymous is False
    for user_id in HEALTH_MEMBERS:
        for area in health.areas:
            workspace.services.stores.answers.record_answer(round_=first, user_id=user_id, area_id=area.id, level=1)
    workspace.command("U4", "close", channel_id="C5")
    wait_for(lambda: rounds.get(TEAM, first.id).status == "closed", what="the first round closed")

    # The council updates its file (version 2) and restarts the bot.
    workspace = make_bot(FrameworkLibrary(nps, [health.model_copy(update={"version": "2"})]))
    workspace.command("U4", "start", channel_id="C5")  # no choice: the channel's last one
    second = rounds.open_in_channel(TEAM, "C5")
    assert (second.framework_id, second.framework_version) == ("team-health-check", "2")
    assert rounds.previous_closed(second).id == first.id  # the trend compares the same framework...
    for user_id in HEALTH_MEMBERS:
        for area in health.areas:
            workspace.services.stores.answers.record_answer(round_=second, user_id=user_id, area_id=area.id, level=2)
    workspace.command("U4", "summary", channel_id="C5")
    wait_for(lambda: any(m.text.startswith("Maturity summary") for m in slack.top_level("C5", team_id=TEAM)), what="")
    shown = _summary(slack, "C5")
    assert ":arrow_up: up 1 since last round" in shown
    # ...and says when the versions differ, in Slack and in the report.
    assert "trends since round 1, which ran version 1 of the framework (this round: 2)" in shown
    _, pdf = workspace.services.results.report_pdf(rounds.get(TEAM, second.id), "#delivery-team")
    said = " ".join(_pdf_text(pdf).split())
    assert "round 1 (the previous closed round), which ran version 1 of the framework (this round: 2)" in said
    # Targets and the action form offer the round's framework's areas and levels.
    workspace.command("U4", "targets", channel_id="C5")
    wait_for(lambda: slack.views, what="the targets form")
    form = str(slack.views[-1].view)
    assert health.areas[0].title in form and "Always" in form and nps.areas[0].title not in form
    workspace.command("U4", "close", channel_id="C5")
    wait_for(lambda: rounds.get(TEAM, second.id).status == "closed", what="the second round closed")

    workspace.command("U4", "start framework nps-2018-draft", channel_id="C5")
    third = rounds.open_in_channel(TEAM, "C5")
    assert third.framework_id == "nps-2018-draft"
    assert rounds.previous_closed(third) is None  # no trend across frameworks


def test_a_round_whose_framework_file_was_removed_is_refused_politely_and_the_home_tab_still_opens(
    two, make_bot, slack, nps
):
    two.command("U4", "start framework team-health-check", channel_id="C5")
    wait_for(lambda: len(slack.top_level("DU4", team_id=TEAM)) == 1, what="U4's kick-off")
    two.click("U4", parent(slack, "U4"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U4")) == 1, what="U4's first prompt")
    prompt = open_prompt(slack, "U4")
    two.click("U4", prompt, values.answer_action_id(2))
    wait_for(lambda: len(prompts(slack, "U4")) == 2, what="U4's second prompt")

    # The council removes the file and restarts: the library has only the NPS draft now.
    workspace = make_bot(FrameworkLibrary(nps))
    workspace.click("U4", open_prompt(slack, "U4"), values.answer_action_id(1))
    wait_for(lambda: "no longer installed here" in _said(slack, "U4"), what="the refusal")
    round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C5")
    assert [a.level for a in workspace.services.stores.answers.answers(TEAM, round_.id, "U4")] == [2]
    views = len(slack.views)
    workspace.event({"type": "app_home_opened", "user": "U4", "channel": "DU4", "tab": "home"}, event_id="EvGone")
    wait_for(lambda: len(slack.views) > views, what="U4's Home tab")
    assert slack.views[-1].type == "home" and slack.views[-1].user_id == "U4"
