"""The walk-through as a sequence of Slack messages, driven by the stored state.

Each step reads the state from storage, asks framework/progress.py what comes next, claims the prompt in
the database and only then posts it. Because the claim is a unique row, a repeated click, two clicks at
once or a retried request can never post the same prompt twice, and a resume never duplicates anything.
The Slack client is passed into every call: in a multi-workspace install it is a different client (token)
per request.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

from slack_sdk import WebClient

from framework.library import FrameworkLibrary
from framework.models import Framework
from framework.progress import Progress
from storage import Stores
from storage.answers import AnswerResult, PromptFor, Step, shown_update
from storage.kinds import MessageKind
from storage.models import Answer, Participant, Prompt, Round
from storage.outbox import Owed

from . import outbox_keys
from .blocks import walkthrough as blocks
from .outbox import Sender
from .parent_updates import ParentUpdates

log = logging.getLogger(__name__)

KICKOFF_SENDERS = 3


class StoredButNotShown(Exception):
    """What the member entered is stored; what failed after it is only Slack catching up with it (the next
    prompt, the answered prompt), which the outbox and the clock finish. Raised from the original error so
    the person is told that, not that nothing was saved."""


@dataclass
class Walkthrough:
    stores: Stores
    frameworks: FrameworkLibrary  # each round is walked through in its own framework
    sender: Sender
    parents: ParentUpdates = field(default_factory=lambda: ParentUpdates(delay=0))

    def __post_init__(self) -> None:
        # A prompt's text and blocks depend only on the round and the area: built once, not on every click.
        self._prompt_text = lru_cache(maxsize=4096)(self._build_prompt)
        # So do an answered prompt's, without a comment, and the level chosen.
        self._answered_text = lru_cache(maxsize=8192)(self._build_answered)
        # And the parent message's, and what it shows of the member's progress (_parent_state).
        self._parent_text = lru_cache(maxsize=4096)(self._build_parent)

    def framework(self, round_: Round) -> Framework:
        return self.frameworks.require(round_.framework_id)

    def _build_prompt(self, framework_id: str, round_id: int, area_id: str) -> tuple[str, list[dict]]:
        framework = self.frameworks.require(framework_id)
        return blocks.area_prompt(round_id=round_id, framework=framework, area=framework.area(area_id))

    def _build_answered(self, framework_id: str, round_id: int, area_id: str, level: int) -> tuple[str, list[dict]]:
        framework = self.frameworks.require(framework_id)
        return blocks.answered_prompt(
            round_id=round_id, framework=framework, area=framework.area(area_id), level=level, comment=None
        )

    # -- the parent message ----------------------------------------------------------------------------

    def _build_parent(
        self, framework_id: str, round_id: int, channel_id: str, state: tuple[int, bool, bool]
    ) -> tuple[str, list[dict]]:
        done, started, _ = state
        return blocks.parent_message(
            round_id=round_id,
            channel_id=channel_id,
            framework=self.frameworks.require(framework_id),
            done=done,
            started=started,
        )

    def parent_text(self, round_: Round, progress: Progress) -> tuple[str, list[dict]]:
        """The parent message showing `progress` (shared, never to be changed by the caller)."""
        return self._parent_text(round_.framework_id, round_.id, round_.channel_id, _parent_state(progress))

    def progress(self, round_: Round, user_id: str) -> Progress:
        return self.stores.answers.progress(round_.team_id, round_.id, user_id, self.framework(round_).area_ids)

    def kickoff_message(self, round_: Round, participant: Participant) -> Owed:
        """The kick-off a new participant is owed: the parent message of their thread, sent to their user
        id (Slack opens the DM)."""
        text, message_blocks = self.parent_text(round_, Progress(self.framework(round_).area_ids))
        return Owed(
            key=outbox_keys.kickoff(round_.id, participant.user_id),
            kind=MessageKind.KICKOFF,
            ref_id=participant.id,
            channel=participant.user_id,
            text=text,
            blocks=message_blocks,
        )

    def kickoff(self, client: WebClient, round_: Round) -> int:
        """Send the round's owed kick-off messages (and whatever else the workspace owes, oldest first);
        returns how many this process sent (the rest stay owed, or were sent by other processes).

        A few senders work side by side so that each message's database work and round trip overlap with
        the next one's; every other process's outbox workers join in through the same queue, and the
        shared pacing keeps them, together, within Slack's limits."""

        def drain(_: int) -> int:
            sent = 0
            while (outcome := self.sender.send_next(lambda _team: client, team_id=round_.team_id)) is not None:
                sent += outcome
            return sent

        with ThreadPoolExecutor(max_workers=KICKOFF_SENDERS, thread_name_prefix="kickoff") as pool:
            return sum(pool.map(drain, range(KICKOFF_SENDERS)))

    def send_parent(self, client: WebClient, round_: Round, participant: Participant) -> Participant:
        """Make sure the member has their parent message (enqueue it if need be, and send it)."""
        message = self.stores.outbox.enqueue(round_.team_id, self.kickoff_message(round_, participant))
        self.sender.deliver(client, message.id)
        return self.stores.answers.participant(round_.team_id, round_.id, participant.user_id)

    def refresh_parent(self, client: WebClient, round_: Round, participant: Participant, progress: Progress) -> None:
        """Show the member's progress at the top of their thread, at once."""
        self.parents.now(
            participant.id, _parent_state(progress), self._parent_update(client, round_, participant, progress)
        )

    def _refresh_parent_soon(
        self, client: WebClient, round_: Round, participant: Participant, progress: Progress
    ) -> None:
        self.parents.soon(
            participant.id, _parent_state(progress), self._parent_update(client, round_, participant, progress)
        )

    def _parent_update(self, client: WebClient, round_: Round, participant: Participant, progress: Progress):
        def update() -> None:  # drawn when it runs: a coalesced update that never runs is never drawn
            text, message_blocks = self.parent_text(round_, progress)
            client.chat_update(
                channel=participant.dm_channel_id, ts=participant.thread_ts, text=text, blocks=message_blocks
            )

        return update

    # -- moving on -------------------------------------------------------------------------------------

    def resume(self, client: WebClient, round_: Round, participant: Participant) -> str:
        """Pick up where the member left off (Continue, a second start, a direct message)."""
        if participant.thread_ts is None:
            participant = self.send_parent(client, round_, participant)
        if participant.thread_ts is None:
            # Another sender may hold the kick-off right now: posted, not yet marked sent (a click on a DM
            # that has just arrived). Give it a moment rather than leave the click unanswered.
            participant = self._thread_of(round_, participant)
            if participant.thread_ts is None:
                return "owed"  # Slack is failing; the kick-off stays owed and goes out later
        return self.advance(client, round_, participant, resuming=True)

    def _thread_of(self, round_: Round, participant: Participant, wait: float = 3.0) -> Participant:
        deadline = time.monotonic() + wait
        while participant.thread_ts is None and time.monotonic() < deadline:
            time.sleep(0.1)
            participant = self.stores.answers.participant(round_.team_id, round_.id, participant.user_id)
        return participant

    def advance(self, client: WebClient, round_: Round, participant: Participant, *, resuming: bool = False) -> str:
        """Post the next area if one is due. Returns what happened: posted, owed, waiting, complete or paused."""
        step = self.stores.answers.claim_next(
            round_,
            participant.user_id,
            self.framework(round_).area_ids,
            self.prompt_for(round_, participant),
            resuming=resuming,
        )
        outcome = self._post_step(client, round_, participant, step, resuming=resuming)
        if outcome == "posted" and _first_prompt(step.progress):
            self.refresh_parent(client, round_, participant, step.progress)  # Start becomes Continue
        self._show_unshown(client, round_, participant, step.unshown)
        return outcome

    def prompt_for(self, round_: Round, participant: Participant) -> PromptFor:
        def owed(area_id: str, prompt: Prompt) -> Owed:
            text, message_blocks = self._prompt_text(round_.framework_id, round_.id, area_id)
            return Owed(
                key=outbox_keys.prompt(prompt.id),
                kind=MessageKind.PROMPT,
                ref_id=prompt.id,
                channel=participant.dm_channel_id,
                thread_ts=participant.thread_ts,
                text=text,
                blocks=message_blocks,
            )

        return owed

    def _post_step(
        self,
        client: WebClient,
        round_: Round,
        participant: Participant,
        step: Step,
        *,
        resuming: bool,
        meanwhile=None,
    ) -> str:
        """Send the prompt a step claimed (with what follows it in Slack before it is marked sent: see
        `Sender.send_leased`), or say why there is none."""
        if step.message is not None:
            posted = self.sender.send_leased(client, step.message, meanwhile)
            return "posted" if posted is not None else "owed"
        progress = step.progress
        if step.lost_race:
            return "waiting"  # another request claimed it a moment ago
        if progress.complete:
            return "complete"
        waiting = progress.waiting()
        if waiting is not None:
            if resuming:
                self._thread_note(client, participant, blocks.waiting_note(self.framework(round_).area(waiting)))
            return "waiting"
        self._thread_note(client, participant, blocks.skipped_left_note(len(progress.skipped)))
        return "paused"

    def _thread_note(self, client: WebClient, participant: Participant, text: str) -> None:
        client.chat_postMessage(channel=participant.dm_channel_id, thread_ts=participant.thread_ts, text=text)

    # -- clicks on a prompt ----------------------------------------------------------------------------

    def answer(
        self, client: WebClient, round_: Round, participant: Participant, area_id: str, level: int, prompt_ts: str
    ) -> None:
        """A level clicked: the answer and the next prompt's claim in one transaction, then the next prompt
        (what the member waits for), then the answered prompt, then (later, coalesced) the progress."""
        result = self.stores.answers.record_answer(
            round_=round_,
            user_id=participant.user_id,
            area_id=area_id,
            level=level,
            next_prompt=self.prompt_for(round_, participant),
            area_ids=self.framework(round_).area_ids,
        )
        if not result.changed:  # the same click again: nothing new, unless its prompt missed the first one
            self.show_pending(client, round_, participant)
            return
        try:
            self.after_answer(client, round_, participant, area_id, prompt_ts, result)
        except Exception as error:
            raise StoredButNotShown() from error

    def after_comment(
        self, client: WebClient, round_: Round, participant: Participant, area_id: str, result: AnswerResult
    ) -> None:
        """What Slack shows once a comment (and, for an area not answered yet, its level) is stored."""
        if not result.changed:
            return
        prompt = self.stores.answers.latest_prompt(round_.team_id, round_.id, participant.user_id, area_id)
        shown_ts = prompt.ts if prompt is not None else None
        if result.first:
            self.after_answer(client, round_, participant, area_id, shown_ts, result)
        elif shown_ts is not None:
            self.show_answer(
                client, round_, participant, area_id, shown_ts, answer=result.answer, revision=result.revision
            )

    def after_answer(
        self,
        client: WebClient,
        round_: Round,
        participant: Participant,
        area_id: str,
        shown_ts: str | None,
        result: AnswerResult,
    ) -> None:
        """After an answer is stored: the next area first (it is what the member waits for), then the answered
        prompt, then the progress at the top of the thread, or, at the end, the member's profile."""
        step = result.step
        shown = False

        def show_then_mark() -> list:
            """Once the next prompt is in Slack: the answered prompt, recorded as shown in the transaction
            that marks the next prompt sent."""
            nonlocal shown
            self.show_answer(client, round_, participant, area_id, shown_ts, answer=result.answer)
            shown = True  # (had it failed, it is tried once more below, as if it had not been tried here)
            return [shown_update(round_.team_id, round_.id, participant.user_id, area_id, result.revision)]

        if step is not None:
            meanwhile = show_then_mark if shown_ts is not None and result.revision else None
            self._post_step(client, round_, participant, step, resuming=False, meanwhile=meanwhile)
        if shown_ts is not None and not shown:
            self.show_answer(
                client, round_, participant, area_id, shown_ts, answer=result.answer, revision=result.revision
            )
        progress = step.progress if step is not None else self.progress(round_, participant.user_id)
        if result.completed_now:
            self.refresh_parent(client, round_, participant, progress)
            self._post_profile(client, round_, participant)
        else:
            self._refresh_parent_soon(client, round_, participant, progress)
        if step is not None:
            self._show_unshown(client, round_, participant, [p for p in step.unshown if p.area_id != area_id])

    def _post_profile(self, client: WebClient, round_: Round, participant: Participant) -> None:
        levels = {
            a.area_id: a.level for a in self.stores.answers.answers(round_.team_id, round_.id, participant.user_id)
        }
        text, message_blocks = blocks.profile_message(
            framework=self.framework(round_), channel_id=round_.channel_id, levels=levels
        )
        client.chat_postMessage(
            channel=participant.dm_channel_id, thread_ts=participant.thread_ts, text=text, blocks=message_blocks
        )

    def show_answer(
        self,
        client: WebClient,
        round_: Round,
        participant: Participant,
        area_id: str,
        prompt_ts: str,
        *,
        answer: Answer | None = None,
        revision: int = 0,
    ) -> None:
        """Update the prompt to show the stored answer (read unless given); with the answer's revision,
        record it as shown."""
        if answer is None:
            answer = self.stores.answers.answer(round_.team_id, round_.id, participant.user_id, area_id)
        if answer.comment:
            framework = self.framework(round_)
            text, message_blocks = blocks.answered_prompt(
                round_id=round_.id,
                framework=framework,
                area=framework.area(area_id),
                level=answer.level,
                comment=answer.comment,
            )
        else:
            text, message_blocks = self._answered_text(round_.framework_id, round_.id, area_id, answer.level)
        client.chat_update(channel=participant.dm_channel_id, ts=prompt_ts, text=text, blocks=message_blocks)
        if revision:
            self.stores.answers.mark_shown(round_.team_id, round_.id, participant.user_id, area_id, revision)

    # -- answers stored but not yet shown --------------------------------------------------------------

    def show_pending(self, client: WebClient, round_: Round, participant: Participant) -> int:
        """Update the member's prompts whose stored answer Slack does not show yet (the database or Slack
        failed between storing an answer and updating its prompt). Run on the member's next action in the
        round; safe in several processes at once (chat.update is idempotent, the mark never moves back)."""
        return self._show_unshown(
            client,
            round_,
            participant,
            self.stores.answers.pending_shows(round_.team_id, round_.id, participant.user_id),
        )

    def _show_unshown(self, client: WebClient, round_: Round, participant: Participant, prompts) -> int:
        return sum(self._show_pending(client, round_, participant, prompt) for prompt in prompts)

    def show_pending_everywhere(self, client_for, limit: int = 100) -> int:
        """The clock's sweep: every workspace's prompts whose stored answer is not shown yet."""
        shown = 0
        for prompt in self.stores.answers.pending_shows(limit=limit):
            round_ = self.stores.rounds.get(prompt.team_id, prompt.round_id)
            participant = self.stores.answers.participant(prompt.team_id, prompt.round_id, prompt.user_id)
            client = client_for(prompt.team_id)
            if round_ is None or participant is None or client is None:
                continue
            try:
                shown += self._show_pending(client, round_, participant, prompt)
            except Exception as error:
                log.warning("could not show the answer on prompt %s: %s", prompt.id, type(error).__name__)
        return shown

    def _show_pending(self, client: WebClient, round_: Round, participant: Participant, prompt) -> int:
        # prompt.answer_rev was read before the answer is: marking it shown can only be conservative.
        if (
            participant.dm_channel_id is None
            or self.stores.answers.answer(round_.team_id, round_.id, participant.user_id, prompt.area_id) is None
        ):
            return 0
        self.show_answer(client, round_, participant, prompt.area_id, prompt.ts, revision=prompt.answer_rev)
        return 1

    def skip(self, client: WebClient, round_: Round, participant: Participant, area_id: str, prompt_ts: str) -> None:
        if not self.stores.answers.skip(round_.team_id, round_.id, participant.user_id, area_id):
            self.show_pending(client, round_, participant)
            return  # already answered or skipped: a repeated click
        framework = self.framework(round_)
        text, message_blocks = blocks.skipped_prompt(
            round_id=round_.id, framework=framework, area=framework.area(area_id)
        )
        client.chat_update(channel=participant.dm_channel_id, ts=prompt_ts, text=text, blocks=message_blocks)
        self.advance(client, round_, participant)

    def reopen(self, client: WebClient, round_: Round, participant: Participant, area_id: str, prompt_ts: str) -> None:
        """Change (or Answer now on a skipped area): show the level buttons again in place."""
        answer = self.stores.answers.answer(round_.team_id, round_.id, participant.user_id, area_id)
        framework = self.framework(round_)
        text, message_blocks = blocks.area_prompt(
            round_id=round_.id,
            framework=framework,
            area=framework.area(area_id),
            current_level=answer.level if answer else None,
        )
        client.chat_update(channel=participant.dm_channel_id, ts=prompt_ts, text=text, blocks=message_blocks)
        self.show_pending(client, round_, participant)


def _parent_state(progress: Progress) -> tuple[int, bool, bool]:
    """What the parent message shows of the progress: the count answered, Start or Continue, and done."""
    return progress.done, progress.started, progress.complete


def _first_prompt(progress: Progress) -> bool:
    """The member has just been sent their first prompt (nothing answered, one prompt posted)."""
    return not progress.answered and sum(state.posts for state in progress.prompts.values()) == 1
