"""Checks on manifest.yml, the Slack app manifest an admin pastes to create the app.

The manifest is checked against the rules Slack applies to manifests (tests/data/manifest_rules.json, kept in
the repository: known fields, required fields, types, lengths, the bot display name's pattern, https URLs), and
against what the product itself relies on (command, events, scopes: exactly the bot's BOT_SCOPES).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "manifest.yml"
RULES_PATH = Path(__file__).resolve().parent / "data" / "manifest_rules.json"
URL = re.compile(r"^https://[^/\s]+(/\S*)?$")
TYPES = {"string": str, "integer": int, "boolean": bool, "list": list, "url": str}

REQUIRED_BOT_EVENTS = {"app_mention", "message.im", "app_home_opened"}
REQUIRED_BOT_SCOPES = {"chat:write", "commands", "im:write", "users:read", "channels:read"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    with MANIFEST_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


@pytest.fixture(scope="module")
def validator():
    """The manifest rules (a file of this repository: its absence is a failure, never a skip)."""
    assert RULES_PATH.is_file(), f"the manifest rules are missing: {RULES_PATH}"
    return json.loads(RULES_PATH.read_text(encoding="utf-8"))


def _value_errors(value, rule: dict, where: str) -> list[str]:
    kind = rule["type"]
    if not isinstance(value, TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
        return [f"{where}: must be a{'n' if kind[0] in 'aeiou' else ''} {kind}"]
    errors = []
    if kind == "url" and not URL.match(value):
        errors.append(f"{where}: must be an https URL")
    if "max_length" in rule and len(value) > rule["max_length"]:
        errors.append(f"{where}: longer than {rule['max_length']} characters")
    if "max_items" in rule and len(value) > rule["max_items"]:
        errors.append(f"{where}: more than {rule['max_items']} items")
    if "pattern" in rule and not re.search(rule["pattern"], value):
        errors.append(f"{where}: does not match {rule['pattern']}")
    return errors


def _errors(rules: dict, instance) -> list[str]:
    """Every rule the manifest breaks, as "<path>: <problem>" (paths like features/bot_user/display_name)."""
    errors: list[str] = []

    def walk(value, path: str, where: str) -> None:
        rule, section = rules["values"].get(path), rules["objects"].get(path)
        if rule is not None:
            errors.extend(_value_errors(value, rule, where or "<root>"))
        if section is not None:
            if not isinstance(value, dict):
                errors.append(f"{where or '<root>'}: must be a mapping")
                return
            errors.extend(
                f"{where or '<root>'}: {key!r} is required" for key in section.get("required", []) if key not in value
            )
            for key, item in value.items():
                at = f"{where}/{key}" if where else key
                if key not in section["keys"]:
                    errors.append(f"{at}: not a manifest field")
                else:
                    walk(item, f"{path}.{key}" if path else key, at)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[]", f"{where}/{index}")

    walk(instance, "", "")
    return errors


def test_manifest_matches_slack_schema(manifest, validator):
    errors = _errors(validator, manifest)
    assert not errors, "manifest.yml does not match Slack's manifest rules:\n" + "\n".join(errors)


def test_schema_rejects_bot_display_name_with_space(manifest, validator):
    broken = copy.deepcopy(manifest)
    broken["features"]["bot_user"]["display_name"] = "Maturity Bot"
    errors = _errors(validator, broken)
    assert errors, "schema validation should reject a bot display_name containing a space"
    assert any("features/bot_user/display_name" in e for e in errors), errors


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda m: m.pop("display_information"), "<root>: 'display_information' is required"),
        (lambda m: m["display_information"].pop("name"), "display_information: 'name' is required"),
        (lambda m: m["display_information"].update(name="x" * 36), "display_information/name: longer than 35"),
        (
            lambda m: m["features"]["slash_commands"][0].update(url="http://YOUR-HOST/slack/events"),
            "features/slash_commands/0/url: must be an https URL",
        ),
        (lambda m: m["features"]["slash_commands"][0].update(command="maturity"), "features/slash_commands/0/command"),
        (
            lambda m: m["oauth_config"].update(redirect_urls=["YOUR-HOST/slack/oauth_redirect"]),
            "oauth_config/redirect_urls/0: must be an https URL",
        ),
        (
            lambda m: m["settings"]["interactivity"].pop("is_enabled"),
            "settings/interactivity: 'is_enabled' is required",
        ),
        (lambda m: m["settings"].update(socket_mode_enabled="yes"), "settings/socket_mode_enabled: must be a boolean"),
        (lambda m: m["features"]["bot_user"].update(colour="red"), "features/bot_user/colour: not a manifest field"),
    ],
)
def test_the_rules_refuse_what_slack_refuses(manifest, validator, change, where):
    broken = copy.deepcopy(manifest)
    change(broken)
    errors = _errors(validator, broken)
    assert any(e.startswith(where) for e in errors), errors


def test_maturity_slash_command(manifest):
    commands = {c["command"]: c for c in manifest["features"].get("slash_commands", [])}
    assert "/maturity" in commands
    assert commands["/maturity"].get("description")


def test_bot_events_subscribed(manifest):
    events = set(manifest["settings"]["event_subscriptions"].get("bot_events", []))
    missing = REQUIRED_BOT_EVENTS - events
    assert not missing, f"missing bot events: {sorted(missing)}"


def test_bot_scopes(manifest):
    scopes = set(manifest["oauth_config"]["scopes"].get("bot", []))
    missing = REQUIRED_BOT_SCOPES - scopes
    assert not missing, f"missing bot scopes: {sorted(missing)}"


def test_event_scopes_present(manifest):
    # Subscribing to these events requires the matching scope.
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    needs = {"app_mention": "app_mentions:read", "message.im": "im:history"}
    for event, scope in needs.items():
        if event in events:
            assert scope in scopes, f"event {event} needs scope {scope}"


def test_interactivity_enabled(manifest):
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_app_home_allows_dm(manifest):
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False


def test_manifest_scopes_match_what_the_oauth_flow_asks_for():
    from bot.app import BOT_SCOPES

    manifest = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]


def test_manifest_bot_scopes_are_exactly_bot_scopes(manifest):
    """What the admin installs (manifest.yml) and what the OAuth flow asks for (BOT_SCOPES) are one list: no
    scope missing on either side, none twice.  The tests grant the app the manifest's scopes."""
    from bot.app import BOT_SCOPES
    from tests.harness import manifest_bot_scopes

    bot = manifest["oauth_config"]["scopes"]["bot"]
    assert len(bot) == len(set(bot)) and len(BOT_SCOPES) == len(set(BOT_SCOPES))
    assert set(bot) == set(BOT_SCOPES)
    assert manifest_bot_scopes() == tuple(bot)


def test_the_sender_can_read_back_what_it_sent(manifest):
    """Before re-sending, the bot reads the team channel's history and the members' threads: the scopes for
    public and private channels and DMs must be asked for."""
    bot = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:history", "groups:history", "im:history"} <= bot
