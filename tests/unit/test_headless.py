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


def test_every_app_module_imports_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 8
