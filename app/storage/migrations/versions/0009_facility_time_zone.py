"""the facility's time zone

- ``facility.time_zone`` (an IANA name, ``America/Detroit`` unless chosen): the audit log shows
  its times, and filters by days, in the facility's zone rather than UTC or whatever zone the
  computer reading it is set to.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False,
                                      server_default="America/Detroit"))


def downgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
