"""Figure 3: a round's kick-off at Slack's rate limits.

The simulated Slack enforces, with 429 and Retry-After as Slack does, 1 chat.postMessage a second per channel
and a workspace-wide limit we choose: 20 a second (1,200 a minute). The bot's own pacing is the
production default (core.settings: 1 a second per channel after a short burst, 20 a second per workspace).
A round is started for N members through the bot over HTTP, the bot in a process of its own (`python -m bot`, as
in production: bench.processes.AppProcess), so that the moment the simulated Slack sees each call is not
decided by the bot's threads holding its interpreter; the clock runs from the slash command to the last
member's kick-off message arriving at the simulated Slack. The minimum those limits allow is N messages
at 20 a second (plus the channel's announcement, which goes to another channel). Every member must be
prompted exactly once.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import TEAM, Database, Row, fmt_ratio

WORKSPACE_LIMIT = 20.0  # messages a second, per workspace (our choice, stated in the README)
CHANNEL_LIMIT = 1.0  # Slack's published limit for chat.postMessage


def kickoff_at_rate_limit(*, kind: str = "sqlite", members: int = 1000, log=print) -> list[Row]:
    from bench.fake import TopLevelPosts, simulated_slack, workspace
    from bench.processes import AppProcess
    from storage import Stores

    slack = simulated_slack()
    slack.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT")
    slack.add_user(TEAM, "UFAC", name="facilitator")
    users = [f"UK{i:05d}" for i in range(members)]
    for user_id in users:
        slack.add_user(TEAM, user_id, name=user_id.lower())
    slack.add_channel(TEAM, "CKICK", name="kickoff", members=["UFAC", *users])
    slack.enforce_rate_limits("chat.postMessage", per_channel=CHANNEL_LIMIT, per_workspace=WORKSPACE_LIMIT)
    everyone = [*users, "UFAC"]
    kickoffs = TopLevelPosts(slack, TEAM, everyone)
    owed_each = dict.fromkeys(everyone, 1)
    with Database(kind) as db, tempfile.TemporaryDirectory(prefix="bench-kickoff-") as logs:
        bot = AppProcess.python_m_bot(slack, db, Path(logs), "bot")
        try:
            people = workspace(slack, bot.wait_ready(), TEAM)
            started = time.perf_counter()
            reply = people.command("UFAC", "start", channel_id="CKICK")
            assert reply.status == 200, reply.body[:200]
            if not kickoffs.wait(owed_each, timeout=members / WORKSPACE_LIMIT * 3 + 60):
                log(f"  kick-off of {len(everyone)} on {kind}: not every member's kick-off arrived in time")
            elapsed = (kickoffs.last or time.perf_counter()) - started
            kickoffs.settle()
            once, twice, _ = kickoffs.exactly(owed_each)
            owed = Stores.open(db.engine).outbox.owed_count(TEAM)
        finally:
            bot.stop()
            slack.stop()
    minimum = len(everyone) / WORKSPACE_LIMIT
    ratio = elapsed / minimum
    log(
        f"  kick-off of {len(everyone)} on {kind}: {elapsed:.1f} s (minimum {minimum:.1f} s), "
        f"prompted once {once}, duplicates {twice}, owed {owed}, throttled by Slack {slack.throttled}"
    )
    return [
        Row(
            figure=f"kick-off, {len(everyone)} members, {kind} (limits 1/s/channel, {WORKSPACE_LIMIT:g}/s/workspace)",
            target=f"<= 1.2x {minimum:.1f} s, each once",
            measured=f"{elapsed:.1f} s; once {once}/{len(everyone)}, 429s {slack.throttled}",
            baseline=f"{minimum:.1f} s",
            ratio=fmt_ratio(ratio),
            met=ratio <= 1.2 and once == len(everyone) and twice == 0,
            data={
                "seconds": elapsed,
                "minimum": minimum,
                "once": once,
                "duplicates": twice,
                "owed": owed,
                "throttled": slack.throttled,
                "members": len(everyone),
            },
        )
    ]
