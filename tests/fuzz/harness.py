"""Run the real command line in a child process and measure it: exit code, output, peak memory.

Each run is a child of a fork server (``tests.fuzz.forkserver``: the modules loaded once, a
process forked per run) unless a test asks for a fresh interpreter (``real=True``, or every run
with ``MROQC_FUZZ_REAL_PROCESSES=1``).

The child's peak resident memory: ``ru_maxrss`` from ``os.wait4`` is the larger of the child's own
peak and the peak of the process that started it (``vfork`` shares that process's memory until
``exec``, and the kernel keeps its high-water mark), so a test worker grown to 500 MB reported
every child at 500 MB. When ``ru_maxrss`` is not above this process's own peak, the figure is the
child's own ``VmHWM`` (``/proc/PID/status``), read every 20 ms while it runs. A child past its time
limit is killed and reported as such.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import select
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


#: Set to 1 to start every command line as a fresh interpreter (``python -m app``) instead of a
#: child of the fork server (``tests.fuzz.forkserver``): slower, the same assertions.
REAL_ENV = "MROQC_FUZZ_REAL_PROCESSES"


class Child:
    """A command line started by a test: its pid, whether it has ended, its output; killable."""

    pid: int
    started: float  # when it was started (monotonic): its run's time counts from here

    def __init__(self, stdin: str) -> None:
        self._files = {}
        for name in ("stdin", "out", "err"):
            handle, path = tempfile.mkstemp(prefix=f"mroqc-cli-{name}-")
            os.close(handle)
            self._files[name] = path
        Path(self._files["stdin"]).write_text(stdin, encoding="utf-8")
        self.maxrss_kib = 0

    def poll(self) -> int | None:
        """The exit code (negative: the signal that killed it) once ended, else None."""
        raise NotImplementedError

    def wait(self) -> int:
        raise NotImplementedError

    def pause(self, seconds: float) -> None:
        """Wait up to ``seconds`` between two readings, less if the child ends meanwhile."""
        time.sleep(seconds)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def outputs(self) -> tuple[str, str]:
        """Standard output and error; the child's files are removed."""
        texts = tuple(Path(self._files[n]).read_bytes().decode("utf-8", "replace") for n in ("out", "err"))
        for path in self._files.values():
            Path(path).unlink(missing_ok=True)
        return texts  # type: ignore[return-value]


class RealChild(Child):
    """``python -m app`` in a fresh interpreter."""

    def __init__(self, args: list[str], stdin: str, env: dict[str, str]) -> None:
        super().__init__(stdin)
        self.started = time.monotonic()
        with open(self._files["stdin"], "rb") as i, open(self._files["out"], "wb") as o, open(self._files["err"], "wb") as e:
            self.process = subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, stdin=i, stdout=o, stderr=e,
                                            env=env)
        self.pid = self.process.pid
        self.code: int | None = None

    def poll(self) -> int | None:
        if self.code is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self._ended(status, usage)
        return self.code

    def wait(self) -> int:
        if self.code is None:
            _, status, usage = os.wait4(self.pid, 0)
            self._ended(status, usage)
        assert self.code is not None
        return self.code

    def _ended(self, status: int, usage: os.struct_rusage) -> None:  # type: ignore[name-defined]
        self.code = os.waitstatus_to_exitcode(status)
        self.process.returncode = self.code  # reaped here: Popen must not wait again
        self.maxrss_kib = usage.ru_maxrss
        ours = vm_hwm_mb(os.getpid())
        # vfork: ru_maxrss may be this process's own peak, not the child's (see the module's docstring)
        self.own_peak_unknown = ours is not None and usage.ru_maxrss / 1024 <= ours


class _ForkServer:
    """One ``tests.fuzz.forkserver`` per test process, started on first use."""

    process: subprocess.Popen | None = None

    @classmethod
    def ready(cls) -> subprocess.Popen:
        """The server, started and past loading the modules (its start is no run's time)."""
        if cls.process is None or cls.process.poll() is not None:
            cls.process = subprocess.Popen([sys.executable, "-m", "tests.fuzz.forkserver"], cwd=ROOT,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                           bufsize=0)  # unbuffered: select() sees every answer
            assert cls.process.stdout is not None
            if json.loads(cls.process.stdout.readline() or b"{}").get("ready") is not True:
                raise RuntimeError("the fork server did not start")
        return cls.process

    @classmethod
    def request(cls, message: dict) -> subprocess.Popen:
        assert cls.process is not None and cls.process.stdin is not None
        cls.process.stdin.write(json.dumps(message).encode() + b"\n")
        cls.process.stdin.flush()
        return cls.process


