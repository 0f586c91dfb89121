"""Posting a round's summary to the team channel, with the rest of a long one and its chart in its thread:
the Slack side of results/.

Everything goes through the outbox. The first message is enqueued in the transaction that makes it owed
(a claimed schedule slot, a round's closing) or on its own (on demand); once Slack has it, the sender records
its continuations and its chart as owed in the same transaction that marks it sent, then sends them. So a
process killed at any moment leaves nothing lost: the chart of a posted summary is always still to come.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from framework.scoring import Summary
from results.figures import Results, round_label
from storage import Stores
from storage.kinds import ClaimKind, MessageKind, RoundStatus
from storage.models import OutboxMessage, Round, utcnow
from storage.outbox import Owed

from . import outbox_keys
from .blocks.summary import across_versions, summary_messages
from .outbox import FileContent, Sender


@dataclass
class Summaries:
    stores: Stores
    results: Results
    sender: Sender

    def __post_init__(self):
        self.sender.follow_ups[MessageKind.SUMMARY] = self._follow_ups
        self.sender.files["chart"] = self._chart

    @property
    def min_group(self) -> int:
        return self.results.min_group

    def post(self, client: WebClient, round_: Round, *, final: bool = False, key: str | None = None) -> str | None:
        """Post the summary now (`key` makes it exactly-once; an on-demand one gets a fresh key). Returns the
        ts, or None while it is owed."""
        message = self.stores.outbox.enqueue(round_.team_id, self.owed(round_, final=final, key=key))
        return self.sender.deliver(client, message.id)

    def close_round(self, client: WebClient | None, round_: Round) -> Round | None:
        """Close the round with its final summary owed in the same transaction, then post it (with no client,
        as for an uninstalled workspace, it stays owed). None when someone else closed it first.

        The figures move one last time, by the anonymity rule, before the round closes; the final summary
        (rendered inside the closing transaction) then reads them without writing."""
        self.results.shown(round_)
        closed = self.stores.rounds.close(
            round_.team_id,
            round_.id,
            lambda closing: self.owed(closing, final=True, key=outbox_keys.final_summary(closing.id)),
        )
        if closed is None:
            return None
        closed_round, message = closed
        if client is not None:
            self.sender.deliver(client, message.id)
        return closed_round

    def post_scheduled(self, client: WebClient, round_: Round, schedule_id: int, slot) -> bool:
        """Claim one slot of a channel's schedule with its summary owed in the same transaction, then post it;
        False when another clock claimed the slot."""
        owed = self.owed(round_, key=outbox_keys.scheduled_summary(round_.id, schedule_id, slot))
        message = self.stores.schedules.claim(round_.team_id, ClaimKind.SUMMARY, str(schedule_id), slot, owed=owed)
        if message is None:
            return False
        self.sender.deliver(client, message.id)
        return True

    def owed(self, round_: Round, *, final: bool = False, key: str | None = None) -> Owed:
        """The summary's first message, to enqueue (as `post` does, or in the transaction that claims a
        schedule slot or closes the round)."""
        (text, blocks), _ = self._messages(round_, final)
        return Owed(
            key=key or outbox_keys.summary_now(round_.id, final=final),
            kind=MessageKind.SUMMARY,
            ref_id=round_.id,
            channel=round_.channel_id,
            text=text,
            blocks=blocks,
        )

    def _messages(
        self, round_: Round, final: bool, *, publish: bool = True
    ) -> tuple[tuple[str, list[dict]], tuple[list, Summary, int]]:
        summary = self.results.compute(round_, publish=publish)
        number = self.results.round_number(round_)
        if round_.status == RoundStatus.CLOSED:
            status = "closed"
        else:
            status = f"open until {round_.closes_on:%-d %b %Y}" if round_.closes_on else "open"
        status += across_versions(self.stores.rounds.previous_closed(round_), round_, self.results.round_number)
        framework = self.results.framework_of(round_)
        messages = summary_messages(
            framework=framework,
            summary=summary,
            channel_id=round_.channel_id,
            round_number=number,
            status=status,
            min_group=self.min_group,
            final=final,
            actions=self.stores.plan.counts(round_.team_id, round_.channel_id, framework.id, utcnow().date()),
            round_id=round_.id,
        )
        return messages[0], (messages[1:], summary, number)

    def _follow_ups(self, message: OutboxMessage, channel: str, ts: str) -> list[Owed]:
        """Once the first message is in Slack: the rest of a long summary, then the chart, in its thread."""
        round_ = self.stores.rounds.get(message.team_id, message.ref_id)
        # The rest of the summary and its chart repeat the figures last shown: they move only when a summary does.
        _, (rest, _, number) = self._messages(round_, outbox_keys.parse(message.key).final, publish=False)
        parts = [
            Owed(
                key=outbox_keys.summary_part(message.key, index),
                kind=MessageKind.SUMMARY_PART,
                ref_id=round_.id,
                channel=channel,
                thread_ts=ts,
                text=text,
                blocks=blocks,
            )
            for index, (text, blocks) in enumerate(rest, start=1)
        ]
        chart = Owed(
            key=outbox_keys.chart(message.key),
            kind=MessageKind.FILE,
            ref_id=round_.id,
            channel=channel,
            thread_ts=ts,
            text=f"maturity-round-{number}.png",  # a file row's text is its file name, unique in the thread
        )
        return [*parts, chart]

    def _chart(self, client: WebClient, message: OutboxMessage) -> FileContent:
        from results.chart import describe_summary_chart, draw_summary_chart  # matplotlib loads only when drawn

        round_ = self.stores.rounds.get(message.team_id, message.ref_id)
        summary, number = self.results.compute(round_, publish=False), self.results.round_number(round_)
        framework = self.results.framework_of(round_)
        p = summary.participation
        png = draw_summary_chart(
            framework,
            summary,
            min_group=self.min_group,
            title=f"{round_label(round_)}: round {number}, {(round_.closed_at or utcnow()).date().isoformat()}",
            subtitle=f"{p.complete} of {p.members} members complete. Areas with fewer than {self.min_group} answers are hidden.",
        )
        return FileContent(
            content=png,
            title=f"Maturity chart, round {number}",
            alt_text=_clip(describe_summary_chart(framework, summary, min_group=self.min_group)),
        )


def _clip(text: str, limit: int = 1000) -> str:
    """A chart's alt text, within what Slack keeps."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
