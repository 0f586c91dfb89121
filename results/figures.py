"""What a round's answers add up to: its summary (participation, team levels, targets, the trend against
the channel's previous closed round), its number in the channel, and the export files and report built
from them.

No Slack here, and no matplotlib or typst until a report is drawn. Everything comes in explicitly: the stores, the
framework and the smallest group whose answers may be shown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from framework.library import FrameworkLibrary
from framework.models import Framework
from framework.scoring import Participation, Summary, summarise, team_levels
from storage import Stores
from storage.kinds import RoundStatus
from storage.models import ActionItem, Round
from storage.published import State
from storage.records import AreaRecord, FinalRecord

from .anonymity import Decision, decide_all
from .csv_files import actions_csv, export_filename, round_export_files


@dataclass(frozen=True)
class RoundFigures:
    """What a report shows of a round besides the framework."""

    round: Round
    number: int  # the channel's 1st, 2nd... round
    summary: Summary
    previous_number: int | None  # the number of the previous closed round the trend compares with, if any
    previous_id: int | None = None  # that round's id
    previous_version: str | None = None  # the framework version it ran (the same framework id, maybe not version)


@dataclass
class Results:
    stores: Stores
    frameworks: FrameworkLibrary
    min_group: int
    _closed_levels: dict = field(default_factory=dict, repr=False)
    # What `shown` decided, by the state it decided on (see `shown`): summaries are asked for far more often
    # (Home tabs, scheduled and repeated summaries, exports) than a round's answers change.
    _decided: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _decided_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def framework_of(self, round_: Round) -> Framework:
        """The framework the round runs: its areas, levels and words, whatever the deployment's default."""
        return self.frameworks.require(round_.framework_id)

    def compute(self, round_: Round, *, publish: bool = True) -> Summary:
        """The round's summary as it may be shown now (see `shown`): every surface's figures come from here."""
        return self._summary(round_, self.stores.rounds.previous_closed(round_), publish=publish)

    def shown(self, round_: Round, *, publish: bool = True) -> dict[str, Decision]:
        """What each area may show now, by the anonymity rule (results/anonymity.py), from its answers and
        every view of it shown before. With `publish` (the default: the caller is about to show it), a view
        that may move is recorded first, in the transaction that decides it; without, the last recorded
        view is repeated. A closed round's views never change; one closed before views were recorded shows
        what its final summary showed then (every area with at least `min_group` answers).

        The rule is a function of each area's answers and recorded views, so a decision is kept by the
        area's state it was made on: its number of answers, its last answer change (every change of a level
        is a new row of the answers' history) and its number of recorded views; and the whole round's by the
        round's state, three scalar counts, which is all an unchanged round costs. Otherwise only the areas
        whose state is new are read and decided. States are read first, before the answers themselves, so a
        decision is never filed under a state newer than the one it saw."""
        if round_.status != RoundStatus.OPEN and (kept := self.stores.records.final(round_.team_id, round_.id)):
            return kept_decisions(kept)
        whole = self.stores.published.round_state(round_.team_id, round_.id)
        round_key = (round_.team_id, round_.id, round_.status, publish, None, whole)
        with self._decided_lock:
            if (kept_round := self._decided.get(round_key)) is not None:
                self._decided.move_to_end(round_key)
                return dict(kept_round)
        decisions = self._shown_by_area(round_, publish=publish)
        recorded = sum(1 for d in decisions.values() if d.publish)
        self._keep((*round_key[:5], whole.with_view(recorded)), decisions)
        return {area_id: replace(d, publish=False) for area_id, d in decisions.items()}

    def _shown_by_area(self, round_: Round, *, publish: bool) -> dict[str, Decision]:
        """`shown`, reading and deciding only the areas whose state no decision was kept for; a decision
        that recorded a new view says so (`publish`)."""
        states = self.stores.published.state(round_.team_id, round_.id)
        legacy = round_.status != RoundStatus.OPEN and not any(state.views for state in states.values())
        publish = publish and round_.status == RoundStatus.OPEN

        def key(area_id: str, state: State) -> tuple:
            return (round_.team_id, round_.id, round_.status, publish, area_id, state)

        decisions: dict[str, Decision] = {}
        with self._decided_lock:
            for area_id, state in states.items():
                if (kept := self._decided.get(key(area_id, state))) is not None:
                    self._decided.move_to_end(key(area_id, state))
                    decisions[area_id] = kept
        stale = [area_id for area_id in states if area_id not in decisions]
        if not stale:
            return decisions
        fresh: dict[str, Decision] = {}
        if publish:

            def new_views(current, history):
                fresh.clear()
                fresh.update(decide_all(current, history, self.min_group))
                return {area_id: d.shown for area_id, d in fresh.items() if d.publish}

            if self.stores.published.publish(round_.team_id, round_.id, new_views, stale) is not None:
                # Once recorded, a new view is simply the last one shown: what the last decision said.
                for area_id, decision in fresh.items():
                    state = states.get(area_id, State())
                    self._keep(key(area_id, state.with_view() if decision.publish else state), decision)
                    decisions[area_id] = decision
                return decisions
            round_ = self.stores.rounds.get(round_.team_id, round_.id) or round_  # closed meanwhile
            if (kept := self.stores.records.final(round_.team_id, round_.id)) is not None:
                return kept_decisions(kept)  # and its answers may already be going
            return self._shown_by_area(round_, publish=False)
        current, history = self.stores.published.read(round_.team_id, round_.id, stale)
        for area_id, decision in decide_all(current, history, self.min_group, may_publish=legacy).items():
            decisions[area_id] = self._keep(key(area_id, states.get(area_id, State())), decision)
        return decisions

    def _keep(self, key: tuple, decision):
        """File a decision (an area's, or a whole round's dict of them) under the state it was made on."""
        if isinstance(decision, Decision):
            decision = replace(decision, publish=False)
        else:
            decision = {area_id: replace(d, publish=False) for area_id, d in decision.items()}
        with self._decided_lock:
            self._decided[key] = decision
            while len(self._decided) > 4096:
                self._decided.popitem(last=False)
        return decision

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
            previous_id=previous.id if previous is not None else None,
            previous_version=previous.framework_version if previous is not None else None,
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
            self.framework_of(round_), round_, number, participants, answers, self.compute(round_), channel_name, names
        )

    def actions(self, round_: Round) -> list[ActionItem]:
        """The actions of the round's channel, open and done, soonest due first (they belong to the channel,
        not to the round)."""
        return self.stores.plan.for_channel(round_.team_id, round_.channel_id, open_only=False)

    def action_owner_ids(self, round_: Round) -> list[str]:
        """The owners of the channel's actions, for a caller that looks their names up."""
        return sorted({action.owner_id for action in self.actions(round_)})

    def actions_file(self, round_: Round, channel_name: str, names: dict[str, str] | None = None) -> tuple[str, bytes]:
        """(filename, bytes) of the channel's actions CSV, named like the round's other exports. `names` are
        the owners' display names, looked up by the caller (in any round: owning an action is not an
        answer); without one an owner is their user id only."""
        actions = self.actions(round_)
        return (
            export_filename("actions", channel_name, self.stores.rounds.number(round_)),
            actions_csv(self.framework_of(round_), actions, self._round_numbers(round_.team_id, actions), names),
        )

    def _round_numbers(self, team_id: str, actions: list[ActionItem]) -> dict[int, int]:
        """{round id: the channel's number of that round} for the rounds the actions were agreed in."""
        numbers = {}
        for round_id in {action.round_id for action in actions if action.round_id is not None}:
            agreed = self.stores.rounds.get(team_id, round_id)
            if agreed is not None:
                numbers[round_id] = self.stores.rounds.number(agreed)
        return numbers

    def report_pdf(self, round_: Round, label: str, owner_names: dict[str, str] | None = None) -> tuple[int, bytes]:
        """The round's PDF report for leaders (results/report.py): (round number, PDF bytes). Its action plan
        is the channel's actions; `owner_names` are their owners' display names, looked up by the caller
        (without, an owner appears as their Slack user id)."""
        from .report import round_report_pdf  # matplotlib and typst load only when a report is drawn

        figures = self.figures(round_)
        pdf = round_report_pdf(
            self.framework_of(round_),
            round_,
            figures.summary,
            round_number=figures.number,
            channel_label=label,
            min_group=self.min_group,
            previous_round_number=figures.previous_number,
            actions=self.actions(round_),
            owner_names=owner_names,
            previous_round_id=figures.previous_id,
            previous_round_version=figures.previous_version,
        )
        return figures.number, pdf

    def participation(self, round_: Round) -> Participation:
        """How many members the round has, and how far they got (from its kept record, once it has one)."""
        if round_.status != RoundStatus.OPEN and (kept := self.stores.records.final(round_.team_id, round_.id)):
            return Participation(members=kept.members, complete=kept.complete, in_progress=kept.in_progress)
        members, complete, started = self.stores.answers.participation(round_.team_id, round_.id)
        return Participation(members=members, complete=complete, in_progress=started - complete)

    def keep_final(self, round_: Round) -> bool:
        """Keep a closed round's figures as it shows them now, with nobody named (storage/records.py), so
        that its individual answers can be deleted without changing them. False when already kept (or open)."""
        if round_.status == RoundStatus.OPEN or self.stores.records.final(round_.team_id, round_.id) is not None:
            return False
        participation = self.participation(round_)
        areas = {
            area_id: AreaRecord(tuple(d.shown.values()), d.held_back, d.held_by, d.received)
            for area_id, d in self.shown(round_, publish=False).items()
        }
        return self.stores.records.keep_final(
            round_.team_id,
            round_.id,
            members=participation.members,
            complete=participation.complete,
            in_progress=participation.in_progress,
            areas=areas,
        )

    def _summary(self, round_: Round, previous_round: Round | None, *, publish: bool) -> Summary:
        decisions = self.shown(round_, publish=publish)
        participation = self.participation(round_)
        summary = summarise(
            self.framework_of(round_),
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


def kept_decisions(kept: FinalRecord) -> dict[str, Decision]:
    """A kept record's areas as the decisions they were kept from: the levels shown (under stand-in names:
    the figures need only the levels), what they held back and why."""
    return {
        area_id: Decision(
            shown={f"answer {i}": level for i, level in enumerate(area.levels, 1)},
            held_back=area.held_back,
            held_by=area.held_by,
            received=area.received,
        )
        for area_id, area in kept.areas.items()
    }


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
