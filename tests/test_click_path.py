"""The click's hot path: what a member waits for comes first, and what it costs is bounded.

A click records the answer and claims the next prompt in one transaction, posts the next prompt, then
updates the answered prompt; the progress at the top of the thread follows once the member is quiet, one
update for a run of quick answers, none when it would show nothing new.
"""

from __future__ import annotations

import time

import pytest

from bot import values
from bot.parent_updates import ParentUpdates
from storage import Stores
from storage.kinds import MessageKind
from storage.outbox import Owed
from tests.harness import wait_for
from tests.walk import TEAM, area_of, open_prompt, parent, prompts

DELAY = 0.6


def _parent_updates(slack, user_id: str) -> list:
    top = parent(slack, user_id)
    return [c for c in slack.calls_to("chat.update") if c.args.get("ts") == top.ts and c.error is None]


def test_quick_answers_update_the_progress_once_after_the_member_pauses(make_bot, slack):
    workspace = make_bot(maturity_progress_delay=DELAY)
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(slack.dm_channel(TEAM, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    assert "Continue" in str(parent(slack, "U2").blocks)  # Start became Continue at once
    before = len(_parent_updates(slack, "U2"))

    for count in range(1, 4):  # three answers in quick succession
        workspace.click("U2", open_prompt(slack, "U2"), values.answer_action_id(3))
        wait_for(lambda count=count: len(prompts(slack, "U2")) == count + 1, what="the next prompt")
    assert "0 of 13 areas answered" in parent(slack, "U2").text  # not yet: the member is still clicking

    wait_for(lambda: "3 of 13 areas answered" in parent(slack, "U2").text, timeout=5, what="the progress")
    assert len(_parent_updates(slack, "U2")) - before == 1  # one update for three answers


def test_changing_an_answer_does_not_update_the_progress(make_bot, slack):
    workspace = make_bot(maturity_progress_delay=DELAY)
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(slack.dm_channel(TEAM, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    first = open_prompt(slack, "U2")
    workspace.click("U2", first, values.answer_action_id(2))
    wait_for(lambda: "1 of 13 areas answered" in parent(slack, "U2").text, timeout=5, what="the progress")
    before = len(_parent_updates(slack, "U2"))

    answered = next(m for m in prompts(slack, "U2") if m.ts == first.ts)
    workspace.click("U2", answered, values.CHANGE)
    reopened = next(m for m in prompts(slack, "U2") if m.ts == first.ts)
    workspace.click("U2", reopened, values.answer_action_id(4))
    wait_for(lambda: "4 · Leader" in str(next(m for m in prompts(slack, "U2") if m.ts == first.ts).blocks))
    time.sleep(DELAY * 2)
    assert len(_parent_updates(slack, "U2")) == before  # still "1 of 13": nothing new to show
    assert "1 of 13 areas answered" in parent(slack, "U2").text


def test_the_last_answer_shows_the_round_complete_at_once(make_bot, slack, nps):
    workspace = make_bot(maturity_progress_delay=30)  # far longer than the test: only an immediate update shows
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(slack.dm_channel(TEAM, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    for count in range(len(nps.area_ids)):
        wait_for(lambda count=count: len(prompts(slack, "U2")) == count + 1, what="the next prompt")
        prompt = open_prompt(slack, "U2")
        assert area_of(prompt) == nps.area_ids[count]
        workspace.click("U2", prompt, values.answer_action_id(3))
    wait_for(lambda: "13 of 13 areas answered" in parent(slack, "U2").text, timeout=5, what="complete")


def test_a_pending_update_runs_after_the_delay_and_a_flush_runs_it_now():
    ran: list[str] = []
    updates = ParentUpdates(delay=0.2)
    updates.soon("p1", (1, True, False), lambda: ran.append("first"))
    updates.soon("p1", (2, True, False), lambda: ran.append("second"))  # replaces the first
    wait_for(lambda: ran == ["second"], timeout=3, what="the coalesced update")
    updates.soon("p1", (2, True, False), lambda: ran.append("same"))  # shows what is shown: skipped
    updates.soon("p2", (1, True, False), lambda: ran.append("other"))
    updates.flush()
    assert ran == ["second", "other"]


def test_a_failed_update_is_tried_again_by_the_next_answer():
    ran: list[int] = []

    def failing() -> None:
        raise RuntimeError("Slack refused")

    updates = ParentUpdates(delay=0)
    updates.soon("p1", (1, True, False), failing)
    updates.soon("p1", (1, True, False), lambda: ran.append(1))  # not taken as shown: the first failed
    assert ran == [1]


@pytest.fixture
def round_(engine, nps):
    stores = Stores.open(engine)
    return stores, stores.rounds.start(
        team_id=TEAM,
        enterprise_id=None,
        channel_id="C1",
        framework=nps,
        started_by="U1",
        members=["U1", "U2"],
        kickoff=lambda r, p: Owed(key=f"kickoff:{r.id}:{p.user_id}", kind=MessageKind.KICKOFF, channel="U1", text="hi"),
    )


def test_an_answer_and_its_next_prompt_are_stored_together_or_not_at_all(round_, nps):
    stores, started = round_

    def message(area_id, prompt):
        return Owed(key=f"prompt:{prompt.id}", kind=MessageKind.PROMPT, channel="D2", text=area_id, ref_id=prompt.id)

    def broken(area_id, prompt):
        raise RuntimeError("the process died while writing the next prompt's message")

    first = stores.answers.claim_next(started, "U2", nps.area_ids, message)
    with pytest.raises(RuntimeError):
        stores.answers.record_answer(
            round_=started,
            user_id="U2",
            area_id=first.prompt.area_id,
            level=3,
            next_prompt=broken,
            area_ids=nps.area_ids,
        )
    assert stores.answers.answers(TEAM, started.id, "U2") == []  # nothing half-written

    result = stores.answers.record_answer(
        round_=started, user_id="U2", area_id=first.prompt.area_id, level=3, next_prompt=message, area_ids=nps.area_ids
    )
    step = result.step
    assert [a.level for a in stores.answers.answers(TEAM, started.id, "U2")] == [3]
    assert step.prompt.area_id == nps.area_ids[1] and step.progress.waiting() == nps.area_ids[1]
    owed = stores.outbox.by_key(TEAM, f"prompt:{step.prompt.id}")
    assert owed is not None and owed.ts is None and owed.attempts == 1  # owed, leased to the clicking request
