#!/usr/bin/env python3
"""Set up and run MROQC Facility Desk from a source checkout, needing only Python 3.11+.

    python3 dev.py start [mroqc-desk arguments]   # the app (GUI by default)
    python3 dev.py test  [pytest arguments]       # ruff, then the whole test suite, on every core
    python3 dev.py setup                          # only create/refresh .venv

Creates ``.venv`` and installs the project into it (again whenever pyproject.toml changes).
For the tests it also makes sure the Qt runtime libraries are present (apt-get, when run as
root on Debian/Ubuntu) and that the local PostgreSQL server is started if it is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-pyproject"
# Libraries Qt's offscreen platform needs on a bare Debian/Ubuntu image.
#: what Qt needs on Debian/Ubuntu: library → the package that has it (offscreen: the tests)
QT_LIBRARIES = {
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}
#: and on a desktop (X11, the "xcb" platform plugin): the window
QT_WINDOW_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xkb.so.1": "libxcb-xkb1",
}
FONT_PACKAGES = ["fonts-dejavu-core"]


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("MROQC Facility Desk needs Python 3.11 or newer.")
    if not PYTHON.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"])
    STAMP.write_text(digest)


def missing_qt_libraries(window: bool = False) -> dict[str, str]:
    if not sys.platform.startswith("linux") or not shutil.which("ldconfig"):
        return {}
    known = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    wanted = {**QT_LIBRARIES, **(QT_WINDOW_LIBRARIES if window else {})}
    return {lib: package for lib, package in wanted.items() if lib not in known}


def ensure_system_packages(window: bool = False) -> None:
    """Qt's runtime libraries (``window``: also those of the X11 window), installed with apt-get
    when run as root on Debian/Ubuntu; otherwise a warning naming the packages."""
    missing = missing_qt_libraries(window)
    if not missing:
        return
    packages = sorted(set(missing.values())) + FONT_PACKAGES
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", *packages], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    else:
        print(f"warning: Qt needs {', '.join(missing)}; install: {' '.join(packages)}", flush=True)


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def ensure_postgres() -> None:
    """Start the machine's own PostgreSQL cluster if it is installed but stopped."""
    if postgres_reachable() or not shutil.which("pg_ctlcluster"):
        return
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if versions:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "start"], check=False)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"start", "test", "setup"}:
        print(__doc__)
        return 2
    action, rest = sys.argv[1], sys.argv[2:]
    ensure_venv()
    if action == "setup":
        return 0
    if action == "start":
        ensure_system_packages(window=bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")))
        exe = BIN / ("mroqc-desk.exe" if os.name == "nt" else "mroqc-desk")
        return subprocess.run([str(exe), *rest]).returncode
    ensure_system_packages()
    ensure_postgres()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Compiled modules kept (``__pycache__``, ignored by git) even where the environment says not to
    # write them: every worker, fork server, fresh interpreter and load-test workstation otherwise
    # compiles the app and the tests from source again (collecting the suite: 7.7 s → 3.1 s a process)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    lint = subprocess.run([str(PYTHON), "-m", "ruff", "check", "app", "ui", "tests", "bench", "dev.py"], cwd=ROOT)
    if lint.returncode:
        print("ruff found problems (see above)", flush=True)
        return lint.returncode
    return subprocess.run([str(PYTHON), "-m", "pytest", *parallel(rest), *rest], cwd=ROOT, env=env).returncode


def parallel(rest: list[str]) -> list[str]:
    """pytest-xdist workers (two more than cores), each test file on one worker (its module fixtures, such
    as a GUI module's demo database, are built once); none when the arguments choose otherwise
    (``-n 0``, ``-p no:xdist``) or name single tests, which start faster in one process."""
    chosen = any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) for a in rest)
    if chosen or "no:xdist" in rest or any("::" in a for a in rest):
        return []
    # two workers more than cores: a worker waiting on a child process, the database server or the
    # event loop leaves its core to another (the whole suite on 2 cores, quiet: 3 min 50 s with 2
    # workers, 3 min 38 s with 3, 3 min 25-40 s with 4); in the order conftest.py gives (the longest
    # files first), not xdist's by number of tests
    workers = (os.cpu_count() or 1) + 2
    # a worker that crashes (a segmentation fault) ends the run with its traceback and "worker gwN
    # crashed": replaced, with each file on one worker, the run once waited forever at 98 %
    return ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder", "--max-worker-restart", "0"]


if __name__ == "__main__":
    sys.exit(main())
