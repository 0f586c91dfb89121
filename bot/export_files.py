"""The CSV exports' Slack side: members' display names for a named round (results/ builds the files).

results.figures.Results builds a round's files given the names; only looking the names up in Slack is here.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from results.figures import Results
from storage.models import Round


@dataclass
class Exports:
    results: Results

    def files(self, client: WebClient | None, round_: Round, channel_name: str) -> list[tuple[str, bytes]]:
        """[(filename, bytes)] for the answers CSV and the summary CSV of a round."""
        names = None if round_.anonymous else self._names(client, self.results.member_ids(round_))
        return self.results.export_files(round_, channel_name, names)

    @staticmethod
    def _names(client: WebClient | None, user_ids: list[str]) -> dict[str, str]:
        """Members' Slack names, for a round started with `/maturity start named`."""
        names = {}
        for user_id in user_ids:
            try:
                user = client.users_info(user=user_id)["user"] if client else {}
            except SlackApiError:
                user = {}
            profile = user.get("profile") or {}
            names[user_id] = profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
        return names
