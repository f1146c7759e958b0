"""Run the real command line in a child process and measure it: exit code, output, peak memory.

The child's peak resident memory: ``ru_maxrss`` from ``os.wait4`` is the larger of the child's own
peak and the peak of the process that started it (``vfork`` shares that process's memory until
``exec``, and the kernel keeps its high-water mark), so a test worker grown to 500 MB reported
every child at 500 MB. When ``ru_maxrss`` is not above this process's own peak, the figure is the
child's own ``VmHWM`` (``/proc/PID/status``), read every 20 ms while it runs. A child past its time
limit is killed and reported as such.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.show_window import vm_hwm_mb  # the same reading the benchmark's window uses

ROOT = Path(__file__).resolve().parents[2]
#: What a refused import prints after its first line: one problem per line.
PROBLEM_LINE = re.compile(r"^(?:[a-z_]+, \d+, [^:\n]+: .+|workbook: .+|… and \d+ more problem\(s\))$")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    max_rss_mb: float
    seconds: float
    timed_out: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def start(args: list[str], stdin: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, object, object]:
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
    process = subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=out,
                               stderr=err, env={**os.environ, **(env or {})})
    assert process.stdin is not None
    process.stdin.write(stdin.encode())
    process.stdin.close()
    return process, out, err


def finish(process: subprocess.Popen, out, err, timeout: float, started: float) -> Run:  # type: ignore[no-untyped-def]
    timed_out = False
    peak: float | None = None
    while True:
        seen = vm_hwm_mb(process.pid)  # (a child that has exited has no VmHWM: the last reading stands)
        if seen is not None:
            peak = max(peak or 0.0, seen)
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > timeout and not timed_out:
            os.kill(process.pid, signal.SIGKILL)
            timed_out = True
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    texts = []
    for handle in (out, err):
        handle.seek(0)  # type: ignore[attr-defined]
        texts.append(handle.read().decode("utf-8", "replace"))  # type: ignore[attr-defined]
        handle.close()  # type: ignore[attr-defined]
    rss = usage.ru_maxrss / 1024
    ours = vm_hwm_mb(os.getpid())
    if peak is not None and ours is not None and rss <= ours:  # the figure may be ours, not the child's
        rss = peak
    return Run(process.returncode, texts[0], texts[1], rss, time.monotonic() - started, timed_out)


def run_cli(args: list[str], stdin: str = "", timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    started = time.monotonic()
    process, out, err = start(args, stdin, env)
    return finish(process, out, err, timeout, started)


def clear_answer(run: Run) -> str | None:
    """Why ``run`` is not a clear answer (None when it is): an exit code of 0, 1 or 2, no traceback,
    and on failure one line, or the rejection line followed by ``sheet, row, column: message`` lines."""
    if run.timed_out:
        return f"did not finish in time ({run.seconds:.0f} s)"
    if run.code not in (0, 1, 2):
        return f"exit code {run.code}"
    if "Traceback" in run.output:
        return "printed a traceback"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if run.code == 0:
        return None if run.stdout.startswith("Imported ") else "exit 0 without the import summary"
    if not lines:
        return "failed without saying why"
    if lines[0].startswith("Import rejected, nothing was changed: "):
        bad = [line for line in lines[1:] if not PROBLEM_LINE.match(line)]
        return f"problem lines not in the form 'sheet, row, column: message': {bad[:3]}" if bad else None
    if len(lines) > 1:
        return f"{len(lines)} lines where one was expected: {lines[:3]}"
    return None
