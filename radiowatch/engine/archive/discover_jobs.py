"""Discover as background jobs: which stations and when, progress, cancel, the rows found.

A job collects the unknown stretches (discover.unknown_stretches: heard, and no reported play)
of the chosen stations and period, then runs `discover.discover` on the archive's search thread
(one CPU job at a time); the job's life is `jobs.py`'s, as for found-later searches. Running
one again after an engine restart gives the same rows, minus what was added to the catalog
meanwhile (its airings are plays by then).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from radiowatch.engine.archive.discover import (
    SAME_AIRING_S,
    Discovered,
    discover,
    unknown_stretches,
)
from radiowatch.engine.archive.jobs import Job, JobRunner
from radiowatch.engine.archive.store import DAY_S, Archive

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
class DiscoverJob(Job):
    request: DiscoverRequest
    stations: list[int] = field(default_factory=list)
    rows: list[Discovered] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.status_json(),
            "stations": list(self.stations),
            "from": self.request.from_s,
            "to": self.request.to_s,
            "min_count": self.request.min_count,
            "rows": [row.as_json() for row in self.rows],
        }


class DiscoverJobs(JobRunner[DiscoverJob]):
    """`start(DiscoverJob(request))`; runs on the archive's search thread, as searches do."""

    def __init__(
        self, archive: Archive, executor: Executor, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__("discover job", self._discover, executor, loop, keep=KEEP_JOBS)
        self._archive = archive

    def _discover(self, job: DiscoverJob) -> None:
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
