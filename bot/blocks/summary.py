"""The team summary posted to the channel: participation, then each theme's areas with the team level,
the distribution of answers, the target and gap, the trend and a flag where views differ.

Anonymity: nothing here names a member, and an area's figures are shown only when it has at least
`min_group` answers.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from framework.models import Framework
from framework.progress import progress_bar
from framework.scoring import AreaScore, Summary

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


def area_line(framework: Framework, title: str, score: AreaScore, min_group: int) -> str:
    head = f"*{escape(title)}*"
    target = f"target {_level(framework, score.target)}" if score.target else ""
    if score.answers < min_group:
        parts = [f"_{TOO_FEW}_ ({score.answers} of {min_group} needed)", target]
        return f"{head}\n" + "  ·  ".join(p for p in parts if p)
    first = [f"Team level *{_level(framework, score.team_level)}*"]
    if score.target:
        gap = score.gap
        first.append(f"{target}, " + ("target met" if gap <= 0 else f"gap {gap}"))
    first.append(_trend(score.trend))
    distribution = " · ".join(f"{framework.level(n).name} {c}" for n, c in score.counts.items())
    second = f"Answers: {distribution}"
    if score.disagreement:
        second += f"  ·  :warning: *views differ: discuss* (spread {score.spread} levels)"
    return f"{head}\n" + "  ·  ".join(p for p in first if p) + f"\n{second}"


def summary_messages(
    *,
    framework: Framework,
    summary: Summary,
    channel_id: str,
    round_number: int,
    status: str,
    min_group: int,
    final: bool = False,
) -> list[tuple[str, list[dict]]]:
    """The summary as one message, or (for a framework with many areas) a first message and replies to
    post in its thread, each within Slack's 50-block limit."""
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
            line = area_line(framework, area.title, summary.by_area[area.id], min_group)
            body.append(SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(line, 3000))))
    footer = ContextBlock(
        elements=[
            MarkdownTextObject(
                text=(
                    "Team level = the median answer (the lower middle one when even). Views differ when answers "
                    f"span 2 levels or more. Areas with fewer than {min_group} answers are not shown."
                )
            )
        ]
    )
    messages: list[list[Block]] = [head]
    for block in body + [footer]:
        if len(messages[-1]) >= MESSAGE_BLOCK_LIMIT:
            messages.append([])
        messages[-1].append(block)
    text = f"{title}: {p.complete} of {p.members} complete"
    out = [(text, to_dicts(messages[0]))]
    out += [(f"{title} (continued)", to_dicts(blocks)) for blocks in messages[1:]]
    return out
