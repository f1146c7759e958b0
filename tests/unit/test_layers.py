"""The import contracts in ``.importlinter`` hold: ``app`` never imports the window or Qt, each
``app`` package imports only the layers below it (docs/architecture.md), and no package or module
imports one that imports it back. The check reads imports inside functions too, so a cycle cannot
hide behind a function-local import: the last test shows it on a package made for the purpose.
No contract ignores an import (the storage/security cycles once listed there are gone), and
storage is a layer below security, so either kind of cycle coming back breaks a contract."""

from __future__ import annotations

import configparser
import textwrap
from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parents[2]
configuration.configure()  # what the ``lint-imports`` command does first: its readers and graph builder


def test_the_import_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), cache_dir=None), \
        "an import contract is broken: the report above names the imports"


def test_no_contract_ignores_an_import_and_storage_is_below_security() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    contracts = [name for name in config.sections() if name.startswith("importlinter:contract:")]
    assert contracts
    for name in contracts:
        assert not config.has_option(name, "ignore_imports"), f"{name} ignores imports: remove the cycle instead"
        assert not config.has_option(name, "unmatched_ignore_imports_alerting"), name
    layers = [line.strip() for line in config.get("importlinter:contract:layers", "layers").splitlines() if line.strip()]
    assert layers.index("app.security") < layers.index("app.storage") < layers.index("app.domain")  # each its own layer


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "cycle_probe"
    for name, text in {"__init__.py": "", "low/__init__.py": "", "high/__init__.py": "",
                       "high/report.py": "from cycle_probe.low import table\n",
                       "low/table.py": "def later():\n    from cycle_probe.high import report\n    return report\n"}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    config = tmp_path / ".importlinter"
    config.write_text(textwrap.dedent("""\
        [importlinter]
        root_packages =
            cycle_probe

        [importlinter:contract:no-cycles]
        name = no cycles
        type = acyclic_siblings
        ancestors =
            cycle_probe
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert not lint_imports(config_filename=str(config), cache_dir=None)
    (package / "low/table.py").write_text("def later():\n    return None\n")
    assert lint_imports(config_filename=str(config), cache_dir=None)
