"""Block Kit as readable terminal text, for `python -m bot sandbox`.

Slack's mrkdwn becomes plain text: *bold* is shown bold (or plain without colours), _italic_ and `code`
lose their marks, <#C1> becomes #channel-name, <@U1> becomes @name, links show their label, &amp; &lt; &gt;
are unescaped and the few emoji the bot uses become symbols. Headers stand out, context lines are dimmed,
dividers are rules, and every button gets a key, listed in a key bar under the message:

    [1] Minimum  [2] Developing  [3] Mature  [4] Leader  [5] Innovator
    [h] Help  [s] Skip for now  [c] Add a comment

Nothing here knows about Slack's API or the bot's storage: a message is its text and its blocks.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

# Private markers for styles while text is wrapped; turned into ANSI codes (or nothing) afterwards.
_BOLD, _DIM, _OFF = "\x01", "\x02", "\x03"
_ANSI = {_BOLD: "\033[1m", _DIM: "\033[2m", _OFF: "\033[0m"}

EMOJI = {
    "white_check_mark": "✔",
    "heavy_check_mark": "✔",
    "warning": "⚠",
    "arrow_up": "↑",
    "arrow_down": "↓",
    "arrow_right": "→",
    "bar_chart": "▦",
    "x": "✘",
    "wave": "👋",
    "tada": "🎉",
    "bell": "🔔",
    "memo": "📝",
    "calendar": "📅",
    "information_source": "ℹ",
}

# Keys for the bot's own buttons (by action id); other buttons get the next free letter.
ACTION_KEYS = {
    "area_help": "h",
    "area_skip": "s",
    "area_comment": "c",
    "area_change": "x",
    "walkthrough_continue": "g",
    "reminders_stop": "r",
    "action_add": "a",
    "action_done": "d",
    "action_redate": "e",
    "action_handover": "o",
}
_SPARE_KEYS = "abdefijklmnoptuvwyz"
_LEVEL_ACTION = re.compile(r"^answer_level_(\d)$")


def terminal_width(default: int = 100) -> int:
    return max(50, min(shutil.get_terminal_size((default, 24)).columns - 1, 100))


def terminal_height() -> int | None:
    """The terminal's rows (LINES, else the terminal's own size); None when the output is no terminal (a
    pipe or a file, which do not scroll anything away)."""
    rows = shutil.get_terminal_size((0, 0)).lines
    return max(10, rows) if rows > 0 else None


@dataclass
class Names:
    """How ids are shown: user ids as @name, channel ids as #name (the id itself when unknown)."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)  # area id -> title: a context line's `area-id` shows the title

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)


@dataclass
class Style:
    """ANSI styles, or none (pipes, files, NO_COLOR)."""

    color: bool = False

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.color else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.color else text

    def accent(self, text: str) -> str:
        return f"\033[1;36m{text}\033[0m" if self.color else text

    def finish(self, text: str) -> str:
        """Replace the style markers with ANSI codes, or drop them."""
        for marker, code in _ANSI.items():
            text = text.replace(marker, code if self.color else "")
        return text


@dataclass
class Button:
    key: str
    label: str
    action_id: str
    block_id: str | None
    element: dict


@dataclass
class Rendered:
    text: str
    buttons: list[Button]
    shortened: bool = False  # cut to fit a terminal's height (see render_message)

    def button(self, key: str) -> Button | None:
        return next((b for b in self.buttons if b.key == key), None)


# -- mrkdwn ----------------------------------------------------------------------------------------------

_LINK = re.compile(r"<([^<>]+)>")
_BOLD_SPAN = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC_SPAN = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE_SPAN = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


def _link(match: re.Match, names: Names) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("#C", "#G", "#D")):
        return "#" + (label or names.channel(target[1:]))
    if target.startswith("@"):
        return "@" + (label or names.user(target[1:]))
    if not (target.startswith(("!", "http:", "https:", "mailto:", "tel:")) or label):
        return f"<{inner}>"  # not a link Slack would make: <words> in a usage line stays as typed
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        if special in ("here", "channel", "everyone"):
            return "@" + special
        return label or special
    return f"{label} ({target})" if label and label != target else target


