"""Publishing a member's App Home tab (on app_home_opened, and where a facilitator acts there): their rounds,
profile and actions, and for facilitators their channels' rounds with the team's open actions."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from results.figures import Results
from storage import Stores
from storage.models import utcnow

from .blocks.home import FacilitatedRound, MemberRound, home_view
from .permissions import Permissions
from .schedules import ScheduleSpec, format_moment
from .walkthrough import Walkthrough


@dataclass
class Home:
    stores: Stores
    results: Results
    walkthrough: Walkthrough
    permissions: Permissions

    def publish(self, client: WebClient, team_id: str, user_id: str, notice: str | None = None) -> None:
        client.views_publish(user_id=user_id, view=self.view(client, team_id, user_id, notice))

    def view(self, client: WebClient, team_id: str, user_id: str, notice: str | None = None) -> dict:
        member_rounds = [
            MemberRound(round_.id, round_.channel_id, self.walkthrough.progress(round_, user_id))
            for round_ in self.stores.rounds.open_for_member(team_id, user_id)
            if round_.framework_id in self.results.frameworks
        ]
        latest = self.stores.answers.latest_profile(team_id, user_id)
        # A framework taken out of the library since (its file removed) leaves its rounds off the Home tab
        # rather than the tab unpublishable.
        framework = self.results.frameworks.get(latest[0].framework_id) if latest else None
        profile = (latest[0].channel_id, framework, latest[1]) if latest and framework else None
        return home_view(
            frameworks=self.results.frameworks,
            member_rounds=member_rounds,
            profile=profile,
            facilitated=self._facilitated(client, team_id, user_id),
            notice=notice,
            my_actions=self.stores.plan.for_owner(team_id, user_id),
            today=utcnow().date(),
        )

    def _facilitated(self, client: WebClient, team_id: str, user_id: str) -> list[FacilitatedRound]:
        rounds = self.stores.rounds.open_in_workspace(team_id)
        if not rounds:
            return []
        admin = user_id in self.permissions.configured or self.permissions.is_workspace_admin(client, user_id)
        out = []
        for round_ in rounds:
            framework = self.results.frameworks.get(round_.framework_id)
            if framework is None:
                continue
            if not (
                admin
                or round_.started_by == user_id
                or user_id in self.permissions.facilitators.facilitators(team_id, round_.channel_id)
            ):
                continue
            schedule = self.stores.schedules.schedule(team_id, round_.channel_id)
            described = None
            if schedule is not None:
                spec = ScheduleSpec(schedule.frequency, schedule.day, schedule.time, schedule.timezone)
                described = f"{spec.describe()}; next {format_moment(spec.next_run(utcnow()), spec.timezone)}"
            actions = tuple(self.stores.plan.for_channel(team_id, round_.channel_id))
            out.append(
                FacilitatedRound(
                    round_.id,
                    round_.channel_id,
                    framework,
                    self.results.compute(round_),
                    described,
                    actions,
                )
            )
        return out
