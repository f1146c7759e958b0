"""the shared database enforces who may do what: per-person server logins, grants, the server's audit log

- ``users.server_role``: the PostgreSQL login a person signs in to a shared database with (the
  app's own ``PREFIX.name``, or the hospital directory's login); nothing on a SQLite file;
- ``person_keys``: on a shared database, each person's signing and sealing keys wrapped under
  their own password (a SQLite file keeps them in its key file's slots), readable by that person
  only (row-level security);
- on PostgreSQL, the server's side (``app.storage.server_roles.install``): group roles and their
  grants, row-level security, the audit trigger on every audited table, the definer functions
  through which users, roles, the recovery key, the lockout and the certificates change. The
  grants of an earlier version's shared login are taken back.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.database import SERVER_SIDE_AFTER

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_role", sa.String(length=63), nullable=True))
        batch_op.create_unique_constraint("uq_users_server_role", ["server_role"])
    op.create_table(
        "person_keys",
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("server_role", sa.String(length=63), nullable=False),
        sa.Column("slot", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_name", name="pk_person_keys"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and not op.get_context().config.attributes.get(SERVER_SIDE_AFTER):
        from app.storage.server_roles import install

        install(bind)  # (an upgrade through the app makes it once, after the last migration)


def downgrade() -> None:
    op.drop_table("person_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_server_role", type_="unique")
        batch_op.drop_column("server_role")
