"""Computing a round's summary from storage and posting it, with its chart, to the team channel."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.models import Framework
from framework.scoring import Participation, Summary, summarise, team_levels
from storage.assessments import AssessmentStore
from storage.models import Round
from storage.outbox import Owed
from storage.summaries import SummaryStore

from .blocks.summary import summary_messages
from .outbox import Sender

log = logging.getLogger(__name__)


@dataclass
class Summaries:
    store: AssessmentStore
    summaries: SummaryStore
    framework: Framework
    min_group: int
    sender: Sender
    _closed_levels: dict = field(default_factory=dict, repr=False)

    def compute(self, round_: Round) -> Summary:
        members, complete, started = self.summaries.participation(round_.team_id, round_.id)
        participation = Participation(members=members, complete=complete, in_progress=started - complete)
        return summarise(
            self.framework,
            _as_levels(self.summaries.level_counts(round_.team_id, round_.id)),
            participation,
            targets=self.summaries.targets(round_.team_id, round_.channel_id, round_.framework_id),
            previous=self._previous_levels(round_),
            min_group=self.min_group,
        )

    def _previous_levels(self, round_: Round) -> dict[str, int]:
        """Team levels of the channel's previous closed round. A closed round never changes, so they are
        worked out once per process."""
        previous_round = self.summaries.previous_round(round_)
        if previous_round is None:
            return {}
        key = (previous_round.team_id, previous_round.id)
        if key not in self._closed_levels:
            counts = self.summaries.level_counts(previous_round.team_id, previous_round.id)
            # A trend must not reveal what a group too small to show chose last time.
            shown = {a: c for a, c in counts.items() if sum(c.values()) >= self.min_group}
            self._closed_levels[key] = team_levels(_as_levels(shown))
        return self._closed_levels[key]

    def __post_init__(self):
        self.sender.after_send["summary"] = self._follow_up

    def post(self, client: WebClient, round_: Round, *, final: bool = False, key: str | None = None) -> str | None:
        """Post the summary through the outbox (the first message is owed until Slack has it); the rest of
        a long summary and the chart follow in its thread. `key` makes a scheduled or final summary
        exactly-once; an on-demand one gets a fresh key. Returns the ts, or None while it is owed."""
        (text, blocks), _ = self._messages(round_, final)
        key = key or f"summary:{round_.id}:{'final' if final else 'now'}:{uuid.uuid4().hex}"
        message = self.sender.outbox.enqueue(
            round_.team_id, Owed(key=key, kind="summary", ref_id=round_.id, channel=round_.channel_id, text=text, blocks=blocks)
        )
        return self.sender.deliver(client, message.id)

    def _messages(self, round_: Round, final: bool) -> tuple[tuple[str, list[dict]], tuple[list, Summary, int]]:
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
        return messages[0], (messages[1:], summary, number)

    def report_pdf(self, round_: Round, label: str) -> tuple[int, bytes]:
        """The round's PDF report for leaders (bot/report.py): (round number, PDF bytes)."""
        from .report import round_report_pdf  # matplotlib loads only when a report is drawn

        number = self.summaries.round_number(round_)
        previous = self.summaries.previous_round(round_)
        pdf = round_report_pdf(
            self.framework,
            round_,
            self.compute(round_),
            round_number=number,
            channel_label=label,
            min_group=self.min_group,
            previous_round_number=self.summaries.round_number(previous) if previous is not None else None,
        )
        return number, pdf

    def _follow_up(self, client: WebClient, message, channel: str, ts: str) -> None:
        """After the first message is in Slack: the rest of a long summary, then the chart, in its thread."""
        round_ = self.store.get_round(message.team_id, message.ref_id)
        _, (rest, summary, number) = self._messages(round_, ":final" in message.key)
        for text, blocks in rest:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=blocks)
        self._upload_chart(client, round_, summary, number, ts)

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


def _as_levels(counts: dict[str, dict[int, int]]) -> dict[str, list[int]]:
    """{area: {level: count}} -> {area: [level, level, ...]} as the scoring functions take them."""
    return {area: [level for level, n in sorted(per_level.items()) for _ in range(n)] for area, per_level in counts.items()}
