"""Many workspaces: installed through Slack's OAuth flow, each walled off from the others, even when their
channel and user ids collide; uninstalling stops a workspace's schedules and keeps (or deletes) its data."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse

import pytest
from sqlmodel import Session, func, select

from bot import values
from bot.app import client_resolver
from storage.models import Answer, Round, Schedule
from tests.harness import Workspace, text_of

CLIENT_ID, CLIENT_SECRET = "111.222", "client-secret-for-tests"
LEADERSHIP = "engaging-councillors-and-senior-managers"


@pytest.fixture
def two_workspaces(slack, make_bot):
    """T1 (from the slack fixture) and T2 with the same channel and user ids, both installed via OAuth."""
    slack.add_team("T2", bot_token="xoxb-T2", bot_user_id="UBOT2", name="Second council")
    for user_id, name in [("U1", "zoe"), ("U2", "yan"), ("U3", "xia")]:
        slack.add_user("T2", user_id, name=name, real_name=name.title())
    slack.add_channel("T2", "C1", name="procurement", members=["U1", "U2", "U3"])
    slack.set_oauth_client(CLIENT_ID, CLIENT_SECRET)
    first = make_bot(slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET)
    second = Workspace(slack, first.url, "T2")
    second.services = first.services
    for workspace in (first, second):
        install(workspace, slack)
    return first, second


def install(workspace, slack):
    status, headers, page = workspace.get("/slack/install")
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and "Add to Slack" in page
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page).group(1)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(authorize.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0]
    state = query["state"][0]
    cookie = headers["set-cookie"].split(";")[0]
    code = slack.new_oauth_code(team_id=workspace.team_id, installer_user_id="U1")
    status, _, page = workspace.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})
    assert status == 200, page


def test_the_oauth_flow_stores_each_workspaces_installation(two_workspaces, slack):
    first, _ = two_workspaces
    # The fake checks the client id and secret (set_oauth_client): both exchanges succeeded.
    assert [(c.status, c.error) for c in slack.calls_to("oauth.v2.access")] == [(200, None), (200, None)]
    with Session(first.services.engine) as session:
        from sqlalchemy import text

        teams = session.exec(text("select team_id, bot_token from slack_bots order by team_id")).all()
    assert [tuple(row) for row in teams] == [("T1", "xoxb-T1"), ("T2", "xoxb-T2")]


def test_each_workspace_runs_its_own_round_and_sees_only_its_own_data(two_workspaces, slack, nps):
    first, second = two_workspaces
    first.command("U1", "start")
    second.command("U1", "start")
    stores = first.services.stores
    round_1, round_2 = stores.rounds.open_in_channel("T1", "C1"), stores.rounds.open_in_channel("T2", "C1")
    assert round_1.id != round_2.id
    # The same user id in each workspace gets its own DM thread, from its own workspace's bot.
    assert len(slack.top_level("DU1", team_id="T1")) == 1 and len(slack.top_level("DU1", team_id="T2")) == 1
    first.click("U2", slack.top_level("DU2", team_id="T1")[0], values.CONTINUE)
    first.click("U2", open_prompt_in(slack, "T1", "U2"), values.answer_action_id(2))
    second.click("U2", slack.top_level("DU2", team_id="T2")[0], values.CONTINUE)
    second.click("U2", open_prompt_in(slack, "T2", "U2"), values.answer_action_id(5))
    assert [a.level for a in stores.answers.answers("T1", round_1.id)] == [2]
    assert [a.level for a in stores.answers.answers("T2", round_2.id)] == [5]

    # A click in T2 that names T1's round (a tampered value) is refused and changes nothing.
    prompt_2 = open_prompt_in(slack, "T2", "U2")
    second.click("U2", prompt_2, values.answer_action_id(3), value=f"{round_1.id}|{nps.area_ids[1]}|3")
    assert "couldn't make sense" in slack.ephemerals[-1]["text"]
    assert len(stores.answers.answers("T1", round_1.id)) == 1 and len(stores.answers.answers("T2", round_2.id)) == 1

    # App Home: U2 of T1 sees T1's progress only; exports carry only their own workspace's answers.
    first.event({"type": "app_home_opened", "user": "U2", "channel": "DU2", "tab": "home"}, event_id="EvH1")
    second.event({"type": "app_home_opened", "user": "U2", "channel": "DU2", "tab": "home"}, event_id="EvH1")
    homes = {v.team_id: v for v in slack.views if v.type == "home" and v.user_id == "U2"}
    assert "1 of 13 answered" in text_of_view(homes["T1"]) and "1 of 13 answered" in text_of_view(homes["T2"])
    first_area = nps.areas[0].title
    assert f"{first_area}: Developing" in text_of_view(homes["T1"]) and "Innovator" not in text_of_view(homes["T1"])
    assert f"{first_area}: Innovator" in text_of_view(homes["T2"]) and f"{first_area}: Developing" not in text_of_view(
        homes["T2"]
    )
    second.command("U1", "export")
    [answers_2] = [f for f in slack.files if f.team_id == "T2" and f.name.startswith("maturity-answers")]
    rows = list(csv.reader(io.StringIO(answers_2.content.decode("utf-8-sig"), newline="")))
    assert [(r[7], r[8]) for r in rows[1:]] == [("5", "Innovator")]
    # Status in one workspace counts only its own members.
    first.command("U1", "status")
    assert "0 of 3 complete, 1 in progress, 2 not started" in slack.ephemerals[-1]["text"]


def test_uninstalling_stops_schedules_keeps_data_and_the_clock_skips_the_workspace(two_workspaces, slack, engine):
    first, second = two_workspaces
    for workspace in (first, second):
        workspace.command("U1", "start")
        workspace.command("U1", "schedule daily 09:00 Europe/London")
    round_2 = first.services.stores.rounds.open_in_channel("T2", "C1")
    first.services.stores.answers.record_answer(round_=round_2, user_id="U2", area_id=LEADERSHIP, level=4)
    second.event({"type": "app_uninstalled"}, event_id="EvUninstall")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Schedule).where(Schedule.team_id == "T2")).one() == 0
        assert session.exec(select(func.count()).select_from(Schedule).where(Schedule.team_id == "T1")).one() == 1
        assert session.exec(select(func.count()).select_from(Answer).where(Answer.team_id == "T2")).one() == 1
    from tests.conftest import make_settings

    settings = make_settings(slack, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET)
    resolve = client_resolver(settings, engine)
    assert resolve("T2") is None and resolve("T1") is not None


def test_delete_on_uninstall_removes_the_workspaces_data_only(slack, make_bot, engine):
    slack.add_team("T2", bot_token="xoxb-T2", bot_user_id="UBOT2")
    slack.add_user("T2", "U1", name="zoe")
    slack.add_channel("T2", "C1", name="procurement", members=["U1"])
    slack.set_oauth_client(CLIENT_ID, CLIENT_SECRET)
    first = make_bot(
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        maturity_delete_on_uninstall=True,
    )
    second = Workspace(slack, first.url, "T2")
    for workspace in (first, second):
        install(workspace, slack)
        workspace.command("U1", "start")
    second.event({"type": "app_uninstalled"}, event_id="EvUninstall2")
    with Session(engine) as session:
        teams = session.exec(select(Round.team_id)).all()
    assert teams == ["T1"]


def open_prompt_in(slack, team_id, user_id):
    from tests.walk import has_button

    thread_ts = slack.top_level(f"D{user_id}", team_id=team_id)[0].ts
    candidates = [
        m for m in slack.replies(f"D{user_id}", thread_ts, team_id=team_id) if has_button(m, values.answer_action_id(1))
    ]
    return candidates[-1]


def text_of_view(view_record):
    from types import SimpleNamespace

    return text_of(SimpleNamespace(blocks=view_record.view["blocks"], text=""))
