"""The team summary posted to the channel: participation, then each theme's areas with the team level,
the distribution of answers, the target and gap, the trend and a flag where views differ.

Anonymity: nothing here names a member. The summary shows what results/anonymity.py lets each area show:
nothing below `min_group` answers, and figures that move only in steps of at least `min_group` new or
changed answers; meanwhile an area repeats its last figures "as of N answers".
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from framework.models import Framework
from framework.progress import progress_bar
from framework.scoring import AreaScore, Summary
from storage.models import Round

from .. import values
from .text import MESSAGE_BLOCK_LIMIT, cut_mrkdwn, escape, to_dicts

TOO_FEW = "too few answers yet"


def _level(framework: Framework, number: int | None) -> str:
    return f"{number} · {framework.level(number).name}" if number else "none yet"


def _trend(trend: int | None) -> str:
    if trend is None:
        return ""
    if trend == 0:
        return "no change since last round"
    arrow = ":arrow_up:" if trend > 0 else ":arrow_down:"
    return f"{arrow} {'up' if trend > 0 else 'down'} {abs(trend)} since last round"


def area_line(
    framework: Framework, title: str, score: AreaScore, min_group: int, actions: tuple[int, int] | None = None
) -> str:
    head = f"*{escape(title)}*" + actions_note(actions)
    target = f"target {_level(framework, score.target)}" if score.target else ""
    if score.answers < min_group:
        parts = [f"_{TOO_FEW}_ ({score.answers_now} of {min_group} needed)", target]
        return f"{head}\n" + "  ·  ".join(p for p in parts if p)
    first = [f"Team level *{_level(framework, score.team_level)}*"]
    if score.target:
        gap = score.gap
        first.append(f"{target}, " + ("target met" if gap <= 0 else f"gap {gap}"))
    first.append(_trend(score.trend))
    first.append(as_of(score))
    distribution = " · ".join(f"{framework.level(n).name} {c}" for n, c in score.counts.items())
    second = f"Answers: {distribution}"
    if score.disagreement:
        second += f"  ·  :warning: *views differ: discuss* (spread {score.spread} levels)"
    return f"{head}\n" + "  ·  ".join(p for p in first if p) + f"\n{second}"


def actions_note(actions: tuple[int, int] | None) -> str:
    """ "  ·  2 actions open, 1 overdue" beside an area's title, from the channel's action plan."""
    if not actions or not actions[0]:
        return ""
    opened, overdue = actions
    late = f", {overdue} overdue" if overdue else ""
    return f"  ·  {opened} {'action' if opened == 1 else 'actions'} open{late}"


def as_of(score: AreaScore) -> str:
    """ "_as of 3 answers, 1 newer held back_" when the figures leave answers out; else nothing."""
    if not score.held_back:
        return ""
    newer = "newer answer" if score.held_back == 1 else "newer answers"
    return f"_as of {score.answers} answers, {score.held_back} {newer} held back_"


def held_back_line(summary: Summary, min_group: int, *, final: bool) -> str | None:
    """How many answers the figures leave out, and why, or None when they leave none out."""
    held = [a for a in summary.areas if a.held_back and a.answers >= min_group]
    if not held:
        return None
    total = sum(a.held_back for a in held)
    areas = "1 area" if len(held) == 1 else f"{len(held)} areas"
    figures = "the final figures" if final else "these figures"
    return (
        f"*Held back*: {total} newer {'answer' if total == 1 else 'answers'} in {areas} {'is' if total == 1 else 'are'}"
        f" not in {figures}. An area's figures move only when at least {min_group} members' answers are new or"
        " changed, so nobody's answers can be worked out by comparing two summaries."
    )


HELD_BY = {
    "minimum group": "too few answers to show yet (minimum group)",
    "differencing": "too few new or changed answers since a view already shown (differencing rule)",
    "round closed": "answered after the final figures (round closed)",
}


def held_back_text(summary: Summary) -> str | None:
    """For a facilitator: how many answers the figures leave out, per rule that held them back."""
    by_rule: dict[str, list[int]] = {}
    for area in summary.areas:
        if area.held_back and area.held_by:
            by_rule.setdefault(area.held_by, []).append(area.held_back)
    if not by_rule:
        return None
    parts = []
    for rule, counts in by_rule.items():
        answers = sum(counts)
        areas = "1 area" if len(counts) == 1 else f"{len(counts)} areas"
        parts.append(f"{answers} {'answer' if answers == 1 else 'answers'} in {areas}: {HELD_BY.get(rule, rule)}")
    return "_Held back_: " + "; ".join(parts)


def across_versions(previous: Round | None, round_: Round, number_of) -> str:
    """ " · trends since round 2, which ran version 1 of the framework" when the round the trends compare with
    (same framework id, storage/rounds.py `previous_closed`) ran another version of it; else ""."""
    if previous is None or previous.framework_version == round_.framework_version:
        return ""
    return (
        f" · trends since round {number_of(previous)}, which ran version {escape(previous.framework_version)} "
        f"of the framework (this round: {escape(round_.framework_version)})"
    )


def summary_messages(
    *,
    framework: Framework,
    summary: Summary,
    channel_id: str,
    round_number: int,
    status: str,
    min_group: int,
    final: bool = False,
    actions: Mapping[str, tuple[int, int]] | None = None,
    round_id: int | None = None,
) -> list[tuple[str, list[dict]]]:
    """The summary as one message, or (for a framework with many areas) a first message and replies to
    post in its thread, each within Slack's 50-block limit. `actions`: per area, the channel's open and
    overdue actions; with `round_id`, an "Add an action" button (facilitators, or members where allowed)."""
    p = summary.participation
    title = f"{'Final summary' if final else 'Maturity summary'}: round {round_number}"
    head: list[Block] = [
        HeaderBlock(text=title),
        ContextBlock(elements=[MarkdownTextObject(text=f"<#{channel_id}> · {escape(framework.title)} · {status}")]),
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    f"*Participation* {progress_bar(p.complete, p.members)} *{p.complete} of {p.members}* complete"
                    f" · {p.in_progress} in progress · {p.not_started} not started"
                )
            )
        ),
    ]
    held = held_back_line(summary, min_group, final=final)
    if held:
        head.append(SectionBlock(text=MarkdownTextObject(text=held)))
    if summary.overall is not None:
        head.append(
            SectionBlock(text=MarkdownTextObject(text=f"*Overall team level*: {_level(framework, summary.overall)}"))
        )
    body: list[Block] = []
    themes = {t.theme_id: t for t in summary.themes}
    for theme in framework.themes:
        body.append(DividerBlock())
        level = themes[theme.id].level
        body.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"*{escape(theme.title)}*  ·  team level {_level(framework, level)}")
            )
        )
        for area in theme.areas:
            line = area_line(framework, area.title, summary.by_area[area.id], min_group, (actions or {}).get(area.id))
            body.append(SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(line, 3000))))
    footer = ContextBlock(
        elements=[
            MarkdownTextObject(
                text=(
                    "Team level = the median answer (the lower middle one when even). Views differ when answers "
                    f"span 2 levels or more. Areas with fewer than {min_group} answers are not shown, and figures move"
                    f" only in steps of at least {min_group} new or changed answers."
                )
            )
        ]
    )
    tail: list[Block] = [footer]
    if round_id is not None:
        tail.append(
            ActionsBlock(
                elements=[ButtonElement(text="Add an action", action_id=values.ACTION_ADD, value=str(round_id))]
            )
        )
    messages: list[list[Block]] = [head]
    for block in body + tail:
        if len(messages[-1]) >= MESSAGE_BLOCK_LIMIT:
            messages.append([])
        messages[-1].append(block)
    text = f"{title}: {p.complete} of {p.members} complete"
    out = [(text, to_dicts(messages[0]))]
    out += [(f"{title} (continued)", to_dicts(blocks)) for blocks in messages[1:]]
    return out
