"""The operator's command line (`python -m bot framework|rounds|export|report|migrate`), over storage and
results only: no Slack client, no credentials. `admin.commands` holds the commands; `admin.setup` is the one
place their settings, database, framework and results are built.
"""


class CommandError(Exception):
    """A command cannot go on; the message says why (and what to do), and the exit code is 1."""
