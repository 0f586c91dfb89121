"""The App Home tab: what members and facilitators see, its buttons, and its size limit."""

from __future__ import annotations

from types import SimpleNamespace

from bot import values
from tests.harness import buttons, text_of
from tests.walk import open_prompt, parent, prompts


def home_of(slack, user_id):
    published = [v for v in slack.views if v.type == "home" and v.user_id == user_id]
    assert published, f"no home published for {user_id}"
    return published[-1]


def as_message(view_record):
    return SimpleNamespace(blocks=view_record.view["blocks"], text="", ts="home", channel=None, thread_ts=None)


def open_home(workspace, user_id, event_id):
    return workspace.event(
        {"type": "app_home_opened", "user": user_id, "channel": f"D{user_id}", "tab": "home"}, event_id=event_id
    )


def test_a_member_sees_open_rounds_with_continue_and_their_last_profile(workspace, slack, team, nps):
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    workspace.click("U2", open_prompt(slack, "U2"), values.answer_action_id(4))
    assert [v for v in slack.views if v.type == "home" and v.user_id == "U2"] == []  # a click publishes no Home
    open_home(workspace, "U2", "EvHomeU2")
    home = as_message(home_of(slack, "U2"))  # published when the member opens the tab
    shown = text_of(home)
    assert "<#C4>" in shown and "1 of 13 answered" in shown
    assert f"{nps.areas[0].title}: Leader" in shown and "Rounds you facilitate" not in shown
    assert buttons(home) == ["Continue"]
    # Continue on the Home resumes in the thread without duplicating the waiting prompt.
    before = len(prompts(slack, "U2"))
    workspace.click("U2", home, values.CONTINUE)
    assert len(prompts(slack, "U2")) == before


def test_a_facilitator_sees_participation_theme_levels_schedule_and_buttons(workspace, slack, team):
    for user_id, level in zip(["U1", "U2", "U3"], [2, 3, 3]):
        workspace.services.stores.answers.record_answer(
            round_=team, user_id=user_id, area_id="working-with-partners", level=level
        )
    workspace.command("U1", "schedule weekly mon 09:00 Europe/London", channel_id="C4")
    open_home(workspace, "U1", "EvHome1")
    home = as_message(home_of(slack, "U1"))
    shown = text_of(home)
    assert "Rounds you facilitate" in shown
    assert "0 of 4 complete, 3 in progress, 1 not started" in shown
    assert "Showing leadership: Mature" in shown and "Behaving commercially: –" in shown
    assert "Summaries every Monday at 09:00 (Europe/London); next" in shown
    assert buttons(home)[-5:] == ["Post summary now", "Remind", "Targets", "Add an action", "Close round"]
    workspace.click("U1", home, values.HOME_REMIND)
    assert "Reminded 4 member(s) in <#C4>." in text_of(as_message(home_of(slack, "U1")))
    workspace.click("U1", as_message(home_of(slack, "U1")), values.HOME_SUMMARY)
    assert [m for m in slack.top_level("C4", team_id="T1") if m.text.startswith("Maturity summary")]


def test_home_buttons_refuse_non_facilitators(workspace, slack, team):
    open_home(workspace, "U1", "EvHome2")
    facilitator_home = as_message(home_of(slack, "U1"))
    workspace.click("U2", facilitator_home, values.HOME_CLOSE)
    assert "only the round's facilitators" in text_of(as_message(home_of(slack, "U2")))
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is not None


def test_the_home_stays_within_100_blocks_with_many_rounds(workspace, slack):
    for n in range(12):
        slack.add_channel("T1", f"CM{n}", name=f"team-{n}", members=["U1", "U2"])
        workspace.command("U1", "start", channel_id=f"CM{n}")
    open_home(workspace, "U1", "EvHome3")
    home = home_of(slack, "U1")
    assert len(home.view["blocks"]) <= 100
    shown = text_of(as_message(home))
    assert "and 7 more" in shown and "and 7 more (newest shown first)" in shown
    assert "<#CM11>" in shown and "<#CM0>" not in shown
