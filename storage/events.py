"""Slack events already acted on, so that Slack's retries of one event change nothing."""

from __future__ import annotations

from sqlalchemy import Engine

from .db import insert_once
from .models import ProcessedEvent


class EventLog:
    def __init__(self, engine: Engine):
        self.engine = engine

    def first_delivery(self, team_id: str, event_id: str) -> bool:
        """True the first time an event id is seen for a workspace; False for Slack's retries."""
        return insert_once(self.engine, ProcessedEvent(team_id=team_id, event_id=event_id))
