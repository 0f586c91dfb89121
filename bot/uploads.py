"""Files a facilitator asks for: the leaders' report (PDF, in the thread of the round's latest summary) and
the CSV export (in their direct messages). The Slack side of results/: recording the upload as owed, looking
members' names up for a named round (and the action plan's owners' names in every round: owning an action is
not an answer), and drawing the file when the sender sends it.

Both go through the outbox as file rows, so a failure or a crash mid-upload leaves the file owed, and it is
uploaded once it can be (never twice: see bot/outbox.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from results.csv_files import export_filename
from results.figures import Results, round_label
from storage import Stores
from storage.kinds import MessageKind
from storage.models import OutboxMessage, Round
from storage.outbox import Owed

from . import outbox_keys
from .outbox import FileContent, Sender


@dataclass
class Uploads:
    stores: Stores
    results: Results
    sender: Sender

    def __post_init__(self):
        self.sender.files["report"] = self._report
        self.sender.files["export"] = self._export

    def report(self, client: WebClient, round_: Round, thread_ts: str) -> str | None:
        """Upload the round's PDF report into a summary's thread; the file's id, or None while it is owed."""
        filename = f"maturity-report-round-{self.stores.rounds.number(round_)}.pdf"
        return self._send(client, round_, outbox_keys.report(round_.id), round_.channel_id, filename, thread_ts)

    def export(self, client: WebClient, round_: Round, user_id: str) -> str | None:
        """Send the round's answers and summary CSVs and the channel's actions CSV to a member's direct messages
        (one message, three files)."""
        number = self.stores.rounds.number(round_)
        filename = export_filename("answers", round_.channel_name or round_.channel_id, number)
        return self._send(client, round_, outbox_keys.export(round_.id), user_id, filename)

    def _send(
        self, client: WebClient, round_: Round, key: str, channel: str, filename: str, thread_ts: str | None = None
    ) -> str | None:
        owed = Owed(
            key=key, kind=MessageKind.FILE, ref_id=round_.id, channel=channel, thread_ts=thread_ts, text=filename
        )
        message = self.stores.outbox.enqueue(round_.team_id, owed)
        return self.sender.deliver(client, message.id)

    def _report(self, client: WebClient, message: OutboxMessage) -> FileContent:
        round_ = self.stores.rounds.get(message.team_id, message.ref_id)
        owners = _names(client, self.results.action_owner_ids(round_))
        number, pdf = self.results.report_pdf(round_, round_label(round_), owners)
        return FileContent(content=pdf, title=f"Maturity report, round {number}")

    def _export(self, client: WebClient, message: OutboxMessage) -> FileContent:
        round_ = self.stores.rounds.get(message.team_id, message.ref_id)
        names = None if round_.anonymous else _names(client, self.results.member_ids(round_))
        channel_name = round_.channel_name or round_.channel_id
        (answers_name, answers), (summary_name, summary) = self.results.export_files(round_, channel_name, names)
        owners = _names(client, self.results.action_owner_ids(round_))
        actions = self.results.actions_file(round_, channel_name, owners)
        number = self.stores.rounds.number(round_)
        return FileContent(
            content=answers,
            title=answers_name,
            more=((summary_name, summary), actions),
            comment=(
                f"Round {number} of <#{round_.channel_id}>: every answer, the summary per area, and the channel's "
                "action plan."
            ),
        )


def _names(client: WebClient, user_ids: list[str]) -> dict[str, str]:
    """Members' Slack names, for a round started with `/maturity start named` (and actions' owners)."""
    names = {}
    for user_id in user_ids:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError:
            user = {}
        profile = user.get("profile") or {}
        names[user_id] = profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
    return names
