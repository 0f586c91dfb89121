"""Records that never change: a closed round's targets, gaps and figures stay what they were when later
rounds change the channel's targets, and each round keeps the channel's and workspace's names it started
with. Through the real App, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from alembic import command
from sqlalchemy import text

from storage import Stores
from storage.db import alembic_config, migrate
from tests.harness import text_of

PARTNERS = "working-with-partners"
TEAM = ["U1", "U2", "U3", "U4"]


def _answer_all(workspace, round_, levels):
    for user_id, level in zip(TEAM, levels):
        workspace.services.stores.answers.record_answer(round_=round_, user_id=user_id, area_id=PARTNERS, level=level)


def test_changing_targets_in_round_2_leaves_round_1s_gaps_as_they_were(workspace, slack, team, nps):
    services = workspace.services
    services.stores.targets.replace("T1", "C4", nps.id, {PARTNERS: 4}, "U1")
    _answer_all(workspace, team, [3, 3, 3, 4])
    before = services.results.compute(team).by_area[PARTNERS]
    assert (before.team_level, before.target, before.gap) == (3, 4, 1)
    workspace.command("U1", "close", channel_id="C4")
    workspace.command("U1", "start", channel_id="C4")
    second = services.stores.rounds.open_in_channel("T1", "C4")
    assert services.stores.targets.for_round(second) == {PARTNERS: 4}  # targets carry over
    services.stores.targets.replace("T1", "C4", nps.id, {PARTNERS: 3}, "U1")

    closed = services.stores.rounds.get("T1", team.id)
    after = services.results.compute(closed).by_area[PARTNERS]
    assert (after.team_level, after.target, after.gap) == (3, 4, 1)
    assert services.stores.targets.for_round(closed) == {PARTNERS: 4}
    assert services.stores.targets.for_round(second) == {PARTNERS: 3}
    [_, (_, summary_csv)] = services.results.export_files(closed, "procurement-team")
    rows = {row["area id"]: row for row in csv.DictReader(io.StringIO(summary_csv.decode("utf-8-sig")))}
    assert (rows[PARTNERS]["target level number"], rows[PARTNERS]["gap"]) == ("4", "1")
    assert rows[PARTNERS]["channel"] == "#procurement-team"
    # Round 2's summary shows round 2's target.
    _answer_all(workspace, second, [3, 3, 3, 3])
    workspace.command("U1", "summary", channel_id="C4")
    assert "target 3 · Mature, target met" in text_of(slack.top_level("C4", team_id="T1")[-1])


def test_a_round_records_the_channel_and_workspace_names_it_started_with(workspace, slack, team):
    assert (team.channel_name, team.team_name) == ("procurement-team", "Example Council")
    workspace.command("U1", "summary", channel_id="C4")
    workspace.command("U1", "report", channel_id="C4")
    [pdf] = [f for f in slack.files if f.name.endswith(".pdf")]
    from pypdf import PdfReader

    shown = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "#procurement-team" in shown and "Example Council" in shown
    assert "C4" not in shown and "T1" not in shown  # no raw ids


def test_0006_gives_existing_rounds_the_targets_in_force_when_they_ran(unmigrated_engine, nps):
    engine = unmigrated_engine
    command.upgrade(alembic_config(engine), "0005")
    area = nps.area_ids[0]
    other = nps.area_ids[1]
    with engine.begin() as connection:

        def insert_round(status, closed_at):
            connection.execute(
                text(
                    "INSERT INTO round (team_id, channel_id, framework_id, framework_version, area_count, started_by,"
                    " status, anonymous, created_at, closed_at)"
                    " VALUES ('T1', 'C1', :fid, :fver, 13, 'U1', :status, true, '2026-01-01 09:00:00+00', :closed_at)"
                ),
                dict(fid=nps.id, fver=nps.version, status=status, closed_at=closed_at),
            )
            return connection.execute(text("SELECT max(id) FROM round")).scalar_one()

        closed = insert_round("closed", "2026-06-01 12:00:00+00")
        opened = insert_round("open", None)
        for area_id, level, updated in ((area, 4, "2026-05-01 10:00:00+00"), (other, 2, "2026-07-01 10:00:00+00")):
            connection.execute(
                text(
                    "INSERT INTO target (team_id, channel_id, framework_id, area_id, level, set_by, updated_at)"
                    " VALUES ('T1', 'C1', :fid, :area, :level, 'U1', :updated)"
                ),
                dict(fid=nps.id, area=area_id, level=level, updated=updated),
            )
    migrate(engine)
    stores = Stores.open(engine)
    assert stores.targets.for_round(stores.rounds.get("T1", closed)) == {area: 4}  # set before it closed
    assert stores.targets.for_round(stores.rounds.get("T1", opened)) == {area: 4, other: 2}
    assert stores.rounds.get("T1", closed).channel_name is None  # not known for rounds from before
