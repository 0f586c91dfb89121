"""Bad input gets a clear answer and changes nothing."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, func, select

from bot import values
from storage.models import Answer, AnswerChange, Prompt, Round
from tests.harness import sign
from tests.walk import open_prompt, parent, prompts


def _counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Round, Answer, AnswerChange, Prompt)
        )


@pytest.fixture
def started(workspace, slack):
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    return open_prompt(slack, "U1")


def test_a_click_on_someone_elses_prompt_is_refused(workspace, slack, started):
    before = _counts(workspace.services.engine)
    reply = workspace.click("U2", started, values.answer_action_id(3))
    assert reply.status == 200
    assert slack.ephemerals[-1]["text"].startswith("That walk-through belongs to someone else")
    assert _counts(workspace.services.engine) == before
    assert len(prompts(slack, "U1")) == 1


def test_a_click_from_someone_outside_the_round_is_refused(workspace, slack, started):
    before = _counts(workspace.services.engine)
    workspace.click("U9", started, values.answer_action_id(3))
    assert "belongs to someone else" in slack.ephemerals[-1]["text"]
    assert _counts(workspace.services.engine) == before


@pytest.mark.parametrize(
    "tampered",
    [
        "999|engaging-councillors-and-senior-managers|3",  # unknown round
        "1|no-such-area|3",  # unknown area
        "1|engaging-councillors-and-senior-managers|6",  # level outside the framework
        "1|engaging-councillors-and-senior-managers|0",
        "1|engaging-councillors-and-senior-managers",  # no level
        "not a value at all",
        "",
    ],
)
def test_a_tampered_button_value_is_refused_politely(workspace, slack, started, tampered):
    before = _counts(workspace.services.engine)
    reply = workspace.click("U1", started, values.answer_action_id(3), value=tampered)
    assert reply.status == 200
    refusal = slack.ephemerals[-1]
    assert (
        refusal["text"].startswith("Sorry, I couldn't make sense of that button") and "Traceback" not in refusal["text"]
    )
    assert _counts(workspace.services.engine) == before


def test_another_workspaces_round_id_is_unknown_here(make_bot, slack, engine, nps):
    from storage import Stores

    other = Stores.open(engine).rounds.start(
        team_id="T2", enterprise_id=None, channel_id="C1", framework=nps, started_by="U1", members=["U1"]
    )
    workspace = make_bot()
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    prompt = open_prompt(slack, "U1")
    before = _counts(engine)
    workspace.click("U1", prompt, values.answer_action_id(2), value=f"{other.id}|{nps.area_ids[0]}|2")
    assert slack.ephemerals[-1]["text"].startswith("Sorry, I couldn't make sense")
    assert _counts(engine) == before


def test_unsigned_wrongly_signed_or_stale_requests_get_401_and_change_nothing(workspace, slack):
    body = workspace.command_body("U1", "start", "C1")
    before = _counts(workspace.services.engine)
    assert workspace.post_form(body, signature="v0=" + "0" * 64).status == 401
    assert workspace.post_form(body, signature="").status == 401
    stale = int(time.time()) - 6 * 60
    assert workspace.post_form(body, timestamp=stale).status == 401
    from urllib.parse import urlencode

    encoded = urlencode(body)
    assert (
        workspace.post(
            encoded, "application/x-www-form-urlencoded", timestamp=stale, signature=sign(encoded, stale)
        ).status
        == 401
    )
    assert _counts(workspace.services.engine) == before
    assert slack.top_level("C1", team_id="T1") == []
    assert slack.calls_to("chat.postMessage") == []


def test_start_in_a_channel_the_bot_is_not_in_asks_for_an_invite(workspace, slack):
    slack.add_channel("T1", "CPRIV", name="private", members=["U1", "U2"], bot_member=False, is_private=True)
    slack.add_channel("T1", "CPUB", name="public", members=["U1", "U2"], bot_member=False)
    for channel in ("CPRIV", "CPUB"):
        before = _counts(workspace.services.engine)
        assert workspace.command("U1", "start", channel_id=channel).status == 200
        told = slack.ephemerals[-1]["text"]
        assert f"I can't read or post in <#{channel}>" in told and "Invite me" in told
        assert _counts(workspace.services.engine) == before
    assert workspace.services.stores.rounds.open_in_channel("T1", "CPUB") is None
    assert all(not slack.top_level(f"DU{n}", team_id="T1") for n in (1, 2))


def test_start_in_a_direct_message_is_refused(workspace, slack):
    workspace.command("U1", "start", channel_id="DU1")
    assert "team's channel" in slack.ephemerals[-1]["text"]
    assert workspace.services.stores.rounds.open_in_channel("T1", "DU1") is None


def test_superscript_digits_are_refused_politely(workspace, slack):
    workspace.command("U1", "start")
    workspace.command("U1", "export round ²")
    assert slack.ephemerals[-1]["text"].startswith("Use `/maturity export` for the current round")
    workspace.command("U1", "schedule monthly ² 09:00 Europe/London")
    assert "is not a day of the month" in slack.ephemerals[-1]["text"]
