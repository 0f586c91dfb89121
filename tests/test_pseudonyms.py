"""What a facilitator's files and lists give away about who is who, through the real app: an anonymous round's
"Member k" numbers are random per round and stable across its exports, never Slack's order of the channel;
the CSV holds no time of answering; status lists people alphabetically; a comment is shown as typed and
pings nobody wherever it appears."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest

from bot import values
from tests.walk import dm, open_prompt, parent, prompts

TEAM = "T1"
EIGHT = [f"U{i}" for i in range(1, 9)]
INJECTION = "<!channel> *bold* <@U123>"


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def latest_answers_csv(slack) -> list[dict[str, str]]:
    answers = [f for f in slack.files if f.name.startswith("maturity-answers-")]
    assert answers, "no answers CSV was uploaded"
    return read_csv(answers[-1].content)


def seeded(seed: int):
    """A stand-in for storage.rounds.pseudonym_numbers with a known (but not the channel's) order."""

    def numbers(count: int) -> list[int]:
        order = list(range(1, count + 1))
        random.Random(seed).shuffle(order)
        return order

    return numbers


@pytest.fixture
def eight(slack):
    """C8: eight people whom Slack lists in the order U1..U8."""
    for user_id in EIGHT:
        if slack.user(TEAM, user_id) is None:
            slack.add_user(TEAM, user_id, name=f"person{user_id[1:]}")
    slack.add_channel(TEAM, "C8", name="procurement-eight", members=EIGHT)


def answer_one_area_each(workspace, round_, nps, members) -> dict[str, str]:
    """Each member answers a different area, so the CSV row tells who it was: {area id: user id}."""
    areas = {}
    for user_id, area_id in zip(members, nps.area_ids, strict=False):
        workspace.services.stores.answers.record_answer(round_=round_, user_id=user_id, area_id=area_id, level=3)
        areas[area_id] = user_id
    return areas


def who_is_who(rows, areas: dict[str, str]) -> dict[str, str]:
    """{user id: the pseudonym the CSV gave them}."""
    return {areas[row["area id"]]: row["member"] for row in rows}


# -- pseudonyms --------------------------------------------------------------------------------------------


def test_members_listed_in_channel_order_do_not_get_member_numbers_in_that_order(
    workspace, slack, eight, nps, monkeypatch
):
    """Across rounds with different orders, "Member k" is the number the round drew, never the k-th person
    Slack lists: with Slack's order U1..U8, no round numbers them 1..8."""
    channel_order = {user_id: f"Member {i}" for i, user_id in enumerate(EIGHT, start=1)}
    seen = []
    for number, seed in enumerate((1, 2, 3), start=1):
        monkeypatch.setattr("storage.rounds.pseudonym_numbers", seeded(seed))
        workspace.command("U1", "start", channel_id="C8")
        round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C8")
        areas = answer_one_area_each(workspace, round_, nps, EIGHT)
        workspace.command("U1", "export", channel_id="C8")
        mapping = who_is_who(latest_answers_csv(slack), areas)
        expected = {user_id: f"Member {n}" for user_id, n in zip(EIGHT, seeded(seed)(8), strict=True)}
        assert mapping == expected
        assert mapping != channel_order
        # The rows follow the pseudonyms, so the file's order does not give the channel's order back either.
        assert [row["member"] for row in latest_answers_csv(slack)] == [f"Member {n}" for n in range(1, 9)]
        seen.append(mapping)
        workspace.command("U1", "close", channel_id="C8")
        assert workspace.services.stores.rounds.number(round_) == number
    assert seen[0] != seen[1] != seen[2]  # each round numbers its members afresh


def test_a_new_round_draws_its_numbers_at_random(workspace, slack, eight):
    """Unpatched, the round's numbers are 1..n in an order from the operating system's generator."""
    from storage.rounds import pseudonym_numbers

    workspace.command("U1", "start", channel_id="C8")
    round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C8")
    numbers = [p.pseudonym for p in workspace.services.stores.answers.participants(TEAM, round_.id)]
    assert sorted(numbers) == list(range(1, 9))
    assert sorted(pseudonym_numbers(8)) == list(range(1, 9))
    # 20 draws of 8! = 40,320 orders all alike would be a broken generator, not bad luck.
    assert len({tuple(pseudonym_numbers(8)) for _ in range(20)}) > 1


def test_two_exports_of_a_round_give_the_same_pseudonyms_even_after_someone_joins(
    workspace, slack, eight, nps, monkeypatch
):
    monkeypatch.setattr("storage.rounds.pseudonym_numbers", seeded(7))
    workspace.command("U1", "start", channel_id="C8")
    round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C8")
    areas = answer_one_area_each(workspace, round_, nps, EIGHT[:4])
    workspace.command("U1", "export", channel_id="C8")
    first = who_is_who(latest_answers_csv(slack), areas)

    # Others answer, and U9 joins the channel and the open round: nobody's number changes.
    slack.add_member(TEAM, "C8", "U9")
    workspace.command("U9", "start", channel_id="C8")
    more = answer_one_area_each(workspace, round_, nps, [*EIGHT, "U9"])
    workspace.command("U1", "export", channel_id="C8")
    second = who_is_who(latest_answers_csv(slack), more)
    assert len([f for f in slack.files if f.name.startswith("maturity-answers-")]) == 2
    assert {u: second[u] for u in first} == first
    assert second["U9"] == "Member 9"  # a later joiner is numbered after the members the round began with
    assert sorted(second.values(), key=lambda m: int(m.split()[1])) == [f"Member {n}" for n in range(1, 10)]


# -- no time of answering -------------------------------------------------------------------------------------


def test_an_anonymous_export_has_no_time_of_day_and_a_named_one_keeps_it(workspace, slack, eight, nps):
    workspace.command("U1", "start", channel_id="C8")
    round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C8")
    answer_one_area_each(workspace, round_, nps, EIGHT)
    workspace.command("U1", "export", channel_id="C8")
    rows = latest_answers_csv(slack)
    assert len(rows) == 8 and {row["answered at"] for row in rows} == {""}
    content = [f for f in slack.files if f.name.startswith("maturity-answers-")][-1].content.decode("utf-8-sig")
    assert not re.search(r"\d\d:\d\d|\d{4}-\d\d-\d\d", content)

    workspace.command("U1", "close", channel_id="C8")
    workspace.command("U1", "start named", channel_id="C8")
    named = workspace.services.stores.rounds.open_in_channel(TEAM, "C8")
    answer_one_area_each(workspace, named, nps, EIGHT[:2])
    workspace.command("U1", "export", channel_id="C8")
    rows = latest_answers_csv(slack)
    assert sorted(row["member"] for row in rows) == ["Alice", "Bob"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["answered at"]) for row in rows)


