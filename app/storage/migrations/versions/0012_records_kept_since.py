"""the day the facility started keeping its records here

- ``facility.records_kept_since``: the app cannot know what happened before it, so a rule whose
  window reaches back before that day says "not enough history yet" instead of firing. A facility
  already in use keeps its verdicts: it gets the earliest of its join date and its records' dates
  (cases' eligible and enrollment dates, data entry, dosimetry submissions, meetings, letters).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: (table, date column) whose earliest value says since when the facility's records go back
RECORD_DATES = (("cases", "eligible_on"), ("cases", "enrolled_on"), ("data_entries", "date"),
                ("dosimetry_submissions", "submitted_on"), ("meetings", "date"), ("correspondence", "received_on"))


def upgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records_kept_since", sa.Date(), nullable=True))
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    earliest = [sa.select(sa.func.min(sa.column(column))).select_from(sa.table(table)).scalar_subquery()
                for table, column in RECORD_DATES if table in tables]
    facility = sa.table("facility", sa.column("joined_on", sa.Date), sa.column("records_kept_since", sa.Date))
    # the earliest of the join date and every record's date (a NULL min is no record of that kind)
    since = facility.c.joined_on
    for day in earliest:
        since = sa.case((day < since, day), else_=since)
    bind.execute(sa.update(facility).values(records_kept_since=since))


def downgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_column("records_kept_since")
