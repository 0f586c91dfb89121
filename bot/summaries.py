"""Posting a round's summary, with its chart, to the team channel: the Slack side of results/.

The figures (results.figures.Results) and the chart (results/chart.py) are Slack-free; this module sends
the summary through the outbox, then continues a long one and uploads the chart in its thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.models import Framework
from framework.scoring import Summary
from results.figures import Results
from storage import Stores
from storage.kinds import MessageKind, RoundStatus
from storage.models import Round
from storage.outbox import Owed

from . import outbox_keys
from .blocks.summary import summary_messages
from .outbox import Sender

log = logging.getLogger(__name__)


@dataclass
class Summaries:
    stores: Stores
    results: Results
    framework: Framework
    sender: Sender

    def __post_init__(self):
        self.sender.after_send[MessageKind.SUMMARY] = self._follow_up

    @property
    def min_group(self) -> int:
        return self.results.min_group

    def post(self, client: WebClient, round_: Round, *, final: bool = False, key: str | None = None) -> str | None:
        """Post the summary through the outbox (the first message is owed until Slack has it); the rest of
        a long summary and the chart follow in its thread. `key` makes a scheduled or final summary
        exactly-once; an on-demand one gets a fresh key. Returns the ts, or None while it is owed."""
        (text, blocks), _ = self._messages(round_, final)
        key = key or outbox_keys.summary_now(round_.id, final=final)
        message = self.sender.outbox.enqueue(
            round_.team_id,
            Owed(
                key=key, kind=MessageKind.SUMMARY, ref_id=round_.id, channel=round_.channel_id, text=text, blocks=blocks
            ),
        )
        return self.sender.deliver(client, message.id)

    def _messages(self, round_: Round, final: bool) -> tuple[tuple[str, list[dict]], tuple[list, Summary, int]]:
        summary = self.results.compute(round_)
        number = self.results.round_number(round_)
        status = (
            "closed"
            if round_.status == RoundStatus.CLOSED
            else (f"open until {round_.closes_on:%-d %b %Y}" if round_.closes_on else "open")
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

    def _follow_up(self, client: WebClient, message, channel: str, ts: str) -> None:
        """After the first message is in Slack: the rest of a long summary, then the chart, in its thread."""
        round_ = self.stores.rounds.get(message.team_id, message.ref_id)
        _, (rest, summary, number) = self._messages(round_, outbox_keys.parse(message.key).final)
        for text, blocks in rest:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=blocks)
        self._upload_chart(client, round_, summary, number, ts)

    def _upload_chart(self, client: WebClient, round_: Round, summary: Summary, number: int, ts: str) -> None:
        from results.chart import draw_summary_chart  # matplotlib loads only when a chart is drawn

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
