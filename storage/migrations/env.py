"""Alembic environment: runs against the engine the product hands over, or DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import make_engine

target_metadata = SQLModel.metadata
SLACK_SDK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
# Every process migrates at start-up, and several may start at once on one PostgreSQL database: the first
# takes this transaction-scoped advisory lock and migrates; the others wait for it, then find nothing to do.
MIGRATION_LOCK = 0x6D617475  # "matu"


def include_object(obj, name, type_, reflected, compare_to):
    """Leave slack_sdk's installation and state tables (created in migration 0003) to slack_sdk."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) not in SLACK_SDK_TABLES


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or make_engine(os.environ.get("DATABASE_URL"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `python -m bot migrate`.")
run_migrations_online()
