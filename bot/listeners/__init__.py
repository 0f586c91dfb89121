"""Slack listeners, grouped by kind. Each module has `register(app, services)`; the handlers themselves
are plain functions that take the services and Slack's arguments, so they can be tested alone."""

from __future__ import annotations

from slack_bolt import App

from ..services import Services
from . import actions, commands, events, views


def register(app: App, services: Services) -> None:
    for module in (commands, actions, views, events):
        module.register(app, services)
