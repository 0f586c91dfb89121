"""Gathering a round's data for the CSV exports (bot/exports.py writes the files)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.models import Framework
from storage.assessments import AssessmentStore
from storage.models import Round
from storage.summaries import SummaryStore

from .exports import answers_csv, export_filename, summary_csv
from .summaries import Summaries


@dataclass
class Exports:
    store: AssessmentStore
    summaries: SummaryStore
    summary: Summaries
    framework: Framework

    def files(self, client: WebClient | None, round_: Round, channel_name: str) -> list[tuple[str, bytes]]:
        """[(filename, bytes)] for the answers CSV and the summary CSV of a round."""
        number = self.summaries.round_number(round_)
        participants = self.store.participants(round_.team_id, round_.id)
        names = None if round_.anonymous else self._names(client, [p.user_id for p in participants])
        answers = answers_csv(
            self.framework, round_, number, participants, self.store.answers(round_.team_id, round_.id), names
        )
        summary = summary_csv(self.framework, round_, number, self.summary.compute(round_))
        return [
            (export_filename("answers", channel_name, number), answers),
            (export_filename("summary", channel_name, number), summary),
        ]

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
