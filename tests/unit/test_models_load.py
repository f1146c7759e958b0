"""What mapping the models costs a process on SQLite: PostgreSQL's dialect stays unloaded (30-50 ms
of every command and sign-in), as the models name no PostgreSQL-only option
(``tests/pg/test_postgres.py`` holds the shared database's partial indexes to their WHERE)."""

from __future__ import annotations

import subprocess
import sys


def test_the_models_and_the_check_load_no_postgresql_dialect() -> None:
    probe = ("import sys; import app.storage.models, app.services.findings, app.security.signin, app.cli; "
             "from sqlalchemy.orm import configure_mappers; configure_mappers(); "
             "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.dialects.postgresql')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
