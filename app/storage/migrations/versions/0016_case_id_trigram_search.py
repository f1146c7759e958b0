"""find the register's text filter's cases from a trigram index of the case IDs (SQLite)

The register's text filter looks for the text anywhere in a case ID (``LIKE '%…%'``), which no
B-tree index can answer: the count read every case ID, 95–138 ms at a million cases, over issue
28's 100 ms. SQLite's FTS5 ``trigram`` tokenizer indexes every three characters of each ID, so a
text of three characters or more finds its candidates in the index (0.3–4 ms at a million) and the
``LIKE`` then decides among them only (``app.services.register.case_id_contains``).

``case_id_search`` keeps its own copy of each case ID, not the table's ``rowid``: ``cases`` has a
text primary key, so its implicit ``rowid`` may change in a ``VACUUM`` or a copy, and an index
keyed by it would then miss cases. Triggers keep it in step with ``cases`` whoever writes (a save,
an undo, the workbook import, a raw statement); an entry is found to be deleted by its whole ID as
a phrase of the index (an ID of fewer than three characters by reading the index's copy: the
index cannot hold it as a phrase). ``detail=full`` (the default) is what phrase queries need.

PostgreSQL keeps ``ILIKE`` over the register's indexes (its trigram index, ``pg_trgm``, is an
extension a hospital's server may not have): nothing is made there.

A later migration must not copy ``cases`` in batch mode without making these triggers again:
dropping a table drops its triggers.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: ``{who}.case_id`` as a phrase of the trigram index: in double quotes, each of its own doubled
_PHRASE = "'\"' || replace({who}.case_id, '\"', '\"\"') || '\"'"


def _forget(who: str) -> str:
    """Statements deleting the index's entry of ``{who}``'s case ID (OLD in a trigger)."""
    return (f"DELETE FROM case_id_search WHERE rowid IN (SELECT rowid FROM case_id_search WHERE case_id_search "
            f"MATCH {_PHRASE.format(who=who)}) AND case_id = {who}.case_id;")


_SHORT = "length({who}.case_id) < 3"

STATEMENTS = (
    "CREATE VIRTUAL TABLE case_id_search USING fts5(case_id, tokenize = 'trigram')",
    "INSERT INTO case_id_search (case_id) SELECT case_id FROM cases",
    """CREATE TRIGGER case_id_search_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_id_search (case_id) VALUES (NEW.case_id); END""",
    f"""CREATE TRIGGER case_id_search_delete AFTER DELETE ON cases WHEN NOT {_SHORT.format(who="OLD")} BEGIN
    {_forget("OLD")} END""",
    f"""CREATE TRIGGER case_id_search_delete_short AFTER DELETE ON cases WHEN {_SHORT.format(who="OLD")} BEGIN
    DELETE FROM case_id_search WHERE case_id = OLD.case_id; END""",
    f"""CREATE TRIGGER case_id_search_update AFTER UPDATE OF case_id ON cases
    WHEN OLD.case_id IS NOT NEW.case_id AND NOT {_SHORT.format(who="OLD")} BEGIN
    {_forget("OLD")}
    INSERT INTO case_id_search (case_id) VALUES (NEW.case_id); END""",
    f"""CREATE TRIGGER case_id_search_update_short AFTER UPDATE OF case_id ON cases
    WHEN OLD.case_id IS NOT NEW.case_id AND {_SHORT.format(who="OLD")} BEGIN
    DELETE FROM case_id_search WHERE case_id = OLD.case_id;
    INSERT INTO case_id_search (case_id) VALUES (NEW.case_id); END""",
)

TRIGGERS = ("case_id_search_insert", "case_id_search_delete", "case_id_search_delete_short",
            "case_id_search_update", "case_id_search_update_short")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        bind.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
    bind.execute(sa.text("DROP TABLE IF EXISTS case_id_search"))
