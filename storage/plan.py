"""A channel's action plan: actions per area with an owner, a due date and the level they aim for.

Every method takes the workspace (team) id and filters on it. Each change is one transaction with its audit
entry and, where someone must be told (a new owner), the owed message: killed at any moment, an action is
either unchanged or changed, recorded and owed its message. Edits are plain UPDATEs of the fields they
change, so of two facilitators editing at once the last write wins and both read back the result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine, case, func, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from .kinds import ActionStatus
from .models import ActionItem, ActionPolicy, AuditEntry, OutboxMessage, utcnow
from .outbox import Owed, add_owed

# The message an action's (new) owner is owed, built once the action has its id.
TellOwner = Callable[[ActionItem], Owed]


class ActionPlanStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- reading ------------------------------------------------------------------------------------------

    def get(self, team_id: str, action_id: int) -> ActionItem | None:
        with Session(self.engine) as session:
            return session.exec(
                select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.id == action_id)
            ).first()

    def for_channel(self, team_id: str, channel_id: str, *, open_only: bool = True) -> list[ActionItem]:
        """The channel's actions, soonest due first (so the overdue lead)."""
        status = [ActionItem.status == ActionStatus.OPEN] if open_only else []
        return self._listed(team_id, ActionItem.channel_id == channel_id, *status)

    def of_round(self, team_id: str, round_id: int) -> list[ActionItem]:
        """The actions agreed in a round (open and done), soonest due first."""
        return self._listed(team_id, ActionItem.round_id == round_id)

    def for_owner(self, team_id: str, owner_id: str) -> list[ActionItem]:
        """A person's open actions in every channel of the workspace, soonest due first."""
        return self._listed(team_id, ActionItem.owner_id == owner_id, ActionItem.status == ActionStatus.OPEN)

    def _listed(self, team_id: str, *where) -> list[ActionItem]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(ActionItem)
                    .where(ActionItem.team_id == team_id, *where)
                    .order_by(col(ActionItem.due_on), col(ActionItem.id))
                )
            )

    def due_between(self, first: date, last: date) -> list[ActionItem]:
        """Open actions of every workspace due from `first` to `last` (the clock's reminders)."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(ActionItem).where(
                        ActionItem.status == ActionStatus.OPEN,
                        col(ActionItem.due_on) >= first,
                        col(ActionItem.due_on) <= last,
                    )
                )
            )

    def counts(self, team_id: str, channel_id: str, framework_id: str, today: date) -> dict[str, tuple[int, int]]:
        """Per area of the channel's plan: (open actions, of them overdue), in one grouped query (an index
        on workspace, channel and status keeps it cheap however many actions the channel has)."""
        table = ActionItem.__table__
        overdue = func.sum(case((table.c.due_on < today, 1), else_=0))
        query = (
            core_select(table.c.area_id, func.count(), overdue)
            .where(
                table.c.team_id == team_id,
                table.c.channel_id == channel_id,
                table.c.status == ActionStatus.OPEN,
                table.c.framework_id == framework_id,
            )
            .group_by(table.c.area_id)
        )
        with self.engine.connect() as conn:
            return {area_id: (count, int(late or 0)) for area_id, count, late in conn.execute(query)}

    def members_may_add(self, team_id: str, channel_id: str) -> bool:
        with Session(self.engine) as session:
            policy = session.exec(
                select(ActionPolicy).where(ActionPolicy.team_id == team_id, ActionPolicy.channel_id == channel_id)
            ).first()
        return bool(policy and policy.members_may_add)

    # -- changing -----------------------------------------------------------------------------------------

    def add(
        self,
        *,
        team_id: str,
        channel_id: str,
        framework_id: str,
        area_id: str,
        round_id: int | None,
        text: str,
        owner_id: str,
        due_on: date,
        aim_level: int | None,
        by: str,
        tell_owner: TellOwner,
    ) -> tuple[ActionItem, OutboxMessage]:
        """A new open action, its audit entry and the message its owner is owed, in one transaction."""
        with Session(self.engine) as session:
            item = ActionItem(
                team_id=team_id,
                channel_id=channel_id,
                framework_id=framework_id,
                area_id=area_id,
                round_id=round_id,
                text=text,
                owner_id=owner_id,
                due_on=due_on,
                aim_level=aim_level,
                status=ActionStatus.OPEN,
                created_by=by,
                updated_by=by,
            )
            session.add(item)
            session.flush()
            _audit(session, item, by, "action added", f"#{item.id} {area_id}, owner <@{owner_id}>, due {due_on}")
            message = add_owed(session, team_id, tell_owner(item))
            session.commit()
            session.refresh(item)
            session.refresh(message)
            return item, message

    def mark_done(self, team_id: str, action_id: int, by: str) -> ActionItem | None:
        """Mark an open action done; None when it is not open (done already, or no such action)."""
        changed = self._update(team_id, action_id, by, "action done", "", status=ActionStatus.DONE, done_at=utcnow())
        return self.get(team_id, action_id) if changed else None

    def change_due(self, team_id: str, action_id: int, due_on: date, by: str) -> ActionItem | None:
        changed = self._update(team_id, action_id, by, "action date", f"due {due_on}", due_on=due_on)
        return self.get(team_id, action_id) if changed else None

    def hand_over(self, team_id: str, action_id: int, owner_id: str, by: str, tell_owner: TellOwner):
        """Give an open action to someone else and owe them a message saying so, in one transaction;
        (action, message) or None when the action is not open."""
        with Session(self.engine) as session:
            changed = session.exec(
                _open_update(team_id, action_id).values(owner_id=owner_id, updated_by=by, updated_at=utcnow())
            ).rowcount
            if not changed:
                session.rollback()
                return None
            item = session.exec(select(ActionItem).where(ActionItem.id == action_id)).one()
            _audit(session, item, by, "action handed over", f"#{action_id} to <@{owner_id}>")
            message = add_owed(session, team_id, tell_owner(item))
            session.commit()
            session.refresh(item)
            session.refresh(message)
            return item, message

    def set_members_may_add(self, team_id: str, channel_id: str, allowed: bool, by: str) -> None:
        with Session(self.engine) as session:
            policy = session.exec(
                select(ActionPolicy).where(ActionPolicy.team_id == team_id, ActionPolicy.channel_id == channel_id)
            ).first() or ActionPolicy(team_id=team_id, channel_id=channel_id, set_by=by)
            policy.members_may_add, policy.set_by, policy.set_at = allowed, by, utcnow()
            session.add(policy)
            session.add(
                AuditEntry(
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=by,
                    action="actions policy",
                    detail="members may add actions" if allowed else "only facilitators add actions",
                )
            )
            session.commit()

    def _update(self, team_id: str, action_id: int, by: str, what: str, detail: str, **values) -> bool:
        with Session(self.engine) as session:
            changed = session.exec(
                _open_update(team_id, action_id).values(updated_by=by, updated_at=utcnow(), **values)
            ).rowcount
            if not changed:
                session.rollback()
                return False
            item = session.exec(select(ActionItem).where(ActionItem.id == action_id)).one()
            _audit(session, item, by, what, f"#{action_id} {detail}".strip())
            session.commit()
            return True


def _open_update(team_id: str, action_id: int):
    table = ActionItem.__table__
    return update(table).where(table.c.team_id == team_id, table.c.id == action_id, table.c.status == ActionStatus.OPEN)


def _audit(session: Session, item: ActionItem, by: str, action: str, detail: str) -> None:
    session.add(
        AuditEntry(
            team_id=item.team_id,
            channel_id=item.channel_id,
            round_id=item.round_id,
            user_id=by,
            action=action,
            detail=detail[:200],
        )
    )
