"""Every echo of a member's words is escaped (blocks and `text` fallbacks), cut safely and capped; nothing a
member typed in a comment is lost silently; the CSV formula guard sees through look-alikes and invisible
characters."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from bot import values
from tests.walk import dm, open_prompt, parent, prompts

PING = "<!channel> <!here> *x*"
MESSAGE_BLOCK_LIMIT = 50


def texts_of(blocks) -> list[str]:
    """The text of every text object (mrkdwn or plain_text) anywhere in the blocks."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def assert_echo_escaped(text: str, blocks: list) -> None:
    """The member's <!channel> <!here> is shown escaped in the fallback and the blocks (if any), and raw
    nowhere."""
    shown = texts_of(blocks)
    assert "&lt;!channel&gt;" in text and "&lt;!here&gt;" in text, text
    assert not blocks or any("&lt;!channel&gt;" in t and "&lt;!here&gt;" in t for t in shown), shown
    for part in [text, *shown]:
        assert "<!channel>" not in part and "<!here>" not in part, part


def mention(workspace, slack, words: str):
    posted = slack.add_message("T1", "C1", "U2", text=f"<@UBOT> {words}")
    reply = workspace.event(
        {"type": "app_mention", "channel": "C1", "user": "U2", "text": posted.text, "ts": posted.ts}
    )
    assert reply.status == 200
    return slack.replies("C1", posted.ts, team_id="T1")


# -- Slack-facing echoes -------------------------------------------------------------------------------


def test_a_mention_echoes_the_words_escaped_in_the_blocks_and_the_fallback(workspace, slack):
    replies = mention(workspace, slack, f"help {PING}")
    assert len(replies) == 1
    assert_echo_escaped(replies[0].text, replies[0].blocks)
    assert "No area matches" in replies[0].text


def test_help_by_command_echoes_the_words_escaped(workspace):
    body = workspace.command("U2", f"help {PING}").json
    assert_echo_escaped(body["text"], body.get("blocks", []))


@pytest.mark.parametrize(
    "text, needs_round",
    [
        (f"start closes {PING}", False),
        ("schedule daily 09:00 <!channel><!here>", True),
        ("schedule daily 09:00 <!channel>/<!here>", True),
        ("schedule weekly <!channel><!here> 09:00", True),
        ("schedule monthly <!channel><!here> 09:00", True),
        ("schedule daily <!channel><!here>", True),
        ("schedule daily 09:00 Europe/London <!channel> <!here>", True),
    ],
    ids=["closing-date", "time-zone-name", "unknown-time-zone", "weekday", "day-of-month", "time", "extra-words"],
)
def test_ephemeral_replies_echo_the_words_escaped(workspace, slack, text, needs_round):
    if needs_round:
        workspace.command("U1", "start")
    before = len(slack.ephemerals)
    assert workspace.command("U1", text).status == 200
    assert len(slack.ephemerals) == before + 1
    said = slack.ephemerals[-1]
    assert_echo_escaped(said["text"], said["blocks"])


def test_an_unknown_subcommand_is_echoed_escaped_and_capped(workspace):
    word = "<!channel><!here>&" * 3000  # one 54,000-character word
    reply = workspace.command("U1", word)
    assert reply.status == 200
    body = reply.json
    shown = texts_of(body["blocks"])
    assert len(body["blocks"]) <= MESSAGE_BLOCK_LIMIT
    assert any("I don't know “&lt;!channel&gt;&lt;!here&gt;&amp;" in t for t in shown)
    assert all("<!channel>" not in t and "<!here>" not in t for t in [body["text"], *shown])
    echoed = re.search(r"I don't know “(.*?)”", "\n".join(shown)).group(1)
    assert echoed.endswith("…") and len(echoed) < 1200


@pytest.mark.parametrize("how", ["mention", "command"])
def test_a_39000_character_help_query_gets_an_answer_within_slacks_limits(workspace, slack, how):
    words = ("<!channel> & *x* " * 3000)[:39000]
    if how == "mention":
        replies = mention(workspace, slack, "help " + words)
        assert len(replies) == 1
        text, blocks = replies[0].text, replies[0].blocks
    else:
        body = workspace.command("U2", "help " + words).json
        text, blocks = body["text"], body["blocks"]
    assert 0 < len(blocks) <= MESSAGE_BLOCK_LIMIT
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; *x*" in text
    assert text.endswith("…”") and len(text) < 1200
    assert "The closest are" in "\n".join(texts_of(blocks))


# -- comments ------------------------------------------------------------------------------------------


def _answer_first_area(workspace, slack, level: int = 2):
    workspace.command("U1", "start")
    workspace.click("U1", parent(slack, "U1"), values.CONTINUE)
    workspace.click("U1", open_prompt(slack, "U1"), values.answer_action_id(level))
    return workspace.services.stores.rounds.open_in_channel("T1", "C1")


def _answered_prompt(slack):
    return slack.message(dm(slack, "U1"), prompts(slack, "U1")[0].ts, team_id="T1")


