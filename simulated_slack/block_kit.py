"""What the simulated Slack refuses in a message or a view, and why: arguments, text limits and Block Kit.

Block Kit checks reuse slack_sdk's own models, then close the gaps slack_sdk leaves open (it silently drops
unknown element types, unknown properties and never recurses into nested elements from ``validate_json``), so a
payload Slack would refuse is refused here too, with Slack's ``[ERROR] ... [json-pointer:...]`` messages.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from .web_api import ApiError

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


# ---------------------------------------------------------------------------------------------------- arguments


def json_arg(value: Any, *, error: str, pointer: str) -> Any:
    """Decode an argument that form encoding carries as a JSON string and a JSON body carries natively."""
    if isinstance(value, (bytes, str)):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ApiError(error, messages=[f"[ERROR] invalid JSON: {exc} [json-pointer:{pointer}]"]) from exc
    return value


def bool_arg(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def int_arg(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError("invalid_arguments", messages=[f"[ERROR] {name} must be an integer"]) from exc


def check_message_text(text: Any) -> None:
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")


def parse_message_blocks(raw: Any) -> list[dict[str, Any]] | None:
    """Blocks of a message (chat.* or response_url): ``None`` when absent, else a validated list.

    Raises ApiError("invalid_blocks_format") for undecodable JSON and ApiError("invalid_blocks") for blocks
    Slack would refuse, with one ``[ERROR] ... [json-pointer:/blocks/N]`` message per problem.
    """
    if raw is None:
        return None
    blocks = json_arg(raw, error="invalid_blocks_format", pointer="/blocks")
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format", messages=["[ERROR] blocks must be an array [json-pointer:/blocks]"])
    problems = block_problems(blocks, "/blocks")
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.insert(0, f"[ERROR] no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]")
    if problems:
        raise ApiError("invalid_blocks", messages=problems)
    return blocks


def parse_view(raw: Any) -> dict[str, Any]:
    """A validated view (modal or home).  Slack answers every view problem with invalid_arguments."""
    view = json_arg(raw, error="invalid_arguments", pointer="/view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", messages=["[ERROR] view must be an object [json-pointer:/view]"])
    blocks = view.get("blocks")
    if isinstance(blocks, list) and len(blocks) > MAX_VIEW_BLOCKS:
        raise ApiError(
            "invalid_arguments",
            messages=[f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]"],
        )
    problems = view_problems(view)
    if problems:
        raise ApiError("invalid_arguments", messages=problems)
    return view


def view_problems(view: dict[str, Any]) -> list[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return ["[ERROR] missing required field: blocks [json-pointer:/view/blocks]"]
    problems = block_problems(blocks, "/view/blocks")
    shell = {key: value for key, value in view.items() if key != "blocks"}
    try:
        # The blocks were checked above; a stand-in block lets slack_sdk check the rest of the view.
        parsed = View(**shell, blocks=[{"type": "divider"}]).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as exc:
        return [f"[ERROR] {exc} [json-pointer:/view]", *problems]
    problems += _structure_problems(shell, {k: v for k, v in parsed.items() if k != "blocks"}, "/view")
    if not blocks:
        problems.append("[ERROR] views must contain between 1 and 100 blocks [json-pointer:/view/blocks]")
    if view.get("type") == "modal":
        if not view.get("title"):
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            problems.append("[ERROR] submit is required when a view has input blocks [json-pointer:/view/submit]")
    return problems


def block_problems(blocks: list[Any], pointer: str) -> list[str]:
    """Every reason Slack would refuse these blocks (empty when they are fine)."""
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] a block must be an object with a type [json-pointer:{where}]")
            continue
        try:
            model = Block.parse(block)
            if model is None:
                problems.append(f"[ERROR] unsupported type: {block['type']} [json-pointer:{where}/type]")
                continue
            parsed = model.to_dict()  # unlike validate_json(), to_dict() validates nested elements too
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as exc:
            problems.append(f"[ERROR] {exc} [json-pointer:{where}]")
            continue
        problems += _structure_problems(block, parsed, where)
        problems += _option_problems(block, where)
        problems += _duplicate_action_ids(block, where)
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id: {block_id} [json-pointer:{where}/block_id]")
            block_ids.add(block_id)
    return problems


def _structure_problems(original: Any, parsed: Any, pointer: str) -> list[str]:
    """Compare what was sent with slack_sdk's round trip of it.

    slack_sdk quietly drops what it does not understand (unknown element types become ``None``, unknown keys
    vanish, an unknown text-object type becomes mrkdwn, a bare string becomes a text object).  Slack refuses all of
    these, so any such difference is reported.  Empty values are ignored: slack_sdk omits them when serialising.
    """
    if isinstance(original, dict):
        if not isinstance(parsed, dict):
            kind = original.get("type", "object")
            return [f"[ERROR] unsupported type: {kind} [json-pointer:{pointer}]"]
        if "type" in original and original.get("type") != parsed.get("type"):
            return [f"[ERROR] unsupported type: {original.get('type')} [json-pointer:{pointer}/type]"]
        problems = []
        for key, value in original.items():
            if value is None:
                problems.append(f"[ERROR] must not be null [json-pointer:{pointer}/{key}]")
            elif key not in parsed:
                if value not in ("", [], {}):
                    problems.append(f"[ERROR] unknown property: {key} [json-pointer:{pointer}/{key}]")
            else:
                problems += _structure_problems(value, parsed[key], f"{pointer}/{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(parsed, list) or len(parsed) != len(original):
            return [f"[ERROR] unsupported items [json-pointer:{pointer}]"]
        problems = []
        for index, (item, parsed_item) in enumerate(zip(original, parsed)):
            problems += _structure_problems(item, parsed_item, f"{pointer}/{index}")
        return problems
    if isinstance(parsed, dict):
        return [f"[ERROR] must be an object, not a {type(original).__name__} [json-pointer:{pointer}]"]
    return []


def _option_problems(node: Any, pointer: str) -> list[str]:
    """Option text/value limits, which slack_sdk does not enforce inside select menus."""
    problems: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{pointer}/{key}"
            options = value if key in ("options", "initial_options") and isinstance(value, list) else None
            if key == "initial_option" and isinstance(value, dict):
                options = [value]
            for index, option in enumerate(options or []):
                if not isinstance(option, dict):
                    continue
                text = option.get("text", {}).get("text", "") if isinstance(option.get("text"), dict) else ""
                if len(text) > MAX_OPTION_TEXT:
                    problems.append(
                        f"[ERROR] must be less than {MAX_OPTION_TEXT + 1} characters "
                        f"[json-pointer:{where}/{index}/text/text]"
                    )
                if len(str(option.get("value", ""))) > MAX_OPTION_VALUE:
                    problems.append(
                        f"[ERROR] must be less than {MAX_OPTION_VALUE + 1} characters "
                        f"[json-pointer:{where}/{index}/value]"
                    )
            problems += _option_problems(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            problems += _option_problems(item, f"{pointer}/{index}")
    return problems


def _duplicate_action_ids(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements") if block.get("type") == "actions" else None
    seen: set[str] = set()
    problems = []
    for index, element in enumerate(elements or []):
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is None:
            continue
        if action_id in seen:
            problems.append(f"[ERROR] duplicate action_id: {action_id} [json-pointer:{pointer}/elements/{index}]")
        seen.add(action_id)
    return problems
