"""Slack listeners, grouped by kind. Each module has `register(app, services)`; the handlers themselves
are plain functions that take the services and Slack's arguments (bound by binding.listener, the one
idiom), so they can be tested alone. errors.py answers for any of them that fails after the ack."""

from __future__ import annotations

from slack_bolt import App

from ..services import Services
from . import actions, commands, errors, events, views
from .binding import listener


def register(app: App, services: Services) -> None:
    for module in (commands, actions, views, events):
        module.register(app, services)
    app.error(listener(services, errors.tell_person_it_failed))
