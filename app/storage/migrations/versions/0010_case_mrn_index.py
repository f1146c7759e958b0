"""index cases by MRN and project, and by project and enrollment date with the case ID (the
data-quality rules over the whole register)

The data-quality rule DQ-CASE-DUPLICATE looks for the same MRN twice in one project within 90
days over the whole register (``app.services.quality``: the MRN and project pairs held twice, by
``GROUP BY``). Without an index SQLite sorts every case for it: about 0.4 s at 200,000 cases,
most of the whole register's check. With this covering index it walks the index in order, and the
case form's "same MRN" lookup as the user types is a seek. The MRN is stored in the database
already (encrypted at rest like every page); the index adds no new place it leaves the file.

DQ-DOSE-MISSING (and the register's "no dosimetry submission" flag) reads the enrolled breast
and lung cases by project and enrollment date and looks for each one's submission by case ID: with
the case ID in the index of (project, enrollment date) that is read from the index alone, not
from each case's row (about 40 % less at 200,000 cases). It replaces that index, its prefix.

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
        batch_op.create_index("ix_cases_project_enrolled_case", ["project", "enrolled_on", "case_id"], unique=False)
        batch_op.drop_index("ix_cases_project_enrolled")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_project_enrolled", ["project", "enrolled_on"], unique=False)
        batch_op.drop_index("ix_cases_project_enrolled_case")
        batch_op.drop_index("ix_cases_mrn_project")
