"""who signed, provably: the facility's certificate authority, each person's certificate, signed
audit entries, users linked to staff; the old facility key that every user could read is removed

- ``facility_certificates``: the facility CA's certificate (its key is in administrators' key slots);
- ``user_certificates``: each person's public keys and the certificate the CA issued them;
- ``audit_signatures``: each transaction's audit entries signed by the person who made them;
- ``users.staff_id``: the person in Staff & roles an account belongs to;
- ``signing_certificates.private_key_pem`` emptied: that key was readable by every user, so a
  self-audit signed with it proves nothing; self-audits are signed with personal keys from now on.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.String(length=64), nullable=True))
    op.create_table(
        "facility_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fingerprint", sa.String(length=100), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id", name="pk_facility_certificates"),
    )
    op.create_table(
        "user_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("sealing_public", sa.String(length=64), nullable=False),
        sa.Column("request_code", sa.String(length=40), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=100), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_user_certificates"),
    )
    op.create_index("ix_user_certificates_user_name", "user_certificates", ["user_name"])
    op.create_table(
        "audit_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_signatures"),
        sa.UniqueConstraint("last_entry_id", name="uq_audit_signatures_last_entry_id"),
    )
    op.execute("UPDATE signing_certificates SET private_key_pem = '', active = false")


def downgrade() -> None:
    op.drop_table("audit_signatures")
    op.drop_index("ix_user_certificates_user_name", table_name="user_certificates")
    op.drop_table("user_certificates")
    op.drop_table("facility_certificates")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("staff_id")
