"""index the register's sorts and flags; keep each case's first dosimetry date

Issue 28 asks the register to open, sort and filter a million cases in 100 ms. Three things were
slower than that, each for want of an index the database could walk:

- Sorting by a column other than the eligible date sorted every case (a temporary B-tree, about
  0.4 s at a million). Each sortable column gets an index in the register's own order: blanks last
  (``column IS NULL`` first, for a column that may be blank), then the column, then the case ID
  (``app.storage.models.sort_key``), so the first page is the index's first 500 entries.
- "No dosimetry submission" looked for a submission dated by the as-of date once per enrolled
  breast and lung case: half a million probes at a million cases, about 0.4 s for the count alone.
  ``cases.first_dosimetry_on`` keeps the earliest submission's date, maintained by triggers on
  ``dosimetry_submissions`` (every insert, change and delete, whoever writes it: a save, an undo,
  the workbook import, a raw statement), so the flag is one range of ``ix_cases_dosimetry_due``:
  blank or later than the as-of date. The column is filled here from the submissions already held.
- "Pending past the window" read every case without an enrollment date (the not-enrolled ones
  too) to find the few thousand pending. ``ix_cases_pending`` holds only the cases not marked
  not enrolled, by enrollment date (a blank one as the last date), so the pending are one range.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: What a blank date reads as in the flags' indexes: after every date (app.storage.models.NEVER).
NEVER = "9999-12-31"
#: (index, expressions) of the register's sorts, as app.storage.models.sort_key writes them
SORTS = (("project", False), ("primary_site", True), ("status", False), ("enrolled_on", True),
         ("not_enrolled_reason", True), ("payer", True))

_FIRST = "(SELECT min(d.submitted_on) FROM dosimetry_submissions d WHERE d.case_id = {case})"

SQLITE_TRIGGERS = (
    # an earlier date than the kept one (or the first): it becomes the kept one
    """CREATE TRIGGER dosimetry_first_on_insert AFTER INSERT ON dosimetry_submissions BEGIN
    UPDATE cases SET first_dosimetry_on = NEW.submitted_on WHERE case_id = NEW.case_id
      AND (first_dosimetry_on IS NULL OR first_dosimetry_on > NEW.submitted_on); END""",
    # a date or case changed: both cases' earliest read again
    f"""CREATE TRIGGER dosimetry_first_on_update AFTER UPDATE OF case_id, submitted_on ON dosimetry_submissions BEGIN
    UPDATE cases SET first_dosimetry_on = {_FIRST.format(case="cases.case_id")}
      WHERE case_id IN (OLD.case_id, NEW.case_id); END""",
    f"""CREATE TRIGGER dosimetry_first_on_delete AFTER DELETE ON dosimetry_submissions BEGIN
    UPDATE cases SET first_dosimetry_on = {_FIRST.format(case="OLD.case_id")} WHERE case_id = OLD.case_id; END""",
)

# A definer's function: whoever may write a submission (physics, a coordinator's import) keeps the
# case's date without the right to write cases; the change is the database's, not an audit entry
# (the audit trigger leaves the column out: app.storage.server_roles.UNAUDITED_COLUMNS).
POSTGRESQL_TRIGGER = (
    f"""CREATE OR REPLACE FUNCTION mroqc_first_dosimetry_on() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE cases SET first_dosimetry_on = {_FIRST.format(case="OLD.case_id")} WHERE case_id = OLD.case_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE cases SET first_dosimetry_on = NEW.submitted_on WHERE case_id = NEW.case_id
      AND (first_dosimetry_on IS NULL OR first_dosimetry_on > NEW.submitted_on);
  END IF;
  RETURN NULL;
END $f$""",
    """CREATE TRIGGER dosimetry_first_on AFTER INSERT OR DELETE OR UPDATE OF case_id, submitted_on
ON dosimetry_submissions FOR EACH ROW EXECUTE FUNCTION mroqc_first_dosimetry_on()""",
)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_dosimetry_on", sa.Date(), nullable=True))
    bind.execute(sa.text(f"UPDATE cases SET first_dosimetry_on = {_FIRST.format(case='cases.case_id')} "
                         "WHERE case_id IN (SELECT case_id FROM dosimetry_submissions)"))
    for statement in SQLITE_TRIGGERS if bind.dialect.name == "sqlite" else POSTGRESQL_TRIGGER:
        bind.execute(sa.text(statement))
    for column, nullable in SORTS:
        keys = [sa.text(f"({column} IS NULL)"), column, "case_id"] if nullable else [column, "case_id"]
        op.create_index(f"ix_cases_sort_{column}", "cases", keys, unique=False)
    where = {"sqlite_where": sa.text("enrolled_on IS NOT NULL"), "postgresql_where": sa.text("enrolled_on IS NOT NULL")}
    op.create_index("ix_cases_dosimetry_due", "cases",
                    ["project", sa.text(f"coalesce(first_dosimetry_on, '{NEVER}')"), "enrolled_on"], **where)
    where = {"sqlite_where": sa.text("status != 'not_enrolled'"), "postgresql_where": sa.text("status != 'not_enrolled'")}
    op.create_index("ix_cases_pending", "cases", [sa.text(f"coalesce(enrolled_on, '{NEVER}')"), "eligible_on"], **where)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_cases_pending", "cases")
    op.drop_index("ix_cases_dosimetry_due", "cases")
    for column, _ in SORTS:
        op.drop_index(f"ix_cases_sort_{column}", "cases")
    if bind.dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS dosimetry_first_on_{name}"))
    else:
        bind.execute(sa.text("DROP TRIGGER IF EXISTS dosimetry_first_on ON dosimetry_submissions"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS mroqc_first_dosimetry_on()"))
    # ALTER TABLE, not batch mode's copy of the table: dropping ``cases`` to replace it would
    # delete every submission with it (ON DELETE CASCADE)
    op.drop_column("cases", "first_dosimetry_on")
