"""Checks on manifest.yml, the Slack app manifest an admin pastes to create the app.

The manifest is validated against the Slack app manifest JSON schema (from
SchemaStore) kept in the shared reference directory next to the checkout, and
against what the product itself relies on (command, events, scopes).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema")

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "manifest.yml"
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "slack-reference"
SCHEMA_PATH = REFERENCE_DIR / "slack-app-manifest.schema.json"

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
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"Slack app manifest schema not available at {SCHEMA_PATH}")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator, instance) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    ]


def test_manifest_matches_slack_schema(manifest, validator):
    errors = _errors(validator, manifest)
    assert not errors, "manifest.yml does not match the Slack manifest schema:\n" + "\n".join(errors)


def test_schema_rejects_bot_display_name_with_space(manifest, validator):
    broken = copy.deepcopy(manifest)
    broken["features"]["bot_user"]["display_name"] = "Maturity Bot"
    errors = _errors(validator, broken)
    assert errors, "schema validation should reject a bot display_name containing a space"
    assert any("features/bot_user/display_name" in e for e in errors), errors


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
