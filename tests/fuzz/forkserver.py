"""Run the command line in a process of its own without paying Python's start-up for each run.

The fuzz and crash suites start the command line a few hundred times; 0.7 s of each start was
the interpreter loading the same modules again. A fork server loads them once and forks one child
per run: the child has its own process, its own standard input, output and error (files), the
test's environment of the moment, exits with the command's code (or dies by ``kill -9``, from a
crash point or from the test) and its peak memory starts from what a fresh process has loaded —
a forked process's high-water mark begins at its parent's resident size, which is the size of
the modules loaded here. An exception escaping ``app.cli.main`` prints its traceback and exits 1,
as ``python -m app`` would, so a test that looks for "Traceback" still sees it. Like the tests'
own processes, the children derive keys at the lowest Argon2id cost (``tests.support.CHEAP_KDF``);
a fresh interpreter (``harness.start(real=True)``) keeps the real cost.

Protocol (one request at a time, JSON lines): the server says ``{"ready": true}`` once loaded;
the test writes ``{"args", "stdin", "out", "err",
"env"}``; the server answers ``{"pid"}`` at once and ``{"status", "maxrss_kib"}`` when the child
ends (``status`` as ``os.waitstatus_to_exitcode``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

#: What every command the suites run loads anyway (``import``, ``verify``, ``restore``, ``backup``,
#: ``users``, ``init``): loaded once here instead of once per run.
#: A new database's build loads Alembic (which loads Mako and Pygments) and OpenSSL's backend: 0.5 s
#: of each ``import --db NEW`` and ``init`` child, loaded here once. Imports only: no state.
PRELOAD = ("app.cli", "app.storage.database", "app.workbook.importer", "app.services.maintenance",
           "app.security.keyfile", "app.security.signin", "sqlalchemy.dialects.sqlite", "alembic.command",
           "alembic.op", "alembic.runtime.migration", "mako.template", "mako.ext.pygmentplugin",
           "cryptography.hazmat.backends.openssl")


def _child(request: dict) -> None:
    """In the forked child: become the command line's process, run it, never return."""
    import atexit
    import io
    import logging
    import traceback

    code = 1
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, flags in ((0, request["stdin"], os.O_RDONLY), (1, request["out"], os.O_WRONLY),
                                (2, request["err"], os.O_WRONLY)):
            opened = os.open(path, flags)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                      errors="backslashreplace", line_buffering=True)
        from app.cli import main

        try:
            code = main(request["args"])
        except SystemExit as exc:  # argparse's usage errors, as the interpreter reports them
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        atexit._run_exitfuncs()
        logging.shutdown()
    except BaseException:  # what the interpreter prints for an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the reader went away; the exit code still tells
                stream.flush()
        os._exit(code)


def serve() -> None:
    """Load the command line once, then fork one child per request read from standard input."""
    import importlib

    import app.security.passwords as passwords
    from tests.support import cheap_security_policy

    for name in PRELOAD:
        importlib.import_module(name)
    # the ORM's mappers are configured on first use, in every child again: 20 ms a child, about 420
    # children a run (8 s of CPU); configured here once, as a long-running app has them after its first query
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    cheap = cheap_security_policy()  # as the tests' own processes (conftest.cheap_kdf)
    passwords.security_policy = lambda: cheap
    requests = os.fdopen(0, "rb", buffering=0)
    answers = os.fdopen(1, "wb", buffering=0)
    answers.write(b'{"ready": true}\n')  # loaded: what the test times starts now
    while True:
        line = b""
        while not line.endswith(b"\n"):
            chunk = requests.read(1)
            if not chunk:
                return  # the test process ended
            line += chunk
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)  # its standard streams replace the request pipes (dup2)
        answers.write(json.dumps({"pid": pid}).encode() + b"\n")
        _, status, usage = os.wait4(pid, 0)
        answers.write(json.dumps({"status": os.waitstatus_to_exitcode(status),
                                  "maxrss_kib": usage.ru_maxrss}).encode() + b"\n")


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    serve()
