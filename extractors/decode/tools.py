"""External tools (Tesseract, LibreOffice) under bounds: a time limit whose expiry kills the tool
and everything it started, a memory limit, and a job folder that is removed afterwards.

Each tool runs in a process group of its own, with a job folder that records the group. If the
extraction process itself is killed (its own time limit, the OOM killer), it cannot clean up: the
next ``sweep()`` (the service, the crawler and the CLI call it) finds job folders whose owner is
gone, kills the group recorded there and removes the folder.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import Errors, ExtractionError

JOB_PREFIX = "fiscal-extract-job-"
TOOL_MEMORY_MB = int(os.environ.get("FISCAL_TOOL_MEMORY_MB", "2048"))
_JOB = re.compile(rf"{JOB_PREFIX}(\d+)-")
_PR_SET_PDEATHSIG = 1
_deadline: float | None = None       # the current document's time limit (monotonic), set by the caller


def set_deadline(seconds: float | None) -> None:
    """The time the current extraction may still take: a tool is stopped before it."""
    global _deadline
    _deadline = None if seconds is None else time.monotonic() + seconds


def _budget(timeout: float) -> float:
    if _deadline is None:
        return timeout
    left = _deadline - time.monotonic() - 1.0          # a second to stop the tool and answer
    if left <= 0:
        raise ExtractionError(Errors.E008, "the time limit of this document is spent")
    return min(timeout, left)


@contextlib.contextmanager
def job_dir():
    """A folder for one tool run, named after this process, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"{JOB_PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        _kill_group(path)
        shutil.rmtree(path, ignore_errors=True)


def run_tool(cmd: list[str], job: Path, *, input: bytes | None = None, timeout: float,
             what: str, memory_mb: int = TOOL_MEMORY_MB) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group (recorded in ``job``), under ``memory_mb`` of address
    space, dying with this process; on timeout the whole group is killed and E008 raised."""
    limit = _budget(timeout)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=job, preexec_fn=_in_child(memory_mb))
    (job / "pgid").write_text(str(proc.pid))
    try:
        out, err = proc.communicate(input, timeout=limit)
    except subprocess.TimeoutExpired:
        raise ExtractionError(Errors.E008, f"{what} took longer than {limit:.0f} s") from None
    finally:
        _kill_group(job)
        proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _in_child(memory_mb: int):
    def in_child() -> None:
        os.setsid()
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        size = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return in_child


class RunningTool:
    """A tool started in a job folder of its own, under the same bounds as :func:`run_tool`, whose
    input files are written there first and whose output goes to files there: several can run at
    once from one thread (an extraction process starts no threads: one under its address-space
    limit may not get the memory a thread needs)."""

    def __init__(self, cmd: list[str], *, files: dict[str, bytes], timeout: float, what: str,
                 memory_mb: int = TOOL_MEMORY_MB, env: dict | None = None) -> None:
        self.what, self.proc = what, None
        self._job = job_dir()
        self.job = self._job.__enter__()
        try:
            for name, data in files.items():
                (self.job / name).write_bytes(data)
            self.limit = _budget(timeout)
            self.deadline = time.monotonic() + self.limit
            with open(self.job / "stdout", "wb") as out, open(self.job / "stderr", "wb") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.job,
                                             preexec_fn=_in_child(memory_mb), env=env)
            (self.job / "pgid").write_text(str(self.proc.pid))
        except BaseException:
            self.close()
            raise

    def done(self) -> bool:
        """Whether the tool has ended; E008 once its time is up."""
        if self.proc.poll() is not None:
            return True
        if time.monotonic() > self.deadline:
            raise ExtractionError(Errors.E008, f"{self.what} took longer than {self.limit:.0f} s")
        return False

    def stdout(self) -> bytes:
        return (self.job / "stdout").read_bytes()

    def close(self) -> None:
        """Stop what is left of the tool's group and remove its folder."""
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.job)
            self.proc.wait()
        self._job.__exit__(None, None, None)


def _kill_group(job: Path) -> None:
    try:
        pgid = int((job / "pgid").read_text())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def sweep() -> int:
    """Remove the job folders (and kill the tool groups) of extraction processes that are gone."""
    removed = 0
    root = Path(tempfile.gettempdir())
    for path in root.glob(f"{JOB_PREFIX}*"):
        m = _JOB.match(path.name)
        if not m or _alive(int(m.group(1))):
            continue
        _kill_group(path)
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a zombie has ended
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
