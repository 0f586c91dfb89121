"""The action plan's flows in Slack: adding an action from the form, telling and reminding its owner, and
the owner's (or a facilitator's) Done, Change date and Hand over.

Every message an owner is owed goes through the outbox (exactly once, within Slack's limits, never lost);
the clock's reminders are claimed per action, occasion and due date (storage/schedules.py `claim`), so two
clocks never both remind. What a person typed is checked before anything is written; a refusal names the
field and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.library import FrameworkLibrary
from storage import Stores
from storage.answers import clean_text
from storage.kinds import ActionStatus, ClaimKind, MessageKind
from storage.models import ActionItem, OutboxMessage, utcnow
from storage.outbox import Owed

from . import outbox_keys
from .blocks import plan as blocks
from .outbox import Sender
from .permissions import Permissions

SOON_DAYS = 3  # the owner is reminded this many days before an action is due, and on the day
NOT_ALLOWED_TO_ADD = (
    "Only the channel's facilitators can add actions here (they can let members add them too). Nothing was saved."
)


class Refused(Exception):
    """Input we will not act on: `errors` maps a form's block to its reason (or "" to the whole request)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class NewAction:
    channel_id: str
    round_id: int | None
    framework_id: str  # the framework whose areas the form offered (the channel's)
    area_id: str
    text: str
    owner_id: str
    due_on: date
    aim_level: int | None


