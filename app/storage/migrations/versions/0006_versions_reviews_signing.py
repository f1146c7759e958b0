"""record versions (no lost update between workstations), finding reviews, the self-audit's
signing certificate, the facility's date format, each user's last reminder digest

- ``version`` on every table a person edits: a save based on an older version is refused
  (SQLAlchemy's version counter; bulk changes compare it themselves);
- ``finding_reviews``: a finding marked reviewed, with its explanation, kept as history;
- ``signing_certificates``: the facility's certificate and key that sign the self-audit PDF;
- ``facility.date_format`` (``iso`` unless chosen) and ``users.last_digest_at``.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

VERSIONED = ("facility", "staff", "role_assignments", "cases", "data_entries", "dosimetry_submissions", "meetings",
             "attendance", "correspondence", "absences", "program_years", "qip_episodes", "qip_steps", "users",
             "screening_profiles")


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_format", sa.String(length=20), nullable=False, server_default="iso"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(), nullable=True))
    op.create_table(
        "finding_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("subject_key", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_finding_reviews"),
    )
    op.create_index("ix_finding_reviews_rule_subject", "finding_reviews", ["rule", "subject_key"])
    op.create_table(
        "signing_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id", name="pk_signing_certificates"),
    )


def downgrade() -> None:
    op.drop_table("signing_certificates")
    op.drop_index("ix_finding_reviews_rule_subject", table_name="finding_reviews")
    op.drop_table("finding_reviews")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_column("date_format")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
