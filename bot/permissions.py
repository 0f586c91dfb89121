"""Who may do what. Facilitators run rounds; members answer only for themselves.

A round's facilitators are the member who started it, the channel's extra facilitators
(`/maturity facilitators add`), the user ids in MATURITY_FACILITATORS, and the workspace's admins and
owners (users.info).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage.facilitators import FacilitatorStore
from storage.models import Round

log = logging.getLogger(__name__)


@dataclass
class Permissions:
    facilitators: FacilitatorStore
    configured: frozenset[str] = field(default_factory=frozenset)

    def is_facilitator(
        self, client: WebClient, team_id: str, channel_id: str, user_id: str, round_: Round | None = None
    ) -> bool:
        if round_ is not None and round_.started_by == user_id:
            return True
        if user_id in self.configured:
            return True
        if user_id in self.facilitators.facilitators(team_id, channel_id):
            return True
        return self.is_workspace_admin(client, user_id)

    @staticmethod
    def is_workspace_admin(client: WebClient, user_id: str) -> bool:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for a permission check: %s", error.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
