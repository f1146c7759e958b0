"""users and sign-in, a hash-chained audit log, the idle-lock setting, letter IDs and senders,
saved screening-list mappings

- ``users`` (everyone who signs in), ``sign_in_failures`` and ``recovery_keys`` (a server
  database's lockout counts and recovery key; a SQLite file keeps those in its key file);
- ``audit_log.hash`` and ``audit_head``: every entry existing before is chained here, in ID order;
- ``facility.lock_after_minutes`` (15 unless set);
- ``correspondence.letter_id`` (each existing letter gets one) and ``sender``; the old
  uniqueness of (received on, subject) gives way to the letter ID;
- ``screening_profiles``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.audit_chain import GENESIS, audit_columns, link

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_name", "sign_in_failures", ["name"])
    op.create_table(
        "recovery_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_keys"),
    )
    op.create_table(
        "screening_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("headers", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_screening_profiles"),
        sa.UniqueConstraint("name", name="uq_screening_profiles_name"),
    )
    op.create_index("ix_screening_profiles_headers", "screening_profiles", ["headers"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_after_minutes", sa.Integer(), nullable=False, server_default="15"))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    # letters: an ID for each existing one, then the ID (not date + subject) is what is unique
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sender", sa.String(length=200), nullable=True))
    letters = sa.table("correspondence", sa.column("id", sa.Integer), sa.column("letter_id", sa.String))
    ids = [row[0] for row in bind.execute(sa.select(letters.c.id).order_by(letters.c.id))]
    if ids:
        bind.execute(letters.update().where(letters.c.id == sa.bindparam("b_id")).values(letter_id=sa.bindparam("b_letter")),
                     [{"b_id": i, "b_letter": f"L-{i:05d}"} for i in ids])
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.alter_column("letter_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_correspondence", type_="unique")
        batch_op.create_unique_constraint("uq_correspondence_letter_id", ["letter_id"])

    # chain every existing audit entry, in ID order, in batches (a large facility has millions);
    # before/after are hashed as the JSON text they are stored as
    audit = audit_columns()
    columns = [c for c in audit.c if c.name != "hash"]
    previous, count, last_id, after_id = GENESIS, 0, 0, 0
    while True:
        # the JSON columns as their stored text (PostgreSQL's driver would decode json into values)
        rows = bind.execute(sa.select(*(sa.cast(c, sa.Text).label(c.name) if c.name in ("before", "after") else c
                                        for c in columns)).where(audit.c.id > after_id)
                            .order_by(audit.c.id).limit(20000)).mappings().all()
        if not rows:
            break
        updates = []
        for row in rows:
            entry = dict(row)
            previous = link(previous, entry)
            updates.append({"b_id": entry["id"], "b_hash": previous})
            count += 1
            last_id = after_id = entry["id"]
        bind.execute(audit.update().where(audit.c.id == sa.bindparam("b_id")).values(hash=sa.bindparam("b_hash")), updates)
    head = sa.table("audit_head", sa.column("id"), sa.column("last_id"), sa.column("last_hash"), sa.column("entries"))
    bind.execute(head.insert().values(id=1, last_id=last_id, last_hash=previous, entries=count))


def downgrade() -> None:
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.drop_constraint("uq_correspondence_letter_id", type_="unique")
        batch_op.create_unique_constraint("uq_correspondence", ["received_on", "subject"])
        batch_op.drop_column("sender")
        batch_op.drop_column("letter_id")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("hash")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_column("lock_after_minutes")
    op.drop_table("audit_head")
    op.drop_index("ix_screening_profiles_headers", table_name="screening_profiles")
    op.drop_table("screening_profiles")
    op.drop_table("recovery_keys")
    op.drop_index("ix_sign_in_failures_name", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_table("users")
