"""Configuration from the environment (and a .env file, read with python-dotenv via pydantic-settings).

Credentials are SecretStr so that they never show up in a log line or an error message by accident.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"
README_SECTION = "README.md, section 'Configuration'"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigurationError(Exception):
    """Start-up cannot go on; the message says what to set and where to read about it."""


class Settings(BaseSettings):
    # An empty value (`SLACK_APP_TOKEN=` in a copied .env.example) is unset, not a value.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    database_url: str | None = None
    maturity_framework: Path | None = None
    # A folder of more framework files (*.yaml, *.yml, *.json) for facilitators to choose from (framework/library.py).
    maturity_frameworks_dir: Path | None = None
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"
    # An area's figures appear in summaries only once it has this many answers (anonymity).
    maturity_min_group: int = Field(default=3, ge=1)
    # Retention (UK GDPR): when a closed round is this many days old, the clock deletes its individual
    # answers, comments and history, keeping only the figures it showed. Unset keeps them (the default).
    maturity_retention_days: int | None = Field(default=None, ge=1)
    # Run the clock (scheduled summaries, closing dates, reminders) inside `python -m bot`. Turn it off
    # when a separate `python -m bot clock` process runs it.
    maturity_clock: bool = True
    # Slack user ids (comma or space separated) who facilitate every round.
    maturity_facilitators: str = ""
    # Delete a workspace's assessment data when the app is uninstalled (kept for export by default).
    maturity_delete_on_uninstall: bool = False
    # Pacing of chat.postMessage: per channel (Slack publishes 1 per second, short bursts allowed) and
    # per workspace (our own choice: 5% under the 20 a second we plan for, so timing jitter never trips it).
    maturity_channel_rate: float = Field(default=1.0, gt=0)
    maturity_workspace_rate: float = Field(default=19.0, gt=0)
    # The other methods are paced at Slack's published tiers (bot/pacing.py) times this: Slack grants some
    # apps more, and newer unlisted apps less (conversations.history), than the published figures.
    maturity_tier_scale: float = Field(default=1.0, gt=0)
    # How often the clock runs, and how long a sender holds an owed message before another may retry it.
    maturity_clock_tick: float = Field(default=30.0, gt=0)
    maturity_outbox_lease: float = Field(default=15.0, gt=0)
    # Outbox senders per process (bot/outbox_workers.py) and how often an idle one looks for work.
    maturity_senders: int = Field(default=2, ge=0, le=32)
    maturity_sender_poll: float = Field(default=1.0, gt=0, le=60)
    # How long the bot waits for Slack's answer to one call, and, when a post timed out, how long it waits
    # before looking whether Slack posted it after all (Slack sometimes posts long after the answer is
    # due); only then does it post again.
    maturity_slack_timeout: float = Field(default=10.0, gt=0)
    maturity_slow_post_grace: float = Field(default=60.0, gt=0)
    # How long a member must be quiet before the progress at the top of their thread is updated (a run of
    # quick answers then costs one update); 0 updates it after every answer.
    maturity_progress_delay: float = Field(default=2.0, ge=0, le=60)
    # Multi-workspace installs: with these (and no SLACK_BOT_TOKEN) the bot runs Slack's OAuth flow.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # Answer Slack only after the listener has finished (for FaaS hosts and deterministic tests). The
    # default acknowledges first and works afterwards, as Slack's 3-second limit requires.
    process_before_response: bool = False

    @field_validator("maturity_frameworks_dir")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError("is not a folder" if value.exists() else "the folder does not exist")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @property
    def facilitator_ids(self) -> frozenset[str]:
        return frozenset(part for part in self.maturity_facilitators.replace(",", " ").split() if part)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth_mode(self) -> bool:
        """Many workspaces: no bot token of our own, but an app's client id to run Slack's OAuth flow."""
        return not _value(self.slack_bot_token) and bool(self.slack_client_id)

    def require_credentials(self, serving: str | None = None) -> None:
        """Stop start-up when the credentials the chosen way of running needs are missing.

        `serving` is "http" (gunicorn always serves HTTP), "socket", "clock" (only a way to reach each
        workspace: the bot token, or the OAuth installations) or None (Socket Mode when SLACK_APP_TOKEN is
        set, else HTTP)."""
        serving = serving or ("socket" if self.socket_mode else "http")
        if serving == "clock":
            needed = ["SLACK_CLIENT_ID"] if self.oauth_mode else ["SLACK_BOT_TOKEN"]
            mode = "the clock"
        elif self.oauth_mode:
            needed, mode = (
                ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"],
                "multi-workspace (OAuth) mode",
            )
        else:
            needed = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if serving == "socket" else "SLACK_SIGNING_SECRET"]
            mode = "Socket Mode" if serving == "socket" else "HTTP mode"
        missing = [name for name in needed if not _value(getattr(self, name.lower()))]
        if missing:
            raise ConfigurationError(
                f"Missing {', '.join(missing)} for {mode}: set them in the environment or in .env "
                f"(see {README_SECTION})."
            )

    @property
    def api_url(self) -> str:
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


def load_settings(**values) -> Settings:
    """The settings from the environment and .env, or ConfigurationError naming each bad setting, what it
    holds and why it is refused (never a pydantic traceback)."""
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]).upper() or "a setting"
            shown = "(hidden)" if any(word in name for word in ("TOKEN", "SECRET")) else repr(problem.get("input"))
            problems.append(f"{name}={shown}: {problem['msg']}")
        raise ConfigurationError(f"Bad setting {'; '.join(problems)} (see {README_SECTION}).") from None


def _value(secret: SecretStr | str | None) -> str:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return (secret or "").strip()
