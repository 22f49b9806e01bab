"""Background jobs of the archive (found-later searches, discover): one record and one runner.

A job is CPU work on the archive's search thread that an HTTP client starts, watches and may
cancel. Every kind shares the same life: queued, then running, then done, cancelled or failed
(with the error on the record, the engine goes on); a cancel is a flag the work checks between
steps; whoever started a job may hear of its end (`on_end`) before its record says it ended, so
that what it adds to the record (when a failed search is tried again) is there as soon as the
state is; the newest `keep` records are remembered, in memory only (after an engine restart the
list is empty, and running a job again is safe: what a job publishes goes through the ledger).

`search_jobs.py` and `discover_jobs.py` say what their work is and what their record adds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")


class JobFailed(Exception):
    """A failure the work explains in words for the user: the record's `error` is the message
    alone (any other exception is recorded with its type's name in front)."""


@dataclass(kw_only=True)
class Job:
    """What every archive job reports; a kind adds its request and results."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"  # queued | running | done | cancelled | failed
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    done: int = 0
    total: int = 0
    error: str | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def status_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "progress": round(self.done / self.total, 4) if self.total else 0.0,
            "error": self.error,
        }


J = TypeVar("J", bound=Job)


class JobRunner(Generic[J]):
    """Runs `work(job)` for each started job on `executor`, keeping the newest `keep` records.

    `work` runs on the executor's thread; it updates `done`/`total` as it goes and returns when
    `job.cancel_requested` is set. The runner owns the state: a job that returns normally is
    done (or cancelled, if asked), one that raises is failed.
    """

    def __init__(
        self,
        what: str,
        work: Callable[[J], None],
        executor: Executor,
        loop: asyncio.AbstractEventLoop,
        *,
        keep: int,
    ) -> None:
        self._what = what
        self._work = work
        self._executor = executor
        self._loop = loop
        self._keep = keep
        self._jobs: dict[str, J] = {}

    def start(self, job: J, on_end: Callable[[J, str], None] | None = None) -> J:
        """Run `job`; `on_end(job, state)` is called on the worker thread once it ended, before
        its record shows `state` (done, cancelled or failed)."""
        self._jobs[job.id] = job
        while len(self._jobs) > self._keep:
            oldest = next(iter(self._jobs))
            if self._jobs[oldest].active:
                break
            del self._jobs[oldest]
        future = self._loop.run_in_executor(self._executor, self._run, job, on_end)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return job

    def get(self, job_id: str) -> J | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[J]:
        return list(self._jobs.values())

    def cancel(self, job_id: str) -> J | None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.cancel_requested.set()
            if job.state == "queued":
                job.state = "cancelled"
        return job

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel_requested.set()

    def busy(self) -> bool:
        return any(j.active for j in self._jobs.values())

    def _run(self, job: J, on_end: Callable[[J, str], None] | None) -> None:
        if job.cancel_requested.is_set():
            job.state = "cancelled"
            return
        job.state = "running"
        try:
            self._work(job)
            state = "cancelled" if job.cancel_requested.is_set() else "done"
        except JobFailed as exc:
            log.warning("%s %s failed: %s", self._what, job.id, exc)
            state, job.error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - reported on the job, the engine goes on
            log.exception("%s %s failed", self._what, job.id)
            state, job.error = "failed", f"{type(exc).__name__}: {exc}"
        job.finished_at = time.time()
        if on_end is not None:
            try:
                on_end(job, state)
            except Exception:  # noqa: BLE001 - the job's own end is what matters here
                log.exception("after %s %s ended", self._what, job.id)
        job.state = state
