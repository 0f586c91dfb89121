"""Help on demand: an area's description and help text, the list of areas, and "did you mean"."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject

from framework.models import Framework, KeyArea
from framework.search import closest_areas, find_areas

from .text import ECHO_LIMIT, echo, escape, sections, to_dicts
from .walkthrough import editor_note, theme_label

NO_HELP = "The source framework gives no description or help text for this area."


def area_help(framework: Framework, area: KeyArea) -> tuple[str, list[dict]]:
    """Everything the framework says about an area, in its own words."""
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"{escape(theme_label(framework, area))} · `{area.id}`")]),
        HeaderBlock(text=area.title[:150]),
    ]
    if area.description:
        blocks += sections(f"*Description*\n{escape(area.description)}")
    if area.help:
        blocks += sections(f"*What it is*\n{escape(area.help.what_it_is)}")
        blocks += sections(f"*Why it is important*\n{escape(area.help.why_it_is_important)}")
    if area.editor_note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=editor_note(area.editor_note))]))
    if not area.description and not area.help:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"_{NO_HELP}_")]))
    return f"Help: {area.title}", to_dicts(blocks)


def area_list(framework: Framework) -> tuple[str, list[dict]]:
    """The areas by theme with their ids, and how to ask about one."""
    blocks: list[Block] = [HeaderBlock(text=f"{len(framework.areas)} areas to assess"[:150])]
    for theme in framework.themes:
        lines = [f"*{escape(theme.title)}*"]
        lines += [f"• {escape(area.title)}  `{area.id}`" for area in theme.areas]
        blocks += sections("\n".join(lines))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Ask about one with `/maturity help <words>`, e.g. `/maturity help social value`."
                )
            ]
        )
    )
    return f"{len(framework.areas)} areas to assess", to_dicts(blocks)


def no_match(query: str, closest: list[KeyArea]) -> tuple[str, list[dict]]:
    """The member's words are echoed (cut and escaped) in the blocks and the `text` fallback alike: Slack
    notifies from the fallback, so an unescaped <!channel> there would ping the channel."""
    suggestions = "\n".join(f"• {escape(area.title)}  `{area.id}`" for area in closest)
    text = f"No area matches “{echo(query)}”. The closest are:\n{suggestions}"
    return f"No area matches “{echo(query)}”", to_dicts(sections(text))


def several_matches(query: str, matches: list[KeyArea]) -> tuple[str, list[dict]]:
    lines = "\n".join(f"• {escape(area.title)}  `{area.id}`" for area in matches)
    text = f"“{echo(query)}” matches {len(matches)} areas. Which one?\n{lines}"
    return f"“{echo(query)}” matches {len(matches)} areas", to_dicts(sections(text))


def help_for(framework: Framework, query: str) -> tuple[str, list[dict]]:
    """The answer to "help <words>": one area's help, the areas it could mean, or the closest ones. Only
    the first ECHO_LIMIT characters of the words are searched and echoed (no area's name is longer, and
    the fuzzy search of a whole 39,000-character message takes seconds)."""
    if not query.strip():
        return area_list(framework)
    searched = query[:ECHO_LIMIT]
    matches = find_areas(framework, searched)
    if len(matches) == 1:
        return area_help(framework, matches[0])
    if matches:
        return several_matches(query, matches)
    return no_match(query, closest_areas(framework, searched))
