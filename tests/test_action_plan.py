"""The action plan: a facilitator adds an action from a form, its owner is told and reminded (once each,
through the outbox and the clock), and marks it done, changes its date or hands it over; bad input gets a
clear answer and changes nothing. Through the real App and the simulated Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import values
from bot.blocks import plan as plan_blocks
from bot.clock import Clock
from storage.models import ActionItem, AuditEntry, utcnow
from tests.harness import text_of
from tests.walk import dm

SOCIAL_VALUE = "obtaining-social-value"


def form(slack, callback_id=values.ACTION_VIEW):
    return next(v for v in reversed(slack.views) if v.view.get("callback_id") == callback_id)


def add_state(*, area=SOCIAL_VALUE, text="Publish a social value policy", owner="U2", due=None, aim="3"):
    due = due or (utcnow().date() + timedelta(days=30))
    return {
        plan_blocks.AREA: {plan_blocks.AREA_INPUT: {"type": "static_select", "selected_option": {"value": area}}},
        plan_blocks.TEXT: {plan_blocks.TEXT_INPUT: {"type": "plain_text_input", "value": text}},
        plan_blocks.OWNER: {plan_blocks.OWNER_INPUT: {"type": "users_select", "selected_user": owner}},
        plan_blocks.DUE: {plan_blocks.DUE_INPUT: {"type": "datepicker", "selected_date": due.isoformat()}},
        plan_blocks.AIM: {plan_blocks.AIM_INPUT: {"type": "static_select", "selected_option": {"value": aim}}},
    }


def items(workspace):
    return workspace.services.stores.plan.for_channel("T1", "C1", open_only=False)


def owner_messages(slack, user_id):
    return [m for m in slack.top_level(dm(slack, user_id), team_id="T1") if "action" in m.text]


def add(workspace, slack, user_id="U1", **state):
    workspace.command(user_id, "action add social value")
    return workspace.submit_view(user_id, form(slack), add_state(**state))


def test_a_facilitator_adds_an_action_and_its_owner_is_told(workspace, slack):
    workspace.command("U1", "start")
    workspace.command("U1", "action add social value")
    modal = form(slack).view
    assert modal["title"]["text"] == "Add an action"
    reply = workspace.submit_view("U1", form(slack), add_state())
    assert reply.status == 200 and not reply.body.strip()  # the form closes
    [item] = items(workspace)
    assert (item.area_id, item.owner_id, item.aim_level, item.status) == (SOCIAL_VALUE, "U2", 3, "open")
    [told] = owner_messages(slack, "U2")
    assert "<@U1> gave you an action" in text_of(told) and "Publish a social value policy" in text_of(told)
    assert {b["action_id"] for b in told.blocks[-1]["elements"]} == {
        values.ACTION_DONE,
        values.ACTION_REDATE,
        values.ACTION_HANDOVER,
    }
    workspace.command("U3", "actions")
    listed = slack.ephemerals[-1]["text"]
    assert "Open actions in <#C1>" in listed and "Publish a social value policy" in listed and "<@U2>" in listed
    with workspace.services.engine.connect() as conn:
        audited = [row.action for row in conn.execute(AuditEntry.__table__.select())]
    assert "action added" in audited


def test_bad_input_is_named_in_the_form_and_nothing_is_saved(workspace, slack):
    workspace.command("U1", "start")
    yesterday = utcnow().date() - timedelta(days=1)
    for state, block, reason in (
        (add_state(due=yesterday), plan_blocks.DUE, "That date has passed"),
        (add_state(owner="UOTHERBOT"), plan_blocks.OWNER, "A bot can't own an action"),
        (add_state(owner="UGONE"), plan_blocks.OWNER, "deactivated"),
        (add_state(owner="UNOBODY"), plan_blocks.OWNER, "can't find that person"),
        (add_state(area="no-such-area"), plan_blocks.AREA, "Choose one of the framework's areas"),
        (add_state(text="   "), plan_blocks.TEXT, "Say what will be done"),
    ):
        workspace.command("U1", "action add social value")
        reply = workspace.submit_view("U1", form(slack), state)
        assert reply.json["response_action"] == "errors", state
        assert reason in reply.json["errors"][block]
    assert items(workspace) == []
    workspace.command("U1", "action add nothing like an area")
    assert "I need one area" in slack.ephemerals[-1]["text"]


def test_members_add_actions_only_when_a_facilitator_allows_it(workspace, slack):
    workspace.command("U1", "start")
    workspace.command("U2", "action add social value")
    assert "Only the channel's facilitators can add actions" in slack.ephemerals[-1]["text"]
    workspace.command("U2", "actions members on")
    assert "Only the channel's facilitators can change" in slack.ephemerals[-1]["text"]
    workspace.command("U1", "actions members on")
    add(workspace, slack, "U2", owner="U2")
    [item] = items(workspace)
    assert item.created_by == "U2"
    assert "You added an action you own" in text_of(owner_messages(slack, "U2")[-1])


def test_the_owner_marks_it_done_and_nobody_else_can(workspace, slack):
    workspace.command("U1", "start")
    add(workspace, slack)
    [told] = owner_messages(slack, "U2")
    workspace.click("U3", told, values.ACTION_DONE)
    assert "Only the action's owner and the channel's facilitators" in slack.ephemerals[-1]["text"]
    assert items(workspace)[0].status == "open"
    workspace.click("U2", told, values.ACTION_DONE, value="12abc")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, I couldn't make sense of that button")
    workspace.click("U2", told, values.ACTION_DONE)
    assert items(workspace)[0].status == "done"
    assert "Done, marked by <@U2>" in slack.responses[-1]["text"]
    workspace.command("U1", "actions")
    assert "No open actions" in slack.ephemerals[-1]["text"]


def test_the_owner_changes_the_date_and_hands_it_over(workspace, slack):
    workspace.command("U1", "start")
    add(workspace, slack)
    [told] = owner_messages(slack, "U2")
    workspace.click("U2", told, values.ACTION_REDATE)
    past = utcnow().date() - timedelta(days=2)
    state = add_state(due=past)
    reply = workspace.submit_view("U2", form(slack, values.ACTION_DATE_VIEW), {plan_blocks.DUE: state[plan_blocks.DUE]})
    assert reply.json["response_action"] == "errors"
    later = utcnow().date() + timedelta(days=60)
    state = add_state(due=later)
    workspace.submit_view("U2", form(slack, values.ACTION_DATE_VIEW), {plan_blocks.DUE: state[plan_blocks.DUE]})
    assert items(workspace)[0].due_on == later
    workspace.click("U2", told, values.ACTION_HANDOVER)
    state = add_state(owner="U3")
    workspace.submit_view("U2", form(slack, values.ACTION_OWNER_VIEW), {plan_blocks.OWNER: state[plan_blocks.OWNER]})
    assert items(workspace)[0].owner_id == "U3"
    [handed] = owner_messages(slack, "U3")
    assert "<@U2> handed you an action" in text_of(handed)
    workspace.click("U2", told, values.ACTION_DONE)  # no longer U2's, and U2 does not facilitate
    assert "Only the action's owner" in slack.ephemerals[-1]["text"]


def test_the_owner_is_reminded_three_days_before_and_on_the_day_once_each(workspace, slack):
    workspace.command("U1", "start")
    due = utcnow().date() + timedelta(days=10)
    add(workspace, slack, due=due)
    services = workspace.services

    def tick(day):
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        Clock(services, lambda team_id: workspace.app.client, now=lambda: at).tick()

    for day in (due - timedelta(days=4), due - timedelta(days=3), due - timedelta(days=3), due - timedelta(days=1)):
        tick(day)
    reminders = [m for m in owner_messages(slack, "U2") if m.text.startswith("Reminder")]
    assert [m.text.split(".")[0] for m in reminders] == ["Reminder: this action is due in 3 days"]
    tick(due)
    tick(due)
    reminders = [m for m in owner_messages(slack, "U2") if m.text.startswith("Reminder")]
    assert [m.text.split(".")[0] for m in reminders][-1] == "Reminder: this action is due today"
    assert len(reminders) == 2
    # A done action is not reminded.
    services.stores.plan.mark_done("T1", items(workspace)[0].id, "U2")
    assert services.plan.remind_owners(datetime.combine(due, datetime.min.time(), tzinfo=UTC)) == 0


def test_actions_are_scoped_by_workspace_and_deleted_with_it(workspace, slack):
    workspace.command("U1", "start")
    add(workspace, slack)
    assert workspace.services.stores.plan.for_channel("T2", "C1") == []
    workspace.services.stores.workspaces.delete_all("T1")
    with workspace.services.engine.connect() as conn:
        assert conn.execute(ActionItem.__table__.select()).all() == []


def test_the_summary_home_and_next_kickoff_show_the_plan(workspace, slack):
    from tests.test_home import as_message, home_of, open_home

    workspace.command("U1", "start")
    add(workspace, slack)  # due in 30 days
    add(workspace, slack, owner="U3", text="Train buyers on social value")
    late = items(workspace)[0]
    with workspace.services.engine.begin() as conn:  # one of them fell overdue
        conn.execute(
            ActionItem.__table__.update()
            .where(ActionItem.__table__.c.id == late.id)
            .values(due_on=utcnow().date() - timedelta(days=2))
        )
    workspace.command("U1", "summary")
    summary = [m for m in slack.top_level("C1", team_id="T1") if m.text.startswith("Maturity summary")][-1]
    assert "Obtaining Social Value*  ·  2 actions open, 1 overdue" in text_of(summary)
    # The summary's button opens the form, for a facilitator only.
    workspace.click("U2", summary, values.ACTION_ADD)
    assert "Only the channel's facilitators can add actions" in slack.ephemerals[-1]["text"]
    workspace.click("U1", summary, values.ACTION_ADD)
    assert form(slack).view["title"]["text"] == "Add an action"

    open_home(workspace, "U3", "EvHomePlan3")
    assert "Your actions* (1 open)" in text_of(as_message(home_of(slack, "U3")))
    assert "Train buyers on social value" in text_of(as_message(home_of(slack, "U3")))
    open_home(workspace, "U1", "EvHomePlan1")
    facilitator_home = text_of(as_message(home_of(slack, "U1")))
    assert "Actions: 2 open, 1 overdue" in facilitator_home
    assert "Train buyers on social value" in facilitator_home and "*overdue* since" in facilitator_home

    # Round 2's announcement says what became of round 1's actions.
    workspace.services.stores.plan.mark_done("T1", items(workspace)[1].id, "U3")
    workspace.command("U1", "close")
    workspace.command("U1", "start")
    announcement = [m for m in slack.top_level("C1", team_id="T1") if "started a maturity" in m.text][-1]
    said = text_of(announcement)
    assert "Last round the team agreed 2 actions*: 1 done, 1 still open (1 overdue)." in said
    assert "Publish a social value policy" in said


def test_actions_outlive_rounds_and_the_last_edit_wins(workspace, slack):
    workspace.command("U1", "start")
    workspace.command("U1", "close")  # an action on a closed round's area is allowed
    workspace.services.stores.facilitators.add("T1", "C1", "U3", added_by="U1")
    add(workspace, slack)
    [told] = owner_messages(slack, "U2")
    first, second = (utcnow().date() + timedelta(days=d) for d in (40, 50))
    for who, due in (("U1", first), ("U3", second)):  # two facilitators change the date, one after the other
        workspace.click(who, told, values.ACTION_REDATE)
        state = add_state(due=due)
        workspace.submit_view(who, form(slack, values.ACTION_DATE_VIEW), {plan_blocks.DUE: state[plan_blocks.DUE]})
    assert items(workspace)[0].due_on == second
    for who in ("U1", "U3"):  # each is told the action as it stands after their edit
        said = text_of(slack.top_level(dm(slack, who), team_id="T1")[-1])
        assert "The action is now due" in said
