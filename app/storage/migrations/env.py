"""Alembic environment: runs on the connection the app hands over (never a config URL)."""

from __future__ import annotations

from alembic import context

from app.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the app always passes a connection
    raise RuntimeError("migrations run only through app.storage.database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
    transaction_per_migration=True,  # each schema step and its version bump commit together
)
with context.begin_transaction():
    context.run_migrations()