def _submit_comment(workspace, slack, comment: str):
    workspace.click("U1", _answered_prompt(slack), values.COMMENT)
    modal = slack.views[-1]
    return workspace.submit_view(
        "U1", modal.view, {"comment": {"comment_text": {"type": "plain_text_input", "value": comment}}}
    )


def _stored_comment(workspace, round_, nps):
    return workspace.services.stores.answers.answer("T1", round_.id, "U1", nps.area_ids[0]).comment


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("before\x00after", "beforeafter"),
        ("before\ud800after", "before\ufffdafter"),  # sent as the JSON escape "\ud800", as Slack could
        ("line\x07 one\r\nline\x1b two\x7f", "line one\nline two"),
    ],
    ids=["nul", "lone-surrogate", "other-controls"],
)
def test_a_comment_with_characters_databases_refuse_is_stored_cleaned(workspace, slack, nps, typed, stored):
    round_ = _answer_first_area(workspace, slack)
    reply = _submit_comment(workspace, slack, typed)
    assert reply.status == 200
    assert not (reply.json or {}).get("errors")  # the modal closes only because the comment is stored
    assert _stored_comment(workspace, round_, nps) == stored
    shown = texts_of(_answered_prompt(slack).blocks)
    assert f"Your comment: {stored}" in shown
    history = workspace.services.stores.answers.history("T1", round_.id, "U1", nps.area_ids[0])
    assert history[-1].new_comment == stored  # the change history holds the cleaned comment too


def test_a_comment_of_nothing_storable_is_refused_in_the_modal_and_the_old_one_kept(workspace, slack, nps):
    round_ = _answer_first_area(workspace, slack)
    assert _submit_comment(workspace, slack, "We pool budgets").status == 200
    reply = _submit_comment(workspace, slack, "\x00\x00\x01")
    assert reply.json["response_action"] == "errors" and "comment" in reply.json["errors"]
    assert _stored_comment(workspace, round_, nps) == "We pool budgets"


def test_a_comment_is_shown_as_typed_in_plain_text_whole_and_the_form_is_prefilled_with_it_raw(workspace, slack, nps):
    round_ = _answer_first_area(workspace, slack)
    comment = "<!channel> *x* " + "&" * 1985  # 2,000 characters, 10,000 had they been escaped
    assert _submit_comment(workspace, slack, comment).status == 200
    assert _stored_comment(workspace, round_, nps) == comment
    blocks = _answered_prompt(slack).blocks
    shown = [
        element
        for block in blocks
        if block["type"] == "context"
        for element in block["elements"]
        if element["text"].startswith("Your comment: ")
    ]
    # plain_text: Slack parses neither mentions nor mrkdwn in it, so the words are shown exactly as typed.
    assert shown == [{"type": "plain_text", "text": f"Your comment: {comment}", "emoji": True}]
    mrkdwn = [b for b in blocks if b["type"] == "context" for e in b["elements"] if e["type"] == "mrkdwn"]
    assert all(comment[:10] not in str(b) for b in mrkdwn)
    workspace.click("U1", _answered_prompt(slack), values.COMMENT)
    form = slack.views[-1].view
    initial = [b["element"].get("initial_value") for b in form["blocks"] if b.get("block_id") == "comment"]
    assert initial == [comment]  # plain_text input: the member's own text, never escaped


def test_a_comment_that_fails_after_the_modal_closed_is_not_met_with_silence(workspace, slack, monkeypatch, nps):
    from bot.listeners.errors import STORED_NOT_SHOWN

    round_ = _answer_first_area(workspace, slack)

    def broken(*args, **kwargs):
        raise RuntimeError("Slack went away")

    # The comment is stored before the modal closes (bot/listeners/views.py); what can fail after it is
    # showing it in Slack.
    monkeypatch.setattr(workspace.services.walkthrough, "after_comment", broken)
    _submit_comment(workspace, slack, "We pool budgets")
    assert _stored_comment(workspace, round_, nps) == "We pool budgets"
    told = [m for m in slack.top_level(dm(slack, "U1"), team_id="T1") if m.text == STORED_NOT_SHOWN]
    assert len(told) == 1  # a modal submission has no response_url: the member is told in our DM


def test_a_comment_whose_save_fails_on_a_bug_is_not_met_with_silence(workspace, slack, monkeypatch, nps):
    """Not an outage (the form would stay open, asking to press Save again): an error of ours while storing
    the comment, before the modal is answered, is told to the member in our DM as any listener's failure."""
    from bot.listeners.errors import FAILED

    round_ = _answer_first_area(workspace, slack)

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(workspace.services.stores.answers, "record_answer", broken)
    _submit_comment(workspace, slack, "We pool budgets")
    assert _stored_comment(workspace, round_, nps) is None
    told = [m for m in slack.top_level(dm(slack, "U1"), team_id="T1") if m.text == FAILED]
    assert len(told) == 1


