"""index the register's descending sorts of the columns that may be blank

The register keeps a blank last whichever way a column is sorted (``app.services.register.order_by``),
so the descending order of a column that may be blank is not the ascending index read backwards:
``(column IS NULL)`` ascending, the column and the case ID descending. Migration 0013 indexed the
ascending order only, and a click on the header a second time sorted every case (240 ms for the
enrollment date at 200,000 cases, over a second at a million). Each such column gets its
descending order as an index of its own (``app.storage.models.sort_key(column, descending=True)``).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: the register's sortable columns that may be blank (app.storage.models.NULLABLE_SORTS)
NULLABLE = ("primary_site", "enrolled_on", "not_enrolled_reason", "payer")


def upgrade() -> None:
    for column in NULLABLE:
        op.create_index(f"ix_cases_sort_{column}_desc", "cases",
                        [sa.text(f"({column} IS NULL)"), sa.text(f"{column} DESC"), sa.text("case_id DESC")],
                        unique=False)


def downgrade() -> None:
    for column in NULLABLE:
        op.drop_index(f"ix_cases_sort_{column}_desc", "cases")
