"""What happens to a workspace's rows when the app is uninstalled from it."""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlmodel import Session, SQLModel

from .models import Schedule


def workspace_tables() -> list:
    """Every table of ours that holds workspace rows (it has a team_id column), children before parents,
    so that a new table can never be left out of a workspace's deletion. (slack_sdk's installation store
    keeps its tables in a metadata of its own; bolt removes the installation on uninstall.)"""
    return [table for table in reversed(SQLModel.metadata.sorted_tables) if "team_id" in table.columns]


class WorkspaceStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def stop_schedules(self, team_id: str) -> int:
        with Session(self.engine) as session:
            result = session.exec(delete(Schedule).where(Schedule.team_id == team_id))
            session.commit()
            return result.rowcount

    def delete_all(self, team_id: str) -> None:
        """Every row the workspace has in every table of ours, in one transaction
        (MATURITY_DELETE_ON_UNINSTALL)."""
        with Session(self.engine) as session:
            for table in workspace_tables():
                session.exec(delete(table).where(table.c.team_id == team_id))
            session.commit()
