"""The bare app and the floor app in a process of their own, as the bot runs in its own (`python -m bot`):
`python -m bench.app_process bare|floor`.

The click figures compare apps, so each app gets what the bot gets in production: a process and an interpreter
(a GIL) of its own, served on $PORT by the same kind of threaded wsgiref server (simulated_slack.AppServer:
ThreadingMixIn, a backlog of 128) through bot.wsgi's entry point, configured from the same environment
(core.settings.Settings: SLACK_SIGNING_SECRET, SLACK_API_URL, DATABASE_URL, the MATURITY_*_RATE pacing). The
simulated Slack and the clients stay in the benchmark's process. The floor's Slack calls keep the pacing the
settings give, through bot.pacing's Pacer on the same database as the bot (on PostgreSQL the same shared
buckets; the runs take turns).

It says `Ready` on stdout once it serves, and stops on SIGTERM.
"""

from __future__ import annotations

import re
import signal
import sys
import threading

KINDS = ("bare", "floor")
READY = "Ready"


def create(kind: str, settings):
    """The app of `kind` and the engine its health check reads (None for the bare app, which has none)."""
    from slack_bolt import App

    from bench import floor
    from bot.app import web_client
    from bot.pacing import Pacer
    from storage.db import make_engine
    from storage.rate_slots import rate_slots_for

    secret = settings.slack_signing_secret.get_secret_value()
    if kind == "bare":
        bare = App(client=web_client(settings), signing_secret=secret, process_before_response=False)

        @bare.action(re.compile(r"^answer_level_\d+$"))
        def _only_ack(ack):
            ack()

        return bare, None
    engine = make_engine(settings.database_url)
    floor.create_tables(engine)
    pacer = Pacer(
        rate_slots_for(engine),
        channel_rate=settings.maturity_channel_rate,
        workspace_rate=settings.maturity_workspace_rate,
        tier_scale=settings.maturity_tier_scale,
    )
    return floor.create_floor_app(web_client(settings, pacer=pacer), secret, engine), engine


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in KINDS:
        print(f"usage: python -m bench.app_process {'|'.join(KINDS)}", file=sys.stderr)
        return 2
    from bot.wsgi import EVENTS_PATH, wsgi_app
    from core.settings import Settings
    from simulated_slack import AppServer

    settings = Settings()
    app, engine = create(argv[0], settings)
    server = AppServer(wsgi_app(app, engine), EVENTS_PATH, port=settings.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(READY, flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