class ForkedChild(Child):
    """A child of the fork server: its own process, started without loading Python again."""

    def __init__(self, args: list[str], stdin: str, env: dict[str, str]) -> None:
        super().__init__(stdin)
        _ForkServer.ready()
        self.started = time.monotonic()
        self.server = _ForkServer.request({"args": args, "env": env, "stdin": self._files["stdin"],
                                           "out": self._files["out"], "err": self._files["err"]})
        self.pid = self._answer()["pid"]
        self.code: int | None = None
        self.own_peak_unknown = False

    def _answer(self) -> dict:
        assert self.server.stdout is not None
        line = self.server.stdout.readline()
        if not line:
            raise RuntimeError("the fork server ended")
        return json.loads(line)

    def poll(self) -> int | None:
        if self.code is None and select.select([self.server.stdout], [], [], 0)[0]:
            self._ended(self._answer())
        return self.code

    def pause(self, seconds: float) -> None:
        """Until the fork server answers (the child ended) or ``seconds``: most runs end in a
        fraction of the polling interval, which would otherwise be slept to its end (a few
        seconds over the few hundred runs of the suites)."""
        select.select([self.server.stdout], [], [], seconds)

    def wait(self) -> int:
        if self.code is None:
            self._ended(self._answer())
        assert self.code is not None
        return self.code

    def _ended(self, answer: dict) -> None:
        self.code = answer["status"]
        self.maxrss_kib = answer["maxrss_kib"]


def start(args: list[str], stdin: str, env: dict[str, str] | None = None, real: bool = False) -> Child:
    """Start the command line with ``args``, ``stdin`` as its input and the test's environment
    plus ``env``; a fork server's child unless ``real`` (or ``MROQC_FUZZ_REAL_PROCESSES=1``)."""
    full_env = {**os.environ, **(env or {})}
    if real or os.environ.get(REAL_ENV) == "1":
        return RealChild(args, stdin, full_env)
    return ForkedChild(args, stdin, full_env)


def finish(child: Child, timeout: float) -> Run:
    timed_out = False
    peak: float | None = None
    while True:
        seen = vm_hwm_mb(child.pid)  # (a child that has exited has no VmHWM: the last reading stands)
        if seen is not None:
            peak = max(peak or 0.0, seen)
        if child.poll() is not None:
            break
        if time.monotonic() - child.started > timeout and not timed_out:
            child.kill()
            timed_out = True
        child.pause(0.02)
    stdout, stderr = child.outputs()
    rss = child.maxrss_kib / 1024
    if peak is not None and child.own_peak_unknown:  # the figure may be ours, not the child's
        rss = peak
    assert child.code is not None
    return Run(child.code, stdout, stderr, rss, time.monotonic() - child.started, timed_out)


def run_cli(args: list[str], stdin: str = "", timeout: float = 120.0, env: dict[str, str] | None = None,
            real: bool = False) -> Run:
    return finish(start(args, stdin, env, real), timeout)


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


def report(env_var: str, part: str, figures: dict) -> None:
    """Print a suite's figures; with ``env_var=FILE`` (``MROQC_FUZZ_REPORT``, ``MROQC_CRASH_REPORT``)
    also write them there under ``part``, beside the other parts' (each part is a test of its own,
    maybe on another worker)."""
    print(json.dumps(figures, indent=1))
    if os.environ.get(env_var):
        out = Path(os.environ[env_var])
        known = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        known[part] = figures
        out.write_text(json.dumps(known, indent=1), encoding="utf-8")


def kill_moments(rng: random.Random, trials: int, window: float) -> list[float]:
    """``trials`` moments to kill a command at, over ``window`` seconds: one at a random moment in
    each of ``trials`` equal slices of it, in a random order. The kills cover the whole run evenly,
    as a uniform draw over the window does only with many more of them (it clusters and leaves
    gaps): the crash suites get the same reach with fewer runs."""
    slice_ = window / trials
    moments = [rng.uniform(n * slice_, (n + 1) * slice_) for n in range(trials)]
    rng.shuffle(moments)
    return moments
