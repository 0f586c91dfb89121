"""Run the simulated Slack as its own process, for a bot started in another process.

    python -m simulated_slack --scopes chat:write,im:write --port 0 --state seed.json [--dump final.json]

Prints the API URL (``http://127.0.0.1:PORT/api/``) on stdout, then serves until SIGINT/SIGTERM.  Other processes
read what happened from ``GET <base_url>/_simulated_slack/state``; ``--dump`` also writes that snapshot on exit.
``--scopes`` are the bot scopes every installation is granted; a seed team may narrow them with ``"scopes"``.

The seed file describes workspaces::

    {"teams": [{"id": "T1", "bot_token": "xoxb-T1", "bot_user_id": "UBOT1", "name": "Team one",
                "users": [{"id": "U1", "name": "alice", "real_name": "Alice"}],
                "channels": [{"id": "C1", "name": "procurement", "members": ["U1"], "bot_member": true}]}]}
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from typing import Any

from .server import SimulatedSlack


def load_seed(slack: SimulatedSlack, seed: dict[str, Any]) -> None:
    for team in seed.get("teams", []):
        team_id = team["id"]
        slack.add_team(
            team_id,
            team.get("bot_token"),
            team.get("bot_user_id"),
            team.get("name"),
            team.get("enterprise_id"),
            scopes=team.get("scopes"),
        )
        for user in team.get("users", []):
            slack.add_user(team_id, user.pop("id"), **user)
        for channel in team.get("channels", []):
            slack.add_channel(team_id, channel.pop("id"), **channel)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulated_slack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scopes", required=True, help="comma-separated bot scopes granted to every workspace")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state", type=Path, help="seed file with teams, users and channels")
    parser.add_argument("--dump", type=Path, help="write the final state snapshot here on exit")
    parser.add_argument("--seed", type=int, default=0, help="seed for rate-based fault injection")
    args = parser.parse_args(argv)

    slack = SimulatedSlack(scopes=args.scopes, host=args.host, port=args.port, seed=args.seed)
    if args.state:
        load_seed(slack, json.loads(args.state.read_text(encoding="utf-8")))
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    print(slack.api_url, flush=True)
    try:
        stopping.wait()
    finally:
        if args.dump:
            args.dump.write_text(json.dumps(slack.snapshot(), indent=2), encoding="utf-8")
        slack.stop()


if __name__ == "__main__":
    main()
