"""What a round's answers add up to: its summary (participation, team levels, targets, the trend against
the channel's previous closed round), its number in the channel, and the export files and report built
from them.

No Slack here, and no matplotlib until a report is drawn. Everything comes in explicitly: the stores, the
framework and the smallest group whose answers may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from framework.models import Framework
from framework.scoring import Participation, Summary, summarise, team_levels
from storage import Stores
from storage.kinds import RoundStatus
from storage.models import Round

from .anonymity import Decision, decide_all
from .csv_files import round_export_files


@dataclass(frozen=True)
class RoundFigures:
    """What a report shows of a round besides the framework."""

    round: Round
    number: int  # the channel's 1st, 2nd... round
    summary: Summary
    previous_number: int | None  # the number of the previous closed round the trend compares with, if any


@dataclass
class Results:
    stores: Stores
    framework: Framework
    min_group: int
    _closed_levels: dict = field(default_factory=dict, repr=False)

    def compute(self, round_: Round, *, publish: bool = True) -> Summary:
        """The round's summary as it may be shown now (see `shown`): every surface's figures come from here."""
        return self._summary(round_, self.stores.rounds.previous_closed(round_), publish=publish)

    def shown(self, round_: Round, *, publish: bool = True) -> dict[str, Decision]:
        """What each area may show now, by the anonymity rule (results/anonymity.py), from its answers and
        every view of it shown before. With `publish` (the default: the caller is about to show it), a view
        that may move is recorded first, in the transaction that decides it; without, the last recorded
        view is repeated. A closed round's views never change; one closed before views were recorded shows
        what its final summary showed then (every area with at least `min_group` answers)."""
        if publish and round_.status == RoundStatus.OPEN:

            def new_views(current, history):
                decisions = decide_all(current, history, self.min_group)
                return {area_id: d.shown for area_id, d in decisions.items() if d.publish}

            published = self.stores.published.publish(round_.team_id, round_.id, new_views)
            if published is not None:
                return decide_all(*published, self.min_group, may_publish=False)
            round_ = self.stores.rounds.get(round_.team_id, round_.id) or round_  # closed meanwhile
        current, history = self.stores.published.read(round_.team_id, round_.id)
        legacy = round_.status != RoundStatus.OPEN and not history
        return decide_all(current, history, self.min_group, may_publish=legacy)

    def round_number(self, round_: Round) -> int:
        """1 for a channel's first round, 2 for its second..."""
        return self.stores.rounds.number(round_)

    def figures(self, round_: Round) -> RoundFigures:
        number = self.stores.rounds.number(round_)
        previous = self.stores.rounds.previous_closed(round_)
        return RoundFigures(
            round=round_,
            number=number,
            summary=self._summary(round_, previous, publish=True),
            previous_number=self.stores.rounds.number(previous) if previous is not None else None,
        )

    def member_ids(self, round_: Round) -> list[str]:
        """The round's members' user ids, in the order the answers CSV lists them."""
        return [p.user_id for p in self.stores.answers.participants(round_.team_id, round_.id)]

    def export_files(
        self, round_: Round, channel_name: str, names: dict[str, str] | None = None
    ) -> list[tuple[str, bytes]]:
        """[(filename, bytes)] for the answers CSV and the summary CSV of a round. `names` are the members'
        display names, looked up by the caller (a named round only; without one a member is their user id)."""
        number = self.stores.rounds.number(round_)
        participants = self.stores.answers.participants(round_.team_id, round_.id)
        answers = self.stores.answers.answers(round_.team_id, round_.id)
        return round_export_files(
            self.framework, round_, number, participants, answers, self.compute(round_), channel_name, names
        )

    def report_pdf(self, round_: Round, label: str) -> tuple[int, bytes]:
        """The round's PDF report for leaders (results/report.py): (round number, PDF bytes)."""
        from .report import round_report_pdf  # matplotlib loads only when a report is drawn

        figures = self.figures(round_)
        pdf = round_report_pdf(
            self.framework,
            round_,
            figures.summary,
            round_number=figures.number,
            channel_label=label,
            min_group=self.min_group,
            previous_round_number=figures.previous_number,
        )
        return figures.number, pdf

    def _summary(self, round_: Round, previous_round: Round | None, *, publish: bool) -> Summary:
        decisions = self.shown(round_, publish=publish)
        members, complete, started = self.stores.answers.participation(round_.team_id, round_.id)
        participation = Participation(members=members, complete=complete, in_progress=started - complete)
        summary = summarise(
            self.framework,
            {area_id: sorted(d.shown.values()) for area_id, d in decisions.items()},
            participation,
            targets=self.stores.targets.for_round(round_),
            previous=self._previous_levels(previous_round),
            min_group=self.min_group,
        )
        areas = [
            replace(score, held_back=d.held_back, held_by=d.held_by, received=d.received)
            if (d := decisions.get(score.area_id)) is not None
            else score
            for score in summary.areas
        ]
        return Summary(areas=areas, themes=summary.themes, overall=summary.overall, participation=participation)

    def _previous_levels(self, previous_round: Round | None) -> dict[str, int]:
        """Team levels of the channel's previous closed round. A closed round never changes, so they are
        worked out once per process."""
        if previous_round is None:
            return {}
        key = (previous_round.team_id, previous_round.id)
        if key not in self._closed_levels:
            # What that round last showed, by the same rule: a trend reveals nothing its figures did not.
            decisions = self.shown(previous_round, publish=False)
            self._closed_levels[key] = team_levels({a: list(d.shown.values()) for a, d in decisions.items()})
        return self._closed_levels[key]


def as_levels(counts: dict[str, dict[int, int]]) -> dict[str, list[int]]:
    """{area: {level: count}} -> {area: [level, level, ...]} as the scoring functions take them."""
    return {
        area: [level for level, n in sorted(per_level.items()) for _ in range(n)] for area, per_level in counts.items()
    }


def round_label(round_: Round) -> str:
    """How a report names where the round ran: the channel's and the workspace's names recorded when it
    started ("#procurement, Example Council"), or the ids for rounds from before names were recorded."""
    if not round_.channel_name:
        return f"channel {round_.channel_id} (workspace {round_.team_id})"
    return f"#{round_.channel_name}, {round_.team_name}" if round_.team_name else f"#{round_.channel_name}"