class ActionPlan:
    def __init__(self, stores: Stores, frameworks: FrameworkLibrary, sender: Sender, permissions: Permissions):
        self.stores = stores
        self.frameworks = frameworks
        self.sender = sender
        self.permissions = permissions

    # -- who may do what --------------------------------------------------------------------------------

    def may_add(self, client: WebClient, team_id: str, channel_id: str, user_id: str) -> bool:
        """Facilitators always; members when the channel's facilitators allow it."""
        round_ = self.stores.rounds.latest_in_channel(team_id, channel_id)
        return self.stores.plan.members_may_add(team_id, channel_id) or self.permissions.is_facilitator(
            client, team_id, channel_id, user_id, round_
        )

    def may_change(self, client: WebClient, item: ActionItem, user_id: str) -> bool:
        """An action's owner and the channel's facilitators."""
        if item.owner_id == user_id:
            return True
        round_ = self.stores.rounds.latest_in_channel(item.team_id, item.channel_id)
        return self.permissions.is_facilitator(client, item.team_id, item.channel_id, user_id, round_)

    # -- checks -------------------------------------------------------------------------------------------

    def check_new(self, client: WebClient, new: NewAction, today: date) -> NewAction:
        """The action as it will be stored (text cleaned), or Refused naming each field that is wrong."""
        errors: dict[str, str] = {}
        framework = self.frameworks.get(new.framework_id)
        if framework is None or framework.area(new.area_id) is None:
            errors[blocks.AREA] = "Choose one of the framework's areas."
        text = clean_text(new.text or "").strip()
        if not text:
            errors[blocks.TEXT] = "Say what will be done."
        elif len(text) > blocks.TEXT_LIMIT:
            errors[blocks.TEXT] = f"Please keep it under {blocks.TEXT_LIMIT} characters."
        if new.aim_level is not None and (framework is None or framework.level(new.aim_level) is None):
            errors[blocks.AIM] = "Choose one of the framework's levels."
        try:
            self.check_due(new.due_on, today)
        except Refused as refused:
            errors.update(refused.errors)
        try:
            self.check_owner(client, new.owner_id)
        except Refused as refused:
            errors.update(refused.errors)
        if errors:
            raise Refused(errors)
        return replace(new, text=text)

    @staticmethod
    def check_due(due_on: date | None, today: date) -> None:
        if due_on is None:
            raise Refused({blocks.DUE: "Choose the date it is due."})
        if due_on < today:
            raise Refused({blocks.DUE: "That date has passed: choose today or a later day."})

    @staticmethod
    def check_owner(client: WebClient, owner_id: str | None) -> None:
        """The owner must be a person of this workspace: not a bot, not a deactivated account."""
        if not owner_id:
            raise Refused({blocks.OWNER: "Choose who owns it."})
        try:
            user = client.users_info(user=owner_id)["user"]
        except SlackApiError:
            raise Refused({blocks.OWNER: "I can't find that person in this workspace."}) from None
        if user.get("is_bot") or user.get("id") == "USLACKBOT":
            raise Refused({blocks.OWNER: "A bot can't own an action: choose a person."})
        if user.get("deleted"):
            raise Refused({blocks.OWNER: "That account is deactivated: choose someone else."})

    # -- changes ------------------------------------------------------------------------------------------

    def add(self, team_id: str, new: NewAction, by: str) -> tuple[ActionItem, OutboxMessage]:
        """Record the action with the message its owner is owed (before the form is answered, so that a
        database that fails keeps the form open with what was typed); `tell` sends the message."""
        return self.stores.plan.add(
            team_id=team_id,
            channel_id=new.channel_id,
            framework_id=new.framework_id,
            area_id=new.area_id,
            round_id=new.round_id,
            text=new.text,
            owner_id=new.owner_id,
            due_on=new.due_on,
            aim_level=new.aim_level,
            by=by,
            tell_owner=lambda item: self._owner_owed(item, heading=self._assigned_heading(item, by)),
        )

    def tell(self, client: WebClient, message: OutboxMessage) -> None:
        self.sender.deliver(client, message.id)

    def hand_over(self, client: WebClient, item: ActionItem, owner_id: str, by: str) -> ActionItem | None:
        self.check_owner(client, owner_id)
        result = self.stores.plan.hand_over(
            item.team_id,
            item.id,
            owner_id,
            by,
            lambda changed: self._owner_owed(changed, heading=f"<@{by}> handed you an action:"),
        )
        if result is None:
            return None
        changed, message = result
        self.sender.deliver(client, message.id)
        return changed

    def owner_view(self, item: ActionItem, heading: str) -> tuple[str, list[dict]]:
        return blocks.owner_message(self.frameworks, item, utcnow().date(), heading=heading)

    # -- the clock's reminders ----------------------------------------------------------------------------

    def remind_owners(self, now: datetime) -> int:
        """Remind owners of actions due in SOON_DAYS days (if they were added before that) and on the day;
        each once. The messages go through the outbox (the senders deliver them)."""
        today = now.astimezone(UTC).date()
        owed = 0
        for item in self.stores.plan.due_between(today, today + timedelta(days=SOON_DAYS)):
            if item.due_on == today:
                kind, occasion, heading = ClaimKind.ACTION_DUE, "due", "Reminder: this action is due today."
            elif item.created_at.astimezone(UTC).date() < item.due_on - timedelta(days=SOON_DAYS):
                days = (item.due_on - today).days
                kind, occasion = ClaimKind.ACTION_DUE_SOON, "soon"
                heading = f"Reminder: this action is due in {days} day{'s' if days != 1 else ''}."
            else:
                continue
            slot = datetime.combine(item.due_on, time(), tzinfo=UTC)
            text, message_blocks = self.owner_view(item, heading)
            message = self.stores.schedules.claim(
                item.team_id,
                kind,
                str(item.id),
                slot,
                owed=Owed(
                    key=outbox_keys.action_reminder(item.id, occasion, item.due_on),
                    kind=MessageKind.ACTION,
                    channel=item.owner_id,
                    text=text,
                    blocks=message_blocks,
                    ref_id=item.id,
                ),
            )
            owed += message is not None
        return owed

    # -- helpers ------------------------------------------------------------------------------------------

    @staticmethod
    def _assigned_heading(item: ActionItem, by: str) -> str:
        return "You added an action you own:" if by == item.owner_id else f"<@{by}> gave you an action:"

    def _owner_owed(self, item: ActionItem, *, heading: str) -> Owed:
        text, message_blocks = self.owner_view(item, heading)
        return Owed(
            key=outbox_keys.action_owner(item.id),
            kind=MessageKind.ACTION,
            channel=item.owner_id,
            text=text,
            blocks=message_blocks,
            ref_id=item.id,
        )


def is_open(item: ActionItem | None) -> bool:
    return item is not None and item.status == ActionStatus.OPEN
