"""/maturity's subcommands, help on demand (button, command, mention) and event redelivery."""

from __future__ import annotations

from types import SimpleNamespace

from bot import values
from tests.harness import text_of
from tests.walk import open_prompt, parent, thread


def _shown(reply) -> str:
    """What the member sees of a command's immediate (ephemeral) answer."""
    body = reply.json
    return text_of(SimpleNamespace(blocks=body.get("blocks", []), text=body.get("text", "")))


def test_bare_or_unknown_subcommand_answers_with_usage(workspace, slack):
    for text in ("", "frobnicate"):
        reply = workspace.command("U1", text)
        assert reply.status == 200
        shown = _shown(reply)
        assert "/maturity start" in shown and "/maturity help" in shown and "/maturity status" in shown
    assert "I don't know “frobnicate”" in _shown(workspace.command("U1", "frobnicate"))
    assert slack.top_level("C1", team_id="T1") == []


def test_help_lists_every_area(workspace, nps):
    shown = _shown(workspace.command("U2", "help"))
    for area in nps.areas:
        assert f"`{area.id}`" in shown
    assert "13 areas" in workspace.command("U2", "help").json["text"]


def test_help_finds_an_area_by_loose_words_and_shows_its_source_text(workspace, nps):
    area = nps.area("obtaining-social-value")
    shown = _shown(workspace.command("U2", "help social value"))
    assert area.description in shown
    assert area.help.what_it_is in shown and area.help.why_it_is_important in shown
    assert "SMEs are non-subsidiary, independent firms." in _shown(workspace.command("U2", "help smes"))
    assert "Managing Strategic Risk refers to" in _shown(workspace.command("U2", "help risk"))


def test_help_on_an_enabler_says_the_source_gives_none(workspace):
    shown = _shown(workspace.command("U2", "help talent"))
    assert "Developing talent" in shown
    assert "The source framework gives no description or help text for this area." in shown


def test_help_without_a_match_offers_the_closest_areas(workspace):
    shown = _shown(workspace.command("U2", "help innvation"))
    assert "No area matches “innvation”" in shown and "Enabling innovation" in shown


def test_help_button_posts_the_area_help_in_the_thread(workspace, slack, nps):
    workspace.command("U1", "start")
    workspace.click("U3", parent(slack, "U3"), values.CONTINUE)
    workspace.click("U3", open_prompt(slack, "U3"), values.HELP)
    posted = thread(slack, "U3")[-1]
    assert posted.text == f"Help: {nps.areas[0].title}"
    assert nps.areas[0].help.why_it_is_important in text_of(posted)
    assert open_prompt(slack, "U3")  # the prompt is still there to answer


def test_mentioning_the_bot_with_help_answers_in_a_thread(workspace, slack, nps):
    mention = slack.add_message("T1", "C1", "U2", text="<@UBOT> help contracts")
    reply = workspace.event(
        {"type": "app_mention", "channel": "C1", "user": "U2", "text": mention.text, "ts": mention.ts},
        event_id="EvMention1",
    )
    assert reply.status == 200
    answers = slack.replies("C1", mention.ts, team_id="T1")
    assert len(answers) == 1
    assert nps.area("managing-contracts-and-relationships").help.what_it_is in text_of(answers[0])


def test_a_redelivered_event_is_acted_on_once(workspace, slack):
    mention = slack.add_message("T1", "C1", "U2", text="<@UBOT> help risk")
    event = {"type": "app_mention", "channel": "C1", "user": "U2", "text": mention.text, "ts": mention.ts}
    for retry in (None, 1, 2):
        assert workspace.event(event, event_id="EvSame", retry_num=retry).status == 200
    assert len(slack.replies("C1", mention.ts, team_id="T1")) == 1


def test_status_shows_own_progress_and_the_team_to_the_facilitator(workspace, slack):
    workspace.command("U1", "start")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    workspace.click("U2", open_prompt(slack, "U2"), values.answer_action_id(2))
    workspace.command("U2", "status")
    member_view = slack.ephemerals[-1]["text"]
    assert "1 of 13 areas answered" in member_view and "Team progress" not in member_view
    workspace.command("U1", "status")
    facilitator_view = slack.ephemerals[-1]["text"]
    assert "0 of 13 areas answered" in facilitator_view
    assert "0 of 3 complete, 1 in progress, 2 not started" in facilitator_view
    assert "<@U1>" in facilitator_view and "<@U3>" in facilitator_view


def test_status_without_a_round(workspace, slack):
    workspace.command("U1", "status")
    assert "no open round" in slack.ephemerals[-1]["text"]


def test_the_manifests_usage_hint_and_the_usage_message_name_every_subcommand():
    from pathlib import Path

    import yaml

    from bot.blocks.messages import USAGE
    from bot.listeners.commands import SUBCOMMANDS

    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    hinted = {part.split()[0] for part in command["usage_hint"].split("|")}
    assert hinted == set(SUBCOMMANDS)
    assert all(f"`{name}" in USAGE or f"/maturity {name}" in USAGE for name in SUBCOMMANDS)
