"""The engine never outlives the program that started it.

A GUI or a test run that dies, even by SIGKILL, cannot stop its engine child; left alone, that
engine would keep monitoring streams and holding its port for hours. So a launcher passes its own
pid in RADIOWATCH_ENGINE_PARENT_PID (`parent_env()`), and the engine polls that pid twice a
second (`watch_parent`) and runs its normal clean shutdown when it is gone.

Polling rather than Linux's prctl(PR_SET_PDEATHSIG): it works on every platform, also when the
watched program is not the direct parent (a wrapper in between), and it has no surprise when
the *thread* that started the engine ends (PDEATHSIG fires on thread exit, not process exit).

An engine started by hand (no variable) is not watched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

ENV_PARENT_PID = "RADIOWATCH_ENGINE_PARENT_PID"
POLL_S = 0.5
# After asking for a clean stop, how long the engine may take before it is ended hard.
HARD_EXIT_AFTER_S = 15.0


def parent_env() -> dict[str, str]:
    """Environment entries a launcher adds so the engine it starts follows it into death."""
    return {ENV_PARENT_PID: str(os.getpid())}


def take_parent_pid() -> int | None:
    """The pid to follow, removed from the environment so the engine's own children (ingest
    workers) do not inherit a stale one."""
    raw = os.environ.pop(ENV_PARENT_PID, "").strip()
    if not raw:
        return None
    try:
        pid = int(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a process id", ENV_PARENT_PID, raw)
        return None
    return pid if pid > 0 else None


def process_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A dead parent whose own parent has not reaped it yet still answers kill(pid, 0)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    fields = stat.rsplit(b")", 1)[-1].split()
    return bool(fields) and fields[0] in (b"Z", b"X")


def _windows_process_alive(pid: int) -> bool:
    # os.kill on Windows would terminate the process, so ask the kernel directly.
    import ctypes

    synchronize, wait_timeout = 0x00100000, 0x102
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False
    try:
        return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
    finally:
        kernel32.CloseHandle(handle)


def parent_gone(parent_pid: int, started_ppid: int) -> bool:
    # When the watched pid was our direct parent, being re-parented means it died (this also
    # catches a reused pid).
    if started_ppid == parent_pid and os.getppid() != parent_pid:
        return True
    return not process_alive(parent_pid)


async def watch_parent(
    parent_pid: int, on_gone: Callable[[], None], *, interval: float = POLL_S
) -> None:
    """Call `on_gone` once when the parent dies, then end the process hard if the clean stop
    has not finished within HARD_EXIT_AFTER_S."""
    started_ppid = os.getppid()
    while not parent_gone(parent_pid, started_ppid):
        await asyncio.sleep(interval)
    log.warning("the program that started the engine (pid %d) is gone; stopping", parent_pid)
    timer = threading.Timer(HARD_EXIT_AFTER_S, os._exit, args=(3,))
    timer.daemon = True
    timer.start()
    on_gone()
