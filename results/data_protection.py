"""UK GDPR's two duties the product carries out itself: keeping individual answers no longer than the
council chose (retention) and forgetting a member who asks (erasure).

Both delete individual rows (storage/records.py) and both must leave every closed round showing exactly
what it showed, so both first keep a closed round's figures as aggregates (`Results.keep_final`). The clock
runs retention; `/maturity forget me` and `python -m bot erase` run erasure. No Slack here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import Stores
from storage.kinds import RoundStatus
from storage.records import Erasure, NeedsRecord

from .figures import Results

ATTEMPTS = 5  # a round may close while a member is being erased: keep its record and erase again


@dataclass(frozen=True)
class DataProtection:
    stores: Stores
    results: Results
    retention_days: int | None = None  # MATURITY_RETENTION_DAYS; None keeps answers until deleted otherwise

    def erase_member(self, team_id: str | None, user_id: str, *, by: str) -> dict[str, Erasure]:
        """Delete a member's answers, comments, history, prompts and reminders in every round of the
        workspace (of every workspace when `team_id` is None), keeping each closed round's figures first.
        Returns what was deleted per workspace; the audit log records the same counts, never the answers."""
        for _ in range(ATTEMPTS):
            for round_ in self.stores.records.rounds_of_member(team_id, user_id):
                if round_.status == RoundStatus.CLOSED:
                    self.results.keep_final(round_)
            try:
                return self.stores.records.erase_member(team_id, user_id, by=by)
            except NeedsRecord:
                continue
        raise RuntimeError(f"could not erase {user_id}: rounds kept closing meanwhile")

    def apply_retention(self, now: datetime) -> int:
        """Delete the individual answers of every round closed more than `retention_days` ago (keeping its
        figures); the number of rounds done. Nothing when retention is off."""
        if self.retention_days is None:
            return 0
        closed_before = now - timedelta(days=self.retention_days)
        done = 0
        for round_ in self.stores.records.past_retention(closed_before):
            self.results.keep_final(round_)
            self.stores.records.delete_answers(round_.team_id, round_.id, now)
            done += 1
        self.stores.records.forget_claims(closed_before)
        return done
