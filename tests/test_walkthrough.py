"""The walk-through end to end: signed requests through the real App, the fake Slack at the HTTP boundary."""

from __future__ import annotations

from bot import members, values
from tests.harness import buttons, text_of
from tests.walk import answer_all, area_of, dm, open_prompt, parent, prompts, thread

MEMBERS = ["U1", "U2", "U3"]


def _levels(framework, offset: int) -> dict[str, int]:
    """A deterministic, varied answer per area."""
    return {area_id: (i + offset) % len(framework.levels) + 1 for i, area_id in enumerate(framework.area_ids)}


def test_three_members_walk_through_all_13_areas(workspace, slack, nps):
    stores = workspace.services.stores
    reply = workspace.command("U1", "start")
    assert reply.status == 200

    announcement = slack.top_level("C1", team_id="T1")
    assert len(announcement) == 1
    said = text_of(announcement[0])
    assert "<@U1> started" in said and "13 areas" in said and "3 members" in said and "direct message" in said

    for member in MEMBERS:
        top = parent(slack, member)
        assert "0 of 13" in text_of(top) and buttons(top) == ["Start"]
        assert thread(slack, member) == []  # areas come only after Start

    expected = {member: _levels(nps, offset) for offset, member in enumerate(MEMBERS)}
    for member in MEMBERS:
        answer_all(workspace, slack, member, expected[member])

    round_ = stores.rounds.open_in_channel("T1", "C1")
    for member in MEMBERS:
        stored = {a.area_id: a.level for a in stores.answers.answers("T1", round_.id, member)}
        assert stored == expected[member]
        posted = prompts(slack, member)
        # Every area was posted exactly once, in framework order, and each now shows the chosen level.
        assert [area_of(m) for m in posted] == nps.area_ids
        for message in posted:
            level = nps.level(expected[member][area_of(message)])
            assert f"Your answer: *{level.number} · {level.name}*" in text_of(message)
            assert buttons(message) == ["Change", "Help", "Add a comment"]
        profile = thread(slack, member)[-1]
        assert profile.text.startswith("Your maturity profile: 13 of 13")
        for area in nps.areas:
            level = nps.level(expected[member][area.id])
            assert f"{area.title}: *{level.number} · {level.name}*" in text_of(profile)
        top = parent(slack, member)
        assert "13 of 13" in text_of(top) and buttons(top) == []
    answers = stores.answers.answers("T1", round_.id)
    assert len(answers) == 39
    assert {(a.framework_id, a.framework_version) for a in answers} == {("nps-2018-draft", nps.version)}


def test_a_prompt_shows_theme_title_description_and_all_five_levels(workspace, slack, nps):
    workspace.command("U1", "start")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    prompt = open_prompt(slack, "U2")
    area = nps.areas[0]
    shown = text_of(prompt)
    assert "Theme: Showing leadership · Area 1 of 13" in shown
    assert area.title in shown and area.description in shown
    for level in nps.levels:
        assert area.descriptor(level.name).descriptor in shown
    assert buttons(prompt) == [level.name for level in nps.levels] + ["Help", "Skip for now", "Add a comment"]
    assert "1 of 13" not in text_of(parent(slack, "U2")) and "0 of 13" in text_of(parent(slack, "U2"))
    assert buttons(parent(slack, "U2")) == ["Continue"]


def test_the_truncated_descriptor_is_shown_as_cut_off(workspace, slack, nps):
    workspace.command("U1", "start")
    levels = {area_id: 1 for area_id in nps.area_ids}
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    while area_of(open_prompt(slack, "U1")) != "developing-talent":
        prompt = open_prompt(slack, "U1")
        workspace.click("U1", prompt, values.answer_action_id(levels[area_of(prompt)]))
    shown = text_of(open_prompt(slack, "U1"))
    assert "workload including -\n_(The source document cuts this descriptor off here.)_" in shown
    assert "Enabler · Area 10 of 13" in shown


def test_only_human_members_take_part(workspace, slack):
    workspace.command("U1", "start")
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    assert [p.user_id for p in workspace.services.stores.answers.participants("T1", round_.id)] == MEMBERS
    assert slack.top_level(dm(slack, "UGONE"), team_id="T1") == []