def test_record_answer_cleans_a_comment_whoever_stores_it(engine, nps):
    from storage.answers import AnswerStore
    from storage.rounds import RoundStore

    rounds = RoundStore(engine)
    round_ = rounds.start(
        team_id="T1", enterprise_id=None, channel_id="C1", framework=nps, started_by="U1", members=["U1"]
    )
    answers = AnswerStore(engine)
    answers.record_answer(
        round_=round_, user_id="U1", area_id=nps.area_ids[0], level=2, comment="a\x00b\ud800c", set_comment=True
    )
    assert answers.answer("T1", round_.id, "U1", nps.area_ids[0]).comment == "ab\ufffdc"


# -- the helpers ---------------------------------------------------------------------------------------


def test_echo_cuts_first_then_escapes():
    from bot.blocks.text import ECHO_LIMIT, echo

    assert echo("<!channel> & co") == "&lt;!channel&gt; &amp; co"
    long = echo("&" * 1000)
    assert re.fullmatch(r"(&amp;)+…", long)
    assert long.count("&amp;") == ECHO_LIMIT - 1
    assert echo("a" * ECHO_LIMIT) == "a" * ECHO_LIMIT
    assert echo("<" * 500, limit=10) == "&lt;" * 9 + "…"


def test_cutting_mrkdwn_never_splits_an_entity_or_a_mention():
    from bot.blocks.text import cut_mrkdwn, sections

    for limit in range(1, 40):
        cut = cut_mrkdwn("&amp;" * 5 + " <@U123> &lt;b&gt;", limit)
        assert len(cut) <= limit
        assert re.fullmatch(r"(&amp;|&lt;|&gt;|<@U123>|[ b])*…?", cut), (limit, cut)
    assert cut_mrkdwn("short &amp; sweet", 3000) == "short &amp; sweet"
    chunks = [s.text.text for s in sections("x" * 2998 + "&amp;" * 1000)]  # no space to split at
    assert "".join(chunks) == "x" * 2998 + "&amp;" * 1000
    assert all(len(c) <= 3000 for c in chunks)
    assert all(re.fullmatch(r"x*(&amp;)*", c) for c in chunks), [c[-8:] for c in chunks]


def test_clean_text_drops_controls_and_replaces_lone_surrogates():
    from storage.answers import clean_text

    assert clean_text("a\x00b\tc\nd\x1f\x7f\x85e") == "ab\tc\nde"
    assert clean_text("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert clean_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert clean_text("\ud83d\ude00") == "😀"  # a pair left split is joined
    assert clean_text("Fine & <good> £5 é 🙂 \u200d") == "Fine & <good> £5 é 🙂 \u200d"


# -- the CSV formula guard -----------------------------------------------------------------------------

GUARDED = [
    '\u200b=HYPERLINK("http://evil.example")',  # zero-width space first
    '\uff1dHYPERLINK("http://evil.example")',  # full-width equals
    "\ufe66cmd",  # small equals
    "\u00a0=1+1",  # no-break space
    "\u3000+1",  # ideographic space
    " =1",
    "\t=1",
    "\n=1",
    "\x00=1",
    "\ufeff@SUM(A1:A2)",  # byte order mark
    "\u2060\u200e\u202e-1",  # word joiner, direction marks
    "\u034f=1",  # combining grapheme joiner
    "\u3164=1",  # Hangul filler
    "\uff0b1",  # full-width plus
    "\uff201",  # full-width at
    "\u22121",  # minus sign
    "\ufe63 2",  # small hyphen-minus
]
UNTOUCHED = ["fine = good", "We need a plan", "1-2", "é=", "", "\u200b", "a\u200b=b", "😀=1", "'=already", "(=1)"]


def test_the_formula_guard_sees_through_look_alikes_and_invisible_characters():
    from results.csv_files import guard_formula

    assert {text: guard_formula(text) for text in GUARDED} == {text: "'" + text for text in GUARDED}
    assert {text: guard_formula(text) for text in UNTOUCHED} == {text: text for text in UNTOUCHED}


def test_exports_guard_a_disguised_formula_and_keep_the_original_text(nps):
    from results.csv_files import answers_csv
    from storage.models import Answer, Participant, Round

    round_ = Round(
        id=7,
        team_id="T1",
        channel_id="C1",
        framework_id=nps.id,
        framework_version=nps.version,
        area_count=13,
        started_by="U1",
        anonymous=False,
    )
    comment = '\u200b\uff1dHYPERLINK("http://evil.example","click")'
    answer = Answer(
        team_id="T1",
        round_id=7,
        user_id="U1",
        area_id=nps.area_ids[0],
        level=3,
        comment=comment,
        framework_id=nps.id,
        framework_version=nps.version,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    data = answers_csv(
        nps, round_, 1, [Participant(id=1, team_id="T1", round_id=7, user_id="U1")], [answer], {"U1": "\u00a0@evil"}
    )
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0]["comment"] == "'" + comment
    assert rows[0]["member"] == "'\u00a0@evil"
