"""Small text helpers shared by the builders: escaping and splitting to Slack's limits.

Anything a person typed (a comment, a help query, a schedule's words) reaches Slack in one of two ways:
- inside mrkdwn (a section, a context line, a message's `text` fallback, which Slack also notifies from):
  always through `escape` (or `echo`, which cuts first), so <!channel>, <@U123> or a <link|label> typed by
  someone is shown as text and pings nobody;
- on its own, shown exactly as typed: `verbatim`, a plain_text object, which Slack neither formats (*bold*
  stays as typed) nor parses for mentions or links. Comments are shown this way.
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import Block, MarkdownTextObject, PlainTextObject, SectionBlock

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
ECHO_LIMIT = 200  # the most of a member's own words a reply quotes back
TEXT_OBJECT_LIMIT = 3000  # Slack's limit on a text object
ELLIPSIS = "…"

# What a cut must not split in mrkdwn: an entity (&amp; &lt; &gt; or a numeric one) or a <...> token
# (<@U123>, <#C123>, <!here>, <https://...|label>).
_ATOM = re.compile(r"&(?:[A-Za-z]+|#\d+);|<[^<>]*>")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int = ECHO_LIMIT) -> str:
    """Plain (unescaped) text whole when it fits in `limit` characters, else its start and "…" within the
    limit. Cut first, escape after: see `echo`."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """A member's own words, ready to quote in a mrkdwn reply or a `text` fallback: at most `limit`
    characters of them (then "…"), escaped after the cut so the cut can never split an entity and
    <!channel> or <@U123> typed by a member never pings anyone."""
    return escape(cut(text, limit))


def verbatim(text: str, limit: int = TEXT_OBJECT_LIMIT) -> PlainTextObject:
    """Someone's own words shown exactly as they typed them (at most `limit` characters, then "…"): a
    plain_text object, which Slack never parses, so neither mrkdwn (*bold*, `code`, > quotes) nor
    <!channel>, <@U123> or links in it do anything (emoji codes such as :+1: still show as emoji)."""
    return PlainTextObject(text=cut(text, min(limit, TEXT_OBJECT_LIMIT)) or " ", emoji=True)


def cut_point(text: str, index: int) -> int:
    """`index`, or the start of the entity or <...> token of mrkdwn `text` that cutting at `index` would
    split."""
    for match in _ATOM.finditer(text):
        if match.start() >= index:
            break
        if index < match.end():
            return match.start()
    return index


def cut_mrkdwn(text: str, limit: int) -> str:
    """Mrkdwn (already escaped) whole when it fits in `limit` characters, else its start and "…" within
    the limit, cut before any entity or <...> token the limit falls in."""
    if len(text) <= limit:
        return text
    return text[: cut_point(text, max(limit - len(ELLIPSIS), 0))].rstrip() + ELLIPSIS


def sections(text: str, limit: int = SECTION_LIMIT) -> list[SectionBlock]:
    """Markdown sections holding `text` whole, split at line ends (or spaces) to fit Slack's limit, never
    inside an entity (&amp;) or a <...> token unless one is longer than the limit."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        cut = cut_point(rest, cut) or cut
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks if chunk]


def quote(text: str) -> str:
    """Show a multi-line text as a Slack block quote."""
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def to_dicts(blocks: list[Block]) -> list[dict]:
    """Validate every block with slack_sdk (raises on a broken limit) and return Slack's JSON."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        raise ValueError(f"{len(blocks)} blocks is over Slack's limit of {MESSAGE_BLOCK_LIMIT} per message")
    for block in blocks:
        block.validate_json()
    return [block.to_dict() for block in blocks]
