"""installed policy files

- ``installed_policies``: a policy file an administrator installed (``policy install``, Settings →
  Program → Install policy file…), kept whole with who installed it and when; the policy for an
  as-of date is the newest file, bundled or installed, in force on that date.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installed_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("supersedes", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("installed_by", sa.String(length=64), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_installed_policies"),
        sa.UniqueConstraint("sha256", name="uq_installed_policies_sha256"),
    )
    op.create_index("ix_installed_policies_effective_from", "installed_policies", ["effective_from"])


def downgrade() -> None:
    op.drop_index("ix_installed_policies_effective_from", table_name="installed_policies")
    op.drop_table("installed_policies")
