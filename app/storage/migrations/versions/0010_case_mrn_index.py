"""index cases by MRN, project and eligible date (the data-quality duplicate check)

The data-quality rule DQ-CASE-DUPLICATE looks for the same MRN twice in one project within 90
days over the whole register (``app.services.quality``: one ``LAG`` window over MRN and project,
ordered by eligible date). Without an index SQLite sorts every case for it: about 0.4 s at
200,000 cases, most of the whole register's check. With this covering index the window walks the
index in order (no sort), and the case form's "same MRN" lookup as the user types is a seek.
The MRN is stored in the database already (encrypted at rest like every page); the index adds no
new place it leaves the file.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_mrn_project", ["mrn", "project", "eligible_on", "case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_mrn_project")
