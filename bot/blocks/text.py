"""Small text helpers shared by the builders: escaping and splitting to Slack's limits."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sections(text: str, limit: int = SECTION_LIMIT) -> list[SectionBlock]:
    """Markdown sections holding `text` whole, split at line ends (or spaces) to fit Slack's limit."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
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