def mrkdwn_to_text(text: str, names: Names | None = None, *, marks: bool = True) -> str:
    """Slack mrkdwn as plain text; with `marks`, bold spans carry the private bold markers."""
    names = names or Names()
    text = _LINK.sub(lambda m: _link(m, names), text)
    text = _CODE_SPAN.sub(lambda m: m.group(1), text)
    text = _BOLD_SPAN.sub(lambda m: f"{_BOLD}{m.group(1)}{_OFF}" if marks else m.group(1), text)
    text = _ITALIC_SPAN.sub(lambda m: m.group(1), text)
    text = _STRIKE_SPAN.sub(lambda m: m.group(1), text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    # A quote is a literal ">" at the start of a line (an escaped "&gt;" is just the character).
    lines = ["│ " + line[1:].lstrip() if line.startswith(">") else line for line in text.split("\n")]
    return "\n".join(lines).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str, names: Names | None = None) -> str:
    """mrkdwn as plain text without any styling."""
    return mrkdwn_to_text(text, names, marks=False)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap each line to the width, keeping blank lines, quote bars and bullet indents; style markers
    that are open at the end of a line are closed there and opened again on the next one."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            out.append(indent.rstrip())
            continue
        lead = re.match(r"^(│ |• |\s+)", line)
        extra = " " * len(lead.group(1)) if lead else ""
        if lead and lead.group(1) == "│ ":
            extra = "│ "
        wrapped = textwrap.wrap(
            line,
            width=max(20, width - len(indent)),
            initial_indent=indent,
            subsequent_indent=indent + extra,
            break_on_hyphens=False,
            drop_whitespace=True,
        )
        out.extend(wrapped or [indent])
    return _balance(out)


def _balance(lines: list[str]) -> list[str]:
    balanced, open_marker = [], None
    for line in lines:
        if open_marker:
            indent = len(line) - len(line.lstrip(" "))
            line = line[:indent] + open_marker + line[indent:]
        for char in line:
            if char in (_BOLD, _DIM):
                open_marker = char
            elif char == _OFF:
                open_marker = None
        balanced.append(line + (_OFF if open_marker else ""))
    return balanced


# -- blocks ----------------------------------------------------------------------------------------------


