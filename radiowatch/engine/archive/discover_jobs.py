"""Discover as background jobs: which stations and when, progress, cancel, the rows found.

A job collects the unknown stretches (discover.unknown_stretches: heard, and no reported play)
of the chosen stations and period, then runs `discover.discover` on the archive's search thread
(one CPU job at a time). Jobs live in memory, like found-later searches (search_jobs.py);
running one again after an engine restart gives the same rows, minus what was added to the
catalog meanwhile (its airings are plays by then).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass, field
from threading import Event
from typing import Any

from radiowatch.engine.archive.discover import (
    SAME_AIRING_S,
    Discovered,
    discover,
    unknown_stretches,
)
from radiowatch.engine.archive.store import DAY_S, Archive

log = logging.getLogger(__name__)

KEEP_JOBS = 10
DEFAULT_DAYS = 7.0


@dataclass(frozen=True)
class DiscoverRequest:
    radio_ids: tuple[int, ...] | None = None  # None: every station in the archive
    from_s: float | None = None  # None: DEFAULT_DAYS before `to_s`
    to_s: float | None = None  # None: now
    min_count: int = 3
    same_airing_s: float = SAME_AIRING_S


@dataclass
class DiscoverJob:
    request: DiscoverRequest
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"  # queued | running | done | cancelled | failed
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    done: int = 0
    total: int = 0
    stations: list[int] = field(default_factory=list)
    rows: list[Discovered] = field(default_factory=list)
    error: str | None = None
    cancel_requested: Event = field(default_factory=Event)

    def as_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "progress": round(self.done / self.total, 4) if self.total else 0.0,
            "stations": list(self.stations),
            "from": self.request.from_s,
            "to": self.request.to_s,
            "min_count": self.request.min_count,
            "rows": [row.as_json() for row in self.rows],
            "error": self.error,
        }


class DiscoverJobs:
    def __init__(
        self, archive: Archive, executor: Executor, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._archive = archive
        self._executor = executor
        self._loop = loop
        self._jobs: dict[str, DiscoverJob] = {}

    def start(self, request: DiscoverRequest) -> DiscoverJob:
        job = DiscoverJob(request)
        self._jobs[job.id] = job
        while len(self._jobs) > KEEP_JOBS:
            oldest = next(iter(self._jobs))
            if self._jobs[oldest].state in ("queued", "running"):
                break
            del self._jobs[oldest]
        future = self._loop.run_in_executor(self._executor, self._run, job)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return job

    def get(self, job_id: str) -> DiscoverJob | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[DiscoverJob]:
        return list(self._jobs.values())

    def cancel(self, job_id: str) -> DiscoverJob | None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.cancel_requested.set()
            if job.state == "queued":
                job.state = "cancelled"
        return job

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel_requested.set()

    def _run(self, job: DiscoverJob) -> None:
        if job.cancel_requested.is_set():
            job.state = "cancelled"
            return
        job.state = "running"
        try:
            request = job.request
            end = request.to_s if request.to_s is not None else self._archive.clock()
            start = request.from_s if request.from_s is not None else end - DEFAULT_DAYS * DAY_S
            job.stations = list(request.radio_ids or self._archive.db.stations())
            stretches = unknown_stretches(self._archive, job.stations, start, end)
            job.total = len(stretches)

            def progress(done: int, _total: int) -> None:
                job.done = done

            job.rows = discover(
                stretches,
                min_count=request.min_count,
                same_airing_s=request.same_airing_s,
                should_stop=job.cancel_requested.is_set,
                progress=progress,
            )
            job.state = "cancelled" if job.cancel_requested.is_set() else "done"
        except Exception as exc:  # noqa: BLE001 - reported on the job, the engine goes on
            log.exception("discover job %s failed", job.id)
            job.state = "failed"
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = time.time()