def test_conversations_members_is_followed_across_pages(make_bot, slack, monkeypatch):
    monkeypatch.setattr(members, "PAGE_SIZE", 100)  # Slack's pages hold up to 1,000: three pages of 100 here
    people = [f"UP{i:03d}" for i in range(250)]
    for user_id in people:
        slack.add_user("T1", user_id, name=user_id.lower())
    slack.add_channel("T1", "CBIG", name="everyone", members=people + ["UOTHERBOT", "UGONE"])
    workspace = make_bot()
    workspace.command(people[0], "start", channel_id="CBIG")
    member_calls = slack.calls_to("conversations.members")
    assert len(member_calls) >= 2 and any(c.args.get("cursor") for c in member_calls)
    # A big channel is checked against the paged user list, not one users.info call per member.
    assert slack.calls_to("users.list") and len(slack.calls_to("users.info")) < 5
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "CBIG")
    assert len(workspace.services.stores.answers.participants("T1", round_.id)) == 250
    assert all(len(slack.top_level(dm(slack, u), team_id="T1")) == 1 for u in people)


def test_change_an_answer_in_place_keeps_history_and_posts_nothing_new(workspace, slack, nps):
    stores = workspace.services.stores
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    first = open_prompt(slack, "U1")
    workspace.click("U1", first, values.answer_action_id(2))
    assert len(prompts(slack, "U1")) == 2
    answered = slack.message(first.channel, first.ts, team_id="T1")
    workspace.click("U1", answered, values.CHANGE)
    reopened = slack.message(first.channel, first.ts, team_id="T1")
    assert "Your current answer: *Developing*" in text_of(reopened)
    assert "Skip for now" not in buttons(reopened)
    workspace.click("U1", reopened, values.answer_action_id(4))
    round_ = stores.rounds.open_in_channel("T1", "C1")
    assert stores.answers.answer("T1", round_.id, "U1", nps.area_ids[0]).level == 4
    assert [(h.old_level, h.new_level) for h in stores.answers.history("T1", round_.id, "U1", nps.area_ids[0])] == [
        (None, 2),
        (2, 4),
    ]
    assert len(prompts(slack, "U1")) == 2  # the change posted no new prompt
    assert "Your answer: *4 · Leader*" in text_of(slack.message(first.channel, first.ts, team_id="T1"))


def test_repeated_clicks_record_one_answer_and_post_one_next_prompt(workspace, slack, nps):
    stores = workspace.services.stores
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    prompt = open_prompt(slack, "U1")
    for _ in range(3):
        workspace.click("U1", prompt, values.answer_action_id(3))
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    round_ = stores.rounds.open_in_channel("T1", "C1")
    assert len(stores.answers.history("T1", round_.id, "U1", nps.area_ids[0])) == 1
    assert [area_of(m) for m in prompts(slack, "U1")] == nps.area_ids[:2]


def test_skipped_areas_come_back_at_the_end(make_bot, slack, small_framework):
    workspace = make_bot(small_framework)
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    first = open_prompt(slack, "U1")
    assert area_of(first) == "shared-goals"
    assert buttons(first) == ["Not yet", "Sometimes", "Always", "Help", "Skip for now", "Add a comment"]
    workspace.click("U1", first, values.SKIP)
    assert "Skipped for now" in text_of(slack.message(first.channel, first.ts, team_id="T1"))
    workspace.click("U1", open_prompt(slack, "U1"), values.answer_action_id(2))  # feedback
    workspace.click("U1", open_prompt(slack, "U1"), values.answer_action_id(3))  # releasing
    again = open_prompt(slack, "U1")
    assert area_of(again) == "shared-goals" and again.ts != first.ts
    workspace.click("U1", again, values.answer_action_id(1))
    assert [area_of(m) for m in prompts(slack, "U1")] == ["shared-goals", "feedback", "releasing", "shared-goals"]
    assert thread(slack, "U1")[-1].text.startswith("Your maturity profile: 3 of 3")
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    assert {a.area_id: a.level for a in workspace.services.stores.answers.answers("T1", round_.id, "U1")} == {
        "shared-goals": 1,
        "feedback": 2,
        "releasing": 3,
    }


def test_skipping_every_remaining_area_pauses_until_continue(make_bot, slack, small_framework):
    workspace = make_bot(small_framework)
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    for _ in range(3):
        workspace.click("U1", open_prompt(slack, "U1"), values.SKIP)
    for _ in range(3):  # each comes back once
        workspace.click("U1", open_prompt(slack, "U1"), values.SKIP)
    assert len(prompts(slack, "U1")) == 6
    assert "3 skipped areas" in thread(slack, "U1")[-1].text
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    assert len(prompts(slack, "U1")) == 7 and area_of(open_prompt(slack, "U1")) == "shared-goals"