def _text_of(obj: dict | None, names: Names) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(obj.get("text", ""), names)
    return (obj.get("text") or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _element_summary(element: dict, names: Names) -> str:
    kind = element.get("type")
    if kind in ("static_select", "multi_static_select", "users_select", "conversations_select", "channels_select"):
        chosen = element.get("initial_option")
        shown = (
            _text_of(chosen.get("text"), names) if chosen else _text_of(element.get("placeholder"), names) or "choose"
        )
        return f"[▾ {shown}]"
    if kind == "plain_text_input":
        initial = element.get("initial_value")
        return f"[✎ {initial}]" if initial else "[✎ …]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return f"[{kind}]"


def _rich_text(node, out: list[str], names: Names) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "text":
            out.append(node.get("text", ""))
        elif kind == "user":
            out.append("@" + names.user(node.get("user_id", "")))
        elif kind == "channel":
            out.append("#" + names.channel(node.get("channel_id", "")))
        elif kind == "link":
            out.append(node.get("text") or node.get("url", ""))
        elif kind == "emoji":
            out.append(EMOJI.get(node.get("name", ""), f":{node.get('name', '')}:"))
        for child in node.get("elements", []) or []:
            _rich_text(child, out, names)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            out.append("\n")
    elif isinstance(node, list):
        for item in node:
            _rich_text(item, out, names)


def assign_keys(elements: Iterable[tuple[str | None, dict]]) -> list[Button]:
    """A key for each button: 1-9 for levels, the bot's letters for its actions, spare letters for others."""
    buttons: list[Button] = []
    used: set[str] = set()
    spare = iter(_SPARE_KEYS)
    for block_id, element in elements:
        if element.get("type") != "button":
            continue
        action_id = element.get("action_id", "")
        level = _LEVEL_ACTION.match(action_id)
        key = level.group(1) if level else ACTION_KEYS.get(action_id)
        if key is None or key in used:
            key = next((k for k in spare if k not in used and k not in ACTION_KEYS.values()), "?")
        used.add(key)
        label = (element.get("text") or {}).get("text", action_id)
        buttons.append(Button(key, label, action_id, block_id, element))
    return buttons


def key_bar(
    buttons: list[Button], style: Style, width: int | None = None, extra: Iterable[tuple[str, str]] = ()
) -> str:
    """Keys in rows: level buttons first, then the others (and any `extra` (key, label) pairs)."""
    width = width or terminal_width()

    def shown(button: Button) -> tuple[str, str]:
        # Slack shows a primary button (e.g. your current answer) highlighted: bold here
        return button.key, style.bold(button.label) if button.element.get("style") == "primary" else button.label

    levels = [shown(b) for b in buttons if b.key.isdigit()]
    others = [shown(b) for b in buttons if not b.key.isdigit()] + list(extra)
    rows = []
    for group in (levels, others):
        line, length = [], 0
        for key, label in group:
            piece = f"{style.accent('[' + key + ']')} {label}"
            size = len(key) + 3 + len(re.sub(r"\033\[[0-9;]*m", "", label))
            if line and length + size + 2 > width:
                rows.append("  ".join(line))
                line, length = [], 0
            line.append(piece)
            length += size + 2
        if line:
            rows.append("  ".join(line))
    return "\n".join(rows)


def _area_titles(element: dict, names: Names) -> dict:
    """A context element with each `area-id` (as the bot's help shows it) replaced by the area's title."""
    text = element.get("text") or ""
    for area_id, title in names.areas.items():
        text = text.replace(f"`{area_id}`", title.replace("*", "").replace("_", " "))
    return {**element, "text": text}


def _visible(line: str) -> int:
    return len(re.sub(r"[\x01\x02\x03]|\033\[[0-9;]*m", "", line))


def _shorten(lines: list[str], limit: int | None, width: int) -> list[str]:
    """The first `limit` lines (all without a limit), the last of them ending in "…" if any were cut."""
    if limit is None or len(lines) <= limit:
        return lines
    kept = lines[:limit]
    last = kept[-1].rstrip(_OFF)
    while last and _visible(last) + 2 > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + " …" + (_OFF if (_BOLD in last or _DIM in last) else "")
    return kept


# The ways a message may be shortened to fit a terminal's height, from the least to the most:
# (lines of each paragraph, lines of each level with its descriptor); all of them drop the blank lines.
SHORTER = [(6, 3), (4, 3), (3, 2), (2, 2), (2, 1), (1, 1)]


def render_blocks(
    blocks: list[dict],
    names: Names | None = None,
    style: Style | None = None,
    *,
    width: int | None = None,
    indent: str = "",
    fallback_text: str = "",
    text_lines: int | None = None,
    choice_lines: int | None = None,
    tight: bool = False,
) -> Rendered:
    """Blocks as terminal lines (without the key bar) and the keyed buttons they hold, in order. With
    `tight`, no blank lines, rules or underlines; `text_lines` and `choice_lines` cut each paragraph and each
    option (a level and its descriptor, then on one line) to that many lines, ending in "…"."""
    names, style = names or Names(), style or Style()
    width = width or terminal_width()
    lines: list[str] = []
    elements: list[tuple[str | None, dict]] = []

    def add(text: str, *, dim: bool = False, limit: int | None = None) -> None:
        if dim:
            text = _DIM + text.replace(_OFF, _OFF + _DIM) + _OFF
        lines.extend(_shorten(_wrap(text, width, indent), limit, width))

    for previous, block in zip([None, *(b.get("type") for b in blocks)], blocks):
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"), names)
            if lines and lines[-1].strip() and not tight:
                lines.append("")
            lines.append(indent + _BOLD + title + _OFF)
            if not tight:
                lines.append(indent + ("═" * min(len(title), width - len(indent))))
        elif kind == "section":
            accessory = block.get("accessory")
            choice = bool(accessory) and accessory.get("type") == "button"
            if block.get("text") and choice and choice_lines is not None:
                # Short: the level and the start of its descriptor on one line (or a few), no space after.
                first, _, rest = _text_of(block["text"], names).partition("\n")
                joined = first + (": " + " ".join(rest.split()) if rest.strip() else "")
                wrapped = textwrap.wrap(
                    joined,
                    width=max(20, width - len(indent)),
                    initial_indent=indent,
                    subsequent_indent=indent + "    ",
                    break_on_hyphens=False,
                )
                lines.extend(_shorten(_balance(wrapped or [indent]), choice_lines, width))
            elif block.get("text") and choice:
                # An option with its button (a level and its descriptor): the first line, then the rest
                # indented under it, and a blank line after.
                first, _, rest = _text_of(block["text"], names).partition("\n")
                add(first)
                if rest:
                    lines.extend(_wrap(rest, width, indent + "    "))
                lines.append("")
            elif block.get("text"):
                if lines and lines[-1].strip() and previous == "section" and not tight:
                    lines.append("")  # Slack leaves space between sections
                add(_text_of(block["text"], names), limit=text_lines)
            for item in block.get("fields") or []:
                add("  " + _text_of(item, names))
            if accessory:
                if accessory.get("type") == "button":
                    elements.append((block.get("block_id"), accessory))
                elif accessory.get("type") != "image":
                    add(_element_summary(accessory, names))
        elif kind == "context":
            parts = [
                _text_of(_area_titles(e, names), names)
                if e.get("type") in ("mrkdwn", "plain_text")
                else _element_summary(e, names)
                for e in block.get("elements", [])
            ]
            add("  ".join(p for p in parts if p), dim=True, limit=text_lines)
        elif kind == "divider":
            if not tight:
                lines.append(indent + _DIM + "─" * max(10, min(60, width - len(indent))) + _OFF)
        elif kind == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    elements.append((block.get("block_id"), element))
                else:
                    add(_element_summary(element, names))
        elif kind == "input":
            label = _text_of(block.get("label"), names)
            optional = " (optional)" if block.get("optional") else ""
            add(f"{_BOLD}{label}{_OFF}{optional}: {_element_summary(block.get('element') or {}, names)}")
            if block.get("hint"):
                add(_text_of(block["hint"], names), dim=True)
        elif kind == "image":
            add(f"[image: {block.get('alt_text', '')}]", dim=True)
        elif kind == "rich_text":
            out: list[str] = []
            _rich_text(block.get("elements", []), out, names)
            add("".join(out).rstrip("\n"))
        elif kind == "file":
            add("[a file]", dim=True)
    if not blocks and fallback_text:
        add(mrkdwn_to_text(fallback_text, names))
    if tight:
        lines = [line for line in lines if re.sub(r"[\x01\x02\x03]", "", line).strip()]
    while lines and not lines[-1].strip():
        lines.pop()
    return Rendered("\n".join(lines), assign_keys(elements))


def render_message(
    text: str,
    blocks: list[dict] | None,
    names: Names | None = None,
    style: Style | None = None,
    *,
    width: int | None = None,
    indent: str = "  ",
    keys: bool = True,
    files: Iterable[str] = (),
    height: int | None = None,
) -> Rendered:
    """A message as terminal text: its blocks (or its text when it has none), any shared files, and a key
    bar for its buttons. `Rendered.buttons` maps the keys back to the buttons. With a `height`, the message
    is shortened (see SHORTER) until it has at most that many lines, if it can be; `Rendered.shortened`
    says whether it was."""
    style = style or Style()
    width = width or terminal_width()
    rendered = render_blocks(blocks or [], names, style, width=width, indent=indent, fallback_text=text)
    shortened = False
    if height is not None and rendered.text.count("\n") + 1 > height:
        for text_lines, choice_lines in SHORTER:
            rendered = render_blocks(
                blocks or [],
                names,
                style,
                width=width,
                indent=indent,
                fallback_text=text,
                text_lines=text_lines,
                choice_lines=choice_lines,
                tight=True,
            )
            shortened = True
            if rendered.text.count("\n") + 1 <= height:
                break
    parts = [rendered.text] if rendered.text else []
    for name in files:
        parts.append(f"{indent}📎 {name}")
    if keys and rendered.buttons:
        bar = key_bar(rendered.buttons, style, width - len(indent))
        parts.append("\n".join(indent + row for row in bar.split("\n")))
    return Rendered(style.finish("\n".join(parts)), rendered.buttons, shortened)


def render_view(
    view: dict, names: Names | None = None, style: Style | None = None, *, width: int | None = None, indent: str = "  "
) -> str:
    """A modal or App Home tab: its title, then its blocks (buttons listed, without keys)."""
    style = style or Style()
    title = _text_of(view.get("title"), names or Names())
    body = render_blocks(view.get("blocks") or [], names, style, width=width, indent=indent)
    lines = []
    if title:
        lines.append(f"{indent}{_BOLD}{title}{_OFF}")
    lines.append(body.text)
    if body.buttons:
        lines.append(indent + _DIM + "Buttons: " + ", ".join(b.label for b in body.buttons) + _OFF)
    return style.finish("\n".join(line for line in lines if line is not None))