# -- status lists people alphabetically ---------------------------------------------------------------------

PEOPLE = {"U11": "zoe", "U12": "Émile", "U13": "anna", "U14": "Bob", "U15": "carl"}
ALPHABETICAL = ["U13", "U14", "U15", "U12", "U11"]  # anna, Bob, carl, Émile, zoe


@pytest.fixture
def five(slack):
    for user_id, name in PEOPLE.items():
        slack.add_user(TEAM, user_id, name=name, real_name=name.title())
    slack.add_channel(TEAM, "C5", name="procurement-five", members=list(PEOPLE))


def still_to_finish(text: str) -> list[str]:
    line = next(line for line in text.splitlines() if "Still to finish" in line)
    return re.findall(r"<@(U\w+)>", line.split("Still to finish", 1)[1])


def test_status_and_summary_list_who_is_still_to_finish_alphabetically(workspace, slack, five, nps):
    workspace.command("U11", "start", channel_id="C5")
    workspace.command("U11", "status", channel_id="C5")
    assert still_to_finish(slack.ephemerals[-1]["text"]) == ALPHABETICAL
    # One finishes: the others keep their alphabetical order.
    round_ = workspace.services.stores.rounds.open_in_channel(TEAM, "C5")
    for area_id in nps.area_ids:
        workspace.services.stores.answers.record_answer(round_=round_, user_id="U15", area_id=area_id, level=2)
    workspace.command("U11", "status", channel_id="C5")
    assert still_to_finish(slack.ephemerals[-1]["text"]) == ["U13", "U14", "U12", "U11"]
    workspace.command("U11", "summary", channel_id="C5")
    assert still_to_finish(slack.ephemerals[-1]["text"]) == ["U13", "U14", "U12", "U11"]


