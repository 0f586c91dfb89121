"""Scheduled summaries, closing dates and automatic reminders, with a controlled clock (time-machine).

Each test drives `Clock.tick()` as the background scheduler would, at chosen moments, and checks what the
channel and the members actually received, and that every slot was claimed exactly once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from bot import values
from bot.app import web_client
from bot.clock import Clock
from bot.services import Services
from storage.models import ScheduledRun
from tests.conftest import make_settings
from tests.harness import text_of
from tests.walk import thread

UTC = UTC


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def summaries_in(slack, channel="C4"):
    return [
        m for m in slack.top_level(channel, team_id="T1") if m.text.startswith(("Maturity summary", "Final summary"))
    ]


def claimed_slots(engine, kind="summary") -> list[datetime]:
    with Session(engine) as session:
        return sorted(r.slot for r in session.exec(select(ScheduledRun).where(ScheduledRun.kind == kind)))


def make_clock(services, slack) -> Clock:
    client = web_client(make_settings(slack))
    return Clock(services, lambda team_id: client)


def tick_through(traveller, clock, start: datetime, end: datetime, step: timedelta) -> None:
    moment = start
    while moment <= end:
        traveller.move_to(moment)
        clock.tick()
        moment += step


def start_round(workspace, slack, when: datetime, text: str = "start"):
    slack.add_user("T1", "U4", name="erin")
    slack.add_channel("T1", "C4", name="procurement-team", members=["U1", "U2", "U3", "U4"])
    with time_machine.travel(when, tick=False):
        workspace.command("U1", text, channel_id="C4")
    return workspace.services.stores.rounds.open_in_channel("T1", "C4")


def test_schedule_command_sets_shows_and_removes_a_schedule(workspace, slack):
    start_round(workspace, slack, at(2026, 12, 1, 10))
    with time_machine.travel(at(2026, 12, 2, 12), tick=False):
        workspace.command("U1", "schedule weekly mon 09:00", channel_id="C4")
        assert slack.ephemerals[-1]["text"] == (
            "Summaries will be posted here every Monday at 09:00 (Europe/London). Next: Mon 7 Dec 2026, 09:00 GMT."
        )
        workspace.command("U2", "schedule", channel_id="C4")  # anyone may look
        assert "every Monday at 09:00 (Europe/London). Next: Mon 7 Dec 2026, 09:00 GMT." in slack.ephemerals[-1]["text"]
        workspace.command("U1", "schedule monthly 3 08:30 America/New_York", channel_id="C4")
        assert (
            "on day 3 of every month at 08:30 (America/New_York). Next: Thu 3 Dec 2026, 08:30 EST."
            in slack.ephemerals[-1]["text"]
        )
        workspace.command("U1", "schedule off", channel_id="C4")
        assert slack.ephemerals[-1]["text"] == "Scheduled summaries are off."
    assert workspace.services.stores.schedules.schedule("T1", "C4") is None


def test_the_default_zone_is_the_facilitators_slack_time_zone(workspace, slack):
    slack.add_user("T1", "U1", name="alice", tz="America/Los_Angeles")
    start_round(workspace, slack, at(2026, 12, 1, 10))
    workspace.command("U1", "schedule daily 07:15", channel_id="C4")
    assert workspace.services.stores.schedules.schedule("T1", "C4").timezone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ("daily 9am", "“9am” is not a time of day in 24-hour HH:MM form."),
        ("weekly someday 09:00", "“someday” is not a day of the week"),
        ("monthly 31 09:00", "“31” is not a day of the month from 1 to 28."),
        ("daily 09:00 Mars/Olympus_Mons", "“Mars/Olympus_Mons” is not a time zone I know."),
        ("fortnightly 09:00", "Say how often: daily, weekly or monthly."),
    ],
)
def test_a_malformed_schedule_is_refused_with_an_example(workspace, slack, words, problem):
    start_round(workspace, slack, at(2026, 12, 1, 10))
    workspace.command("U1", f"schedule {words}", channel_id="C4")
    told = slack.ephemerals[-1]["text"]
    assert problem in told and "`/maturity schedule weekly mon 09:30 Europe/London`" in told
    assert workspace.services.stores.schedules.schedule("T1", "C4") is None


def test_daily_summaries_follow_london_time_across_the_clocks_going_forward(workspace, slack, engine):
    start_round(workspace, slack, at(2026, 3, 26, 12))
    workspace.command("U1", "schedule daily 09:00 Europe/London", channel_id="C4")
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2026, 3, 27), tick=False) as traveller:
        tick_through(traveller, clock, at(2026, 3, 27), at(2026, 3, 31), timedelta(minutes=30))
    # 09:00 GMT is 09:00 UTC; from 29 March, 09:00 BST is 08:00 UTC. One post a day, never two.
    assert claimed_slots(engine) == [at(2026, 3, 27, 9), at(2026, 3, 28, 9), at(2026, 3, 29, 8), at(2026, 3, 30, 8)]
    assert len(summaries_in(slack)) == 4


def test_weekly_and_monthly_summaries_across_daylight_saving_changes(workspace, slack, engine):
    start_round(workspace, slack, at(2026, 3, 20, 12))
    workspace.command("U1", "schedule weekly mon 09:00", channel_id="C4")
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2026, 3, 21), tick=False) as traveller:
        tick_through(traveller, clock, at(2026, 3, 21), at(2026, 4, 1), timedelta(hours=1))
        assert claimed_slots(engine) == [at(2026, 3, 23, 9), at(2026, 3, 30, 8)]
        workspace.command("U1", "schedule monthly 1 08:00", channel_id="C4")
        tick_through(traveller, clock, at(2026, 9, 30), at(2026, 11, 2), timedelta(hours=3))
    # 1 October is in BST (07:00 UTC); 1 November is after the clocks went back (08:00 UTC).
    assert claimed_slots(engine)[2:] == [at(2026, 10, 1, 7), at(2026, 11, 1, 8)]
    assert len(summaries_in(slack)) == 4


def test_a_missed_slot_is_posted_once_if_less_than_six_hours_late(workspace, slack, engine):
    start_round(workspace, slack, at(2027, 1, 4, 8))
    workspace.command("U1", "schedule daily 09:00 Europe/London", channel_id="C4")
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2027, 1, 5, 8), tick=False) as traveller:
        clock.tick()  # 08:00: nothing due
        traveller.move_to(at(2027, 1, 5, 13))  # down from 08:00 to 13:00: 4 hours late
        clock.tick()
        traveller.move_to(at(2027, 1, 5, 13, 30))
        clock.tick()
        assert claimed_slots(engine) == [at(2027, 1, 5, 9)]
        traveller.move_to(at(2027, 1, 6, 15, 30))  # 6.5 hours late: skipped
        clock.tick()
        assert claimed_slots(engine) == [at(2027, 1, 5, 9)]
        traveller.move_to(at(2027, 1, 10, 10))  # down for days: the latest slot only, once
        clock.tick()
        clock.tick()
    assert claimed_slots(engine) == [at(2027, 1, 5, 9), at(2027, 1, 10, 9)]
    assert len(summaries_in(slack)) == 2


def test_two_clocks_on_one_database_post_each_slot_once(workspace, slack, engine, second_engine):
    start_round(workspace, slack, at(2027, 2, 1, 8))
    workspace.command("U1", "schedule daily 09:00 Europe/London", channel_id="C4")
    clocks = [
        make_clock(workspace.services, slack),
        make_clock(
            Services.compose(
                workspace.services.settings, engine=second_engine, frameworks=workspace.services.frameworks
            ),
            slack,
        ),
    ]
    with time_machine.travel(at(2027, 2, 2, 9, 0, 5), tick=False):
        for _ in range(3):
            barrier = threading.Barrier(len(clocks))

            def run(clock, barrier=barrier):
                barrier.wait()
                clock.tick()

            threads = [threading.Thread(target=run, args=(clock,)) for clock in clocks]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    assert claimed_slots(engine) == [at(2027, 2, 2, 9)]
    assert len(summaries_in(slack)) == 1


def test_a_round_closes_itself_on_its_closing_date(workspace, slack, engine, second_engine):
    round_ = start_round(workspace, slack, at(2026, 12, 1, 10), "start closes 2026-12-10")
    assert round_.closes_on.isoformat() == "2026-12-10"
    assert "The round closes at the end of 10 December 2026." in text_of(slack.top_level("C4", team_id="T1")[0])
    clocks = [
        make_clock(workspace.services, slack),
        make_clock(
            Services.compose(
                workspace.services.settings, engine=second_engine, frameworks=workspace.services.frameworks
            ),
            slack,
        ),
    ]
    with time_machine.travel(at(2026, 12, 10, 23, 59), tick=False) as traveller:
        for clock in clocks:
            clock.tick()
        assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is not None
        traveller.move_to(at(2026, 12, 11, 0, 1))
        for clock in clocks:
            clock.tick()
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is None
    [final] = summaries_in(slack)
    assert final.text.startswith("Final summary: round 1")


def test_a_closing_date_in_the_past_or_malformed_is_refused(workspace, slack):
    slack.add_channel("T1", "C4", name="procurement-team", members=["U1", "U2"])
    with time_machine.travel(at(2026, 12, 5, 10), tick=False):
        workspace.command("U1", "start closes 2026-12-01", channel_id="C4")
        assert "has passed" in slack.ephemerals[-1]["text"]
        workspace.command("U1", "start closes soon", channel_id="C4")
        assert "/maturity start closes 2026-12-31" in slack.ephemerals[-1]["text"]
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is None


def reminders_for(slack, user_id):
    return [m for m in thread(slack, user_id) if m.text.startswith("Reminder")]


def test_idle_members_are_reminded_at_most_once_a_day_until_they_stop_it(workspace, slack):
    start_round(workspace, slack, at(2026, 12, 1, 10))
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2026, 12, 3, 10), tick=False) as traveller:
        clock.tick()  # two days idle: nothing yet
        assert all(reminders_for(slack, u) == [] for u in ("U1", "U2", "U3", "U4"))
        traveller.move_to(at(2026, 12, 4, 10, 1))
        clock.tick()
        clock.tick()
        assert all(len(reminders_for(slack, u)) == 1 for u in ("U1", "U2", "U3", "U4"))
        traveller.move_to(at(2026, 12, 4, 22))
        clock.tick()  # within 24 hours of the last one
        assert len(reminders_for(slack, "U2")) == 1
        workspace.click("U2", reminders_for(slack, "U2")[0], values.STOP_REMINDERS)
        traveller.move_to(at(2026, 12, 5, 10, 2))
        clock.tick()
    assert len(reminders_for(slack, "U2")) == 1  # honoured
    assert len(reminders_for(slack, "U3")) == 2


def test_everyone_unfinished_is_reminded_two_days_before_the_closing_date(workspace, slack):
    start_round(workspace, slack, at(2026, 12, 1, 10), "start closes 2026-12-04")
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2026, 12, 2, 10), tick=False) as traveller:
        clock.tick()
        assert reminders_for(slack, "U3") == []
        traveller.move_to(at(2026, 12, 3, 0, 1))  # two days before the end of 4 December
        clock.tick()
        clock.tick()
    [reminder] = reminders_for(slack, "U3")
    assert "The round closes on 4 December 2026." in reminder.text


def test_a_report_after_scheduled_summaries_only_goes_into_the_latest_summarys_thread(workspace, slack):
    """`/maturity report` replies in the thread of the round's latest summary, whichever way it was posted;
    a scheduled summary must not make it post a fresh one."""
    start_round(workspace, slack, at(2027, 3, 1, 8))
    workspace.command("U1", "schedule daily 09:00 Europe/London", channel_id="C4")
    clock = make_clock(workspace.services, slack)
    with time_machine.travel(at(2027, 3, 2, 9, 0, 5), tick=False):
        clock.tick()
    with time_machine.travel(at(2027, 3, 3, 9, 0, 5), tick=False):
        clock.tick()
    posted = summaries_in(slack)
    assert len(posted) == 2
    workspace.command("U1", "report", channel_id="C4")
    assert slack.ephemerals[-1]["text"] == "The report (PDF) is in the summary's thread."
    assert len(summaries_in(slack)) == 2  # no fresh summary was posted for the report
    [pdf] = [f for f in slack.files if f.name.endswith(".pdf")]
    assert (pdf.channel_id, pdf.thread_ts) == ("C4", posted[-1].ts)


def test_a_slot_is_claimed_only_together_with_its_summary(workspace, slack, engine, monkeypatch):
    """The claim and the owed summary are one transaction: when recording the summary fails (a crash at
    that moment), the slot stays unclaimed and the next tick posts it."""
    import storage.schedules

    start_round(workspace, slack, at(2027, 4, 1, 8))
    workspace.command("U1", "schedule daily 09:00 Europe/London", channel_id="C4")
    clock = make_clock(workspace.services, slack)
    real = storage.schedules.add_owed

    def crash(*args, **kwargs):
        raise RuntimeError("killed while recording the summary")

    with time_machine.travel(at(2027, 4, 2, 9, 0, 5), tick=False):
        monkeypatch.setattr(storage.schedules, "add_owed", crash)
        clock.tick()
        assert claimed_slots(engine) == [] and summaries_in(slack) == []
        monkeypatch.setattr(storage.schedules, "add_owed", real)
        clock.tick()
    assert claimed_slots(engine) == [at(2027, 4, 2, 8)]
    assert len(summaries_in(slack)) == 1


def test_closing_a_round_records_its_final_summary_in_the_same_transaction(workspace, slack, monkeypatch):
    import storage.rounds

    round_ = start_round(workspace, slack, at(2027, 5, 1, 8))

    def crash(*args, **kwargs):
        raise RuntimeError("killed while recording the final summary")

    monkeypatch.setattr(storage.rounds, "add_owed", crash)
    with pytest.raises(RuntimeError):
        workspace.services.summaries.close_round(None, round_)
    assert workspace.services.stores.rounds.open_in_channel("T1", "C4") is not None  # still open: close again
    monkeypatch.undo()
    workspace.command("U1", "close", channel_id="C4")
    assert [m for m in summaries_in(slack) if m.text.startswith("Final summary")]
