"""Computing a round's summary from storage and posting it, with its chart, to the team channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.models import Framework
from framework.scoring import Participation, Summary, summarise, team_levels
from storage.assessments import AssessmentStore
from storage.models import Round
from storage.summaries import SummaryStore

from .blocks.summary import summary_messages

log = logging.getLogger(__name__)


@dataclass
class Summaries:
    store: AssessmentStore
    summaries: SummaryStore
    framework: Framework
    min_group: int

    def compute(self, round_: Round) -> Summary:
        members = self.store.team_progress(round_.team_id, round_.id)
        total = round_.area_count
        participation = Participation(
            members=len(members),
            complete=sum(1 for m in members if m.status(total) == "complete"),
            in_progress=sum(1 for m in members if m.status(total) == "in progress"),
        )
        previous_round = self.summaries.previous_round(round_)
        previous = {}
        if previous_round is not None:
            chosen = self.summaries.chosen_levels(round_.team_id, previous_round.id)
            # A trend must not reveal what a group too small to show chose last time.
            previous = team_levels({a: levels for a, levels in chosen.items() if len(levels) >= self.min_group})
        return summarise(
            self.framework,
            self.summaries.chosen_levels(round_.team_id, round_.id),
            participation,
            targets=self.summaries.targets(round_.team_id, round_.channel_id, round_.framework_id),
            previous=previous,
            min_group=self.min_group,
        )

    def post(self, client: WebClient, round_: Round, *, final: bool = False) -> str:
        """Post the summary (continuing in its thread if it is long) and upload the chart into the thread."""
        summary = self.compute(round_)
        number = self.summaries.round_number(round_)
        status = "closed" if round_.status == "closed" else (
            f"open until {round_.closes_on:%-d %b %Y}" if round_.closes_on else "open"
        )
        messages = summary_messages(
            framework=self.framework,
            summary=summary,
            channel_id=round_.channel_id,
            round_number=number,
            status=status,
            min_group=self.min_group,
            final=final,
        )
        text, blocks = messages[0]
        ts = client.chat_postMessage(channel=round_.channel_id, text=text, blocks=blocks)["ts"]
        for text, blocks in messages[1:]:
            client.chat_postMessage(channel=round_.channel_id, thread_ts=ts, text=text, blocks=blocks)
        self._upload_chart(client, round_, summary, number, ts)
        return ts

    def _upload_chart(self, client: WebClient, round_: Round, summary: Summary, number: int, ts: str) -> None:
        from .chart import draw_summary_chart  # matplotlib loads only when a chart is drawn

        p = summary.participation
        png = draw_summary_chart(
            self.framework,
            summary,
            min_group=self.min_group,
            title=f"Round {number}: team level and target per area",
            subtitle=f"{p.complete} of {p.members} members complete. Areas with fewer than {self.min_group} answers are hidden.",
        )
        try:
            client.files_upload_v2(
                channel=round_.channel_id,
                thread_ts=ts,
                content=png,
                filename=f"maturity-round-{number}.png",
                title=f"Maturity chart, round {number}",
                alt_txt="Per area: the team level, the target and the range of answers.",
            )
        except SlackApiError as error:
            log.warning("could not upload the chart for round %s: %s", round_.id, error.response.get("error"))
