"""``app`` must run without Qt: import every module with PySide6 blocked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib, pkgutil, sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6.") or name == "ui" or name.startswith("ui."):
            raise ImportError(f"app imported {name}")
        return None
sys.meta_path.insert(0, BlockQt())
import app
names = [m.name for m in pkgutil.walk_packages(app.__path__, "app.") if ".migrations" not in m.name and m.name != "app.__main__"]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter in the project folder (nothing imported yet), which
    must exit 0 (its error output is the failure's message)."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def test_every_app_module_imports_without_qt() -> None:
    result = run_python(SCRIPT)
    assert int(result.stdout.strip()) >= 8


def test_the_cli_does_not_import_sqlalchemy_before_a_command_needs_it() -> None:
    """``mroqc-desk`` with no command opens the window, which must appear before SQLAlchemy loads."""
    code = ("import sys, app.cli; from app.cli import _url, build_parser; "
            "_url(build_parser().parse_args(['--db', 'x.sqlite3'])); "
            "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'")
    run_python(code)


def test_the_window_names_a_database_before_opening_it_without_its_password() -> None:
    from app.paths import database_name, sqlite_url

    assert database_name(sqlite_url("/data/facility.sqlite3")) == "/data/facility.sqlite3"
    assert database_name("postgresql+psycopg://desk:s3cr@t@db.example:5432/mroqc") == \
        "postgresql+psycopg://desk:***@db.example:5432/mroqc"
    assert database_name("postgresql://db.example/mroqc") == "postgresql://db.example/mroqc"


def test_the_command_line_never_imports_the_window() -> None:
    """``app.cli`` is handed the window by ``ui.launch``; on its own, asking for the window is one
    clear line (exit 2), and no module of ``ui`` is ever imported."""
    code = SCRIPT.split("import app\n")[0] + (
        "from app.cli import main\n"
        "code = main(['--db', 'nowhere.sqlite3'])\n"
        "assert code == 2, code\n"
        "assert not any(m == 'ui' or m.startswith('ui.') for m in sys.modules)\n")
    result = run_python(code)
    assert result.stderr.strip() == "mroqc-desk: this command line has no window; start the app with 'mroqc-desk'"


def test_python_dash_m_app_is_the_command_line_without_the_window() -> None:
    """``python -m app`` never reaches for ``ui`` (not even to fall back from it) and runs with
    PySide6 blocked; the window is ``python -m ui``."""
    only_qt = SCRIPT.split("import app\n")[0].replace(' or name == "ui" or name.startswith("ui.")', "")
    code = only_qt + (
        "import runpy\n"
        "sys.argv = ['app', '--version']\n"
        "try:\n"
        "    runpy.run_module('app', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        "assert not any(m == 'ui' or m.startswith('ui.') for m in sys.modules)\n")
    result = run_python(code)
    assert result.stdout.startswith("mroqc-desk ")
