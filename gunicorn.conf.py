"""gunicorn's settings for the bot (gunicorn reads ./gunicorn.conf.py by itself).

Start-up is checked once in gunicorn's master process before any worker boots, so that a missing
SLACK_SIGNING_SECRET, a token Slack refuses or a database out of reach stops gunicorn with one line and
exit status 2, instead of workers failing with stack traces and being started again and again.
"""


def on_starting(server):
    from bot.startup import start_or_explain

    started = start_or_explain("http")
    if started is None:
        raise SystemExit(2)
    started.services.engine.dispose()  # each worker opens its own connections