class _Directory:
    """A stand-in WebClient for display_names: users.info one by one, users.list in pages."""

    def __init__(self, users: dict[str, dict]):
        self.users, self.calls = users, []

    def users_info(self, user: str):
        self.calls.append("users.info")
        return {"user": self.users[user]}

    def users_list(self, limit: int):
        self.calls.append("users.list")
        people = list(self.users.values())
        return [{"members": people[i : i + limit]} for i in range(0, len(people), limit)]


def test_names_are_the_ones_slack_shows_and_a_big_list_is_read_in_pages():
    from bot.members import LOOKUP_ONE_BY_ONE, alphabetical, display_names

    users = {
        "UA": {"id": "UA", "name": "a", "profile": {"display_name": "Zed", "real_name": "Alan"}},
        "UB": {"id": "UB", "name": "b", "profile": {"display_name": "", "real_name": "Beth"}},
        "UC": {"id": "UC", "name": "c", "profile": {}},
    }
    client = _Directory(users)
    assert display_names(client, ["UA", "UB", "UC"]) == {"UA": "Zed", "UB": "Beth", "UC": "c"}
    assert alphabetical(client, ["UA", "UB", "UC"]) == ["UB", "UC", "UA"]
    assert set(client.calls) == {"users.info"}

    many = {f"U{i:03}": {"id": f"U{i:03}", "name": f"n{999 - i:03}"} for i in range(LOOKUP_ONE_BY_ONE + 10)}
    client = _Directory(many)
    ordered = alphabetical(client, list(many))
    assert ordered == sorted(many, reverse=True)
    assert set(client.calls) == {"users.list"}


# -- comments ------------------------------------------------------------------------------------------------


def _texts(node, parsed: list[str], literal: list[str]) -> None:
    """Split every text the bot gave Slack into what Slack parses (mrkdwn objects, a message's `text`, a
    file's comment: mentions notify, *x* is bold) and what it shows as it is (plain_text, an input's value)."""
    if isinstance(node, dict):
        if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            literal.append(node["text"])
            return
        for key, value in node.items():
            if key in ("text", "initial_comment") and isinstance(value, str):
                parsed.append(value)
            elif key == "initial_value" and isinstance(value, str):
                literal.append(value)
            else:
                _texts(value, parsed, literal)
    elif isinstance(node, list):
        for item in node:
            _texts(item, parsed, literal)


def test_a_comment_is_shown_as_typed_and_pings_nobody_anywhere(workspace, slack, team, nps):
    # U2 answers its first area with a comment that tries to ping the channel and a user and to format.
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    workspace.click("U2", open_prompt(slack, "U2"), values.answer_action_id(3))
    answered = slack.message(dm(slack, "U2"), prompts(slack, "U2")[0].ts, team_id=TEAM)
    workspace.click("U2", answered, values.COMMENT)
    state = {"comment": {"comment_text": {"type": "plain_text_input", "value": INJECTION}}}
    assert workspace.submit_view("U2", slack.views[-1].view, state).status == 200
    round_id = team.id
    first_area = prompts(slack, "U2")[0]
    stored = [a for a in workspace.services.stores.answers.answers(TEAM, round_id) if a.comment]
    assert [a.comment for a in stored] == [INJECTION]

    # Everywhere it could come back: the member's thread, the form opened again, the facilitator's status,
    # summary and export, the Home tabs.
    workspace.click("U2", slack.message(dm(slack, "U2"), first_area.ts, team_id=TEAM), values.COMMENT)
    for user_id, text in (("U1", "status"), ("U1", "summary"), ("U1", "export"), ("U2", "status")):
        workspace.command(user_id, text, channel_id="C4")
    for user_id in ("U1", "U2"):
        workspace.event({"type": "app_home_opened", "user": user_id, "tab": "home"})

    snapshot = slack.snapshot()
    parsed: list[str] = []
    literal: list[str] = []
    for part in ("messages", "ephemerals", "responses", "views", "files"):
        _texts(snapshot[part], parsed, literal)
    assert parsed
    for text in parsed:
        assert "<!channel>" not in text and "<@U123>" not in text and "*bold*" not in text, text
    # Shown as typed, where Slack parses nothing: the answered prompt, and the form's box.
    assert f"Your comment: {INJECTION}" in literal
    assert INJECTION in literal
    # The export keeps it for the facilitator, against a pseudonym and with no time.
    [row] = [r for r in latest_answers_csv(slack) if r["comment"]]
    assert row["comment"] == INJECTION and re.fullmatch(r"Member \d", row["member"]) and row["answered at"] == ""