def test_resume_never_posts_the_same_prompt_twice(workspace, slack, nps):
    workspace.command("U1", "start")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    workspace.click("U2", open_prompt(slack, "U2"), values.answer_action_id(3))
    before = [m.ts for m in prompts(slack, "U2")]
    # Continue, a second /maturity start and a direct message all resume without re-posting.
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    reply = workspace.command("U2", "start")
    assert reply.status == 200
    workspace.event(
        {
            "type": "message",
            "channel": dm(slack, "U2"),
            "user": "U2",
            "text": "hi",
            "ts": "1800000000.000100",
            "channel_type": "im",
        },
        event_id="EvDM1",
    )
    assert [m.ts for m in prompts(slack, "U2")] == before
    waiting_notes = [m for m in thread(slack, "U2") if "is waiting for you" in m.text]
    assert len(waiting_notes) == 3 and nps.areas[1].title in waiting_notes[0].text
    said = [e["text"] for e in slack.ephemerals if e.get("user") == "U2"]
    assert any("already open" in text and "picked up your walk-through" in text for text in said)
    assert len(slack.top_level("C1", team_id="T1")) == 1  # no second announcement


def test_a_direct_message_before_starting_posts_the_first_area(workspace, slack, nps):
    workspace.command("U1", "start")
    workspace.event(
        {
            "type": "message",
            "channel": dm(slack, "U3"),
            "user": "U3",
            "text": "ready",
            "ts": "1800000000.000200",
            "channel_type": "im",
        },
        event_id="EvDM2",
    )
    assert area_of(open_prompt(slack, "U3")) == nps.area_ids[0]


def test_a_late_joiner_is_added_by_start(workspace, slack):
    workspace.command("U1", "start")
    slack.add_member("T1", "C1", "U9")
    workspace.command("U9", "start")
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    assert workspace.services.stores.answers.participant("T1", round_.id, "U9") is not None
    assert len(slack.top_level(dm(slack, "U9"), team_id="T1")) == 1


def test_comments_are_stored_with_the_answer(workspace, slack, nps):
    stores = workspace.services.stores
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    prompt = open_prompt(slack, "U1")
    workspace.click("U1", prompt, values.COMMENT)
    modal = slack.views[-1]
    assert modal.type == "modal" and modal.view["callback_id"] == values.COMMENT_VIEW
    # No answer yet: the form asks for the level too, and refuses a comment without one.
    refused = workspace.submit_view(
        "U1", modal.view, {"comment": {"comment_text": {"type": "plain_text_input", "value": "We brief the cabinet"}}}
    )
    assert refused.json["response_action"] == "errors" and "level" in refused.json["errors"]
    round_ = stores.rounds.open_in_channel("T1", "C1")
    assert stores.answers.answers("T1", round_.id, "U1") == []
    ok = workspace.submit_view(
        "U1",
        modal.view,
        {
            "level": {
                "level_choice": {
                    "type": "static_select",
                    "selected_option": {"value": "3", "text": {"type": "plain_text", "text": "3 · Mature"}},
                }
            },
            "comment": {
                "comment_text": {"type": "plain_text_input", "value": 'We brief the cabinet, "early"\nand often'}
            },
        },
    )
    assert ok.status == 200 and not ok.body
    answer = stores.answers.answer("T1", round_.id, "U1", nps.area_ids[0])
    assert (answer.level, answer.comment) == (3, 'We brief the cabinet, "early"\nand often')
    shown = text_of(slack.message(prompt.channel, prompt.ts, team_id="T1"))
    assert "Your answer: *3 · Mature*" in shown and "Your comment: We brief the cabinet" in shown
    assert area_of(open_prompt(slack, "U1")) == nps.area_ids[1]  # the walk-through moved on


def test_the_second_framework_runs_the_same_walk_through(make_bot, slack, small_framework):
    workspace = make_bot(small_framework)
    workspace.command("U1", "start")
    assert "3 areas" in text_of(slack.top_level("C1", team_id="T1")[0])
    answer_all(workspace, slack, "U2", {"shared-goals": 3, "feedback": 1, "releasing": 2})
    round_ = workspace.services.stores.rounds.open_in_channel("T1", "C1")
    answers = workspace.services.stores.answers.answers("T1", round_.id, "U2")
    assert {a.area_id: a.level for a in answers} == {"shared-goals": 3, "feedback": 1, "releasing": 2}
    assert {a.framework_id for a in answers} == {"team-health-check"}
    assert "3 · Always" in text_of(thread(slack, "U2")[-1])
