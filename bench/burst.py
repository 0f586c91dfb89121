"""The kick-off burst: a round starts and its members all click Start within a few seconds.

What a team does when the facilitator announces a round: `/maturity start` in the channel, every member gets
the kick-off in a DM, and each clicks its button (Start: the walk-through's continue action) at a random
moment within the window (5 s) of the command. Nobody clicks a DM sooner than REACTION after it arrived (a
person has to see it first); a member whose moment comes before that clicks then (counted as "waited for
their DM"). The figure is, per member, the time from the click to their first prompt arriving at the
simulated Slack; the goal is p95 <= 1 s. A member who gets no prompt at all is reported with what reached
them instead, and fails the goal.

Slack's limits are on (simulated_slack's defaults for chat.postMessage: 1 a second per channel with a short
burst), and the bot runs with its production pacing, so the kick-off DMs and the first prompts compete for the
same pacer, as they would in a workspace.
"""

from __future__ import annotations

import random
import threading
import time

from bench.clients import ARRIVAL_TIMEOUT, click
from bench.common import Row, fmt_ratio, ms, percentile

GOAL = 1.0  # seconds, p95 from the click to the first prompt
REACTION = 0.2  # seconds: the quickest a person clicks a message after it appears
KICKOFF_TIMEOUT = 120.0


def what_they_saw(slack, team_id: str, dm: str, user_id: str, thread_ts: str) -> str:
    """For a member left without a prompt: what reached them instead (thread replies, ephemeral lines)."""
    replies = [m.text[:60] for m in slack.replies(dm, thread_ts, team_id=team_id) if m.ts != thread_ts]
    lines = [str(e.get("text", ""))[:80] for e in slack.ephemerals if e.get("user") == user_id]
    return f"{len(replies)} thread replies {replies[:2]}, ephemerals {lines[:2]}"


def kickoff_burst(rig, *, members: int, window: float, seed: int = 13, log=print) -> Row:
    """On a Rig (bench.interactions) whose bot is quiet; switches the simulated Slack's rate limits on."""
    from bot import values

    slack, kind, channel = rig.slack, rig.kind, "CBURST"
    users = [f"UB{i:04d}" for i in range(members)]
    for user_id in users:
        slack.add_user(rig.team, user_id, name=user_id.lower())
    slack.add_channel(rig.team, channel, name="burst", members=[rig.facilitator, *users])
    slack.enforce_rate_limits("chat.postMessage")  # simulated_slack's defaults: Slack's 1/s per channel, bursts
    throttled_before = slack.throttled
    dms = {user_id: slack.dm_channel(rig.team, user_id) for user_id in users}
    kickoffs = {user_id: slack.expect_top_level(dm) for user_id, dm in dms.items()}
    rng = random.Random(seed)
    latencies: dict[str, float] = {}
    errors: list[str] = []
    waited = 0
    lock = threading.Lock()

    def member(user_id: str, moment: float) -> None:
        nonlocal waited
        kickoff = kickoffs[user_id]
        if not kickoff.wait(KICKOFF_TIMEOUT):
            with lock:
                errors.append(f"{user_id}: no kick-off DM within {KICKOFF_TIMEOUT:.0f} s")
            return
        earliest = kickoff.at + REACTION
        late = earliest > moment
        time.sleep(max(0.0, max(moment, earliest) - time.perf_counter()))
        arrival = slack.expect(dms[user_id])
        sent = time.perf_counter()
        try:
            reply, _ = click(rig.workspace, user_id, kickoff.message, values.CONTINUE)
        except Exception as error:  # a crash is this member's error, not the thread's silent end
            with lock:
                errors.append(f"{user_id}: {error!r}")
            return
        got = reply.status == 200 and arrival.wait(ARRIVAL_TIMEOUT)
        if not got:
            slack.forget(dms[user_id])
            seen = what_they_saw(slack, rig.team, dms[user_id], user_id, kickoff.message.ts)
        with lock:
            waited += late
            if not got:
                errors.append(
                    f"{user_id}: clicked {ms(sent - kickoff.at)} after the DM arrived, HTTP {reply.status}, "
                    f"no first prompt within {ARRIVAL_TIMEOUT:.0f} s; saw {seen}"
                )
            elif not arrival.is_prompt:
                errors.append(f"{user_id}: got {arrival.text[:60]!r}, not a prompt")
            else:
                latencies[user_id] = arrival.at - sent

    started = time.perf_counter()
    reply = rig.workspace.command(rig.facilitator, "start", channel_id=channel)
    if reply.status != 200:
        raise RuntimeError(f"/maturity start answered {reply.status}: {reply.body[:200]}")
    threads = [threading.Thread(target=member, args=(u, started + rng.uniform(0, window)), daemon=True) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    values_ = list(latencies.values())
    throttled = slack.throttled - throttled_before
    if errors:
        log(f"  [{kind}] burst errors: {errors[:3]}")
    if not values_:
        raise RuntimeError(f"{kind}: kick-off burst: no member got a first prompt ({errors[:1]})")
    p50, p95, top = percentile(values_, 50), percentile(values_, 95), max(values_)
    log(
        f"  [{kind}] kick-off burst: {members} members within {window:g} s, {len(values_)} prompted, done after "
        f"{elapsed:.1f} s; click -> first prompt p50 {ms(p50)}, p95 {ms(p95)}, max {ms(top)}; {waited} waited for "
        f"their DM; {throttled} calls answered 429"
    )
    return Row(
        figure=f"kick-off burst: {members} members click Start within {window:g} s, click -> first prompt [{kind}]",
        target=f"p95 <= {GOAL * 1000:.0f} ms",
        measured=(
            f"{ms(p50)} / {ms(p95)} / max {ms(top)} ({len(values_)} prompted, {len(errors)} not; "
            f"{waited} waited for their DM; 429s {throttled})"
        ),
        baseline="Slack limits on, production pacing",
        ratio=fmt_ratio(p95 / GOAL),
        met=p95 <= GOAL and not errors,
        data={
            "db": kind,
            "members": members,
            "window_s": window,
            "p50_s": p50,
            "p95_s": p95,
            "max_s": top,
            "latencies_s": sorted(values_),
            "waited_for_dm": waited,
            "reaction_s": REACTION,
            "throttled": throttled,
            "errors": errors,
            "elapsed_s": elapsed,
        },
    )
