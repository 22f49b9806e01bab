"""The Resize worker process, owned from asyncio (Qt-free; the tab awaits it on the qasync loop).

Analysis is CPU work that must never run in the GUI process, so every job goes to a
one-process `ProcessPoolExecutor` started with "spawn" (fork would copy the Qt state of the
GUI). One process keeps the decoded song in memory between analysis, previews and exports.

Cancelling an analysis names the job: the process stops it at its next stage, and an analysis
started right after (opening another song) is never caught by a stop meant for the one before.
Cancelling the awaiting asyncio task stops the job in the process too, instead of leaving it to
run to the end in front of the next job.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from radiowatch.audjust import jobs
from radiowatch.audjust.cache import CachedAnalysis, Waveform
from radiowatch.audjust.errors import AnalysisCancelled, AudjustError
from radiowatch.audjust.models import Analysis, ExportFormat, ResizeResult

ProgressCallback = Callable[[float, str], None]
PROGRESS_POLL_SECONDS = 0.1


class ResizeWorker:
    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._progress = None
        self._cancelled_upto = None  # shared with the process: job ids <= this are cancelled
        self._job_id = 0
        self.warm_up_seconds: float | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._progress = self._ctx.Queue()
            self._cancelled_upto = self._ctx.Value("q", self._job_id)
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=self._ctx,
                initializer=jobs.init_worker,
                initargs=(self._progress, self._cancelled_upto),
            )
        return self._pool

    async def _run(self, fn, *args):
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._ensure_pool(), fn, *args)
        except BrokenProcessPool as exc:
            self._discard_pool()
            raise AudjustError(
                "The analysis process stopped unexpectedly (out of memory?). Try again."
            ) from exc

    @property
    def pids(self) -> list[int]:
        """Process ids of the worker (empty until the first job starts it)."""
        if self._pool is None:
            return []
        return [p.pid for p in getattr(self._pool, "_processes", {}).values() if p.pid]

    async def warm_up(self) -> float:
        """Start the process and warm it up; call in the background when the tab opens."""
        self.warm_up_seconds = await self._run(jobs.warm_up)
        return self.warm_up_seconds

    async def analyze(
        self,
        path: str | Path,
        *,
        raw_features: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> CachedAnalysis:
        self._ensure_pool()
        self._drain_progress(None)
        self._job_id += 1
        job_id = self._job_id
        poller = (
            asyncio.ensure_future(self._poll_progress(job_id, on_progress)) if on_progress else None
        )
        try:
            cache = str(self.cache_dir) if self.cache_dir is not None else None
            return await self._run(jobs.analyze_job, job_id, str(path), cache, raw_features)
        except asyncio.CancelledError:
            self._cancel_upto(job_id)  # or the process would go on with it
            raise
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            self._drain_progress(job_id, on_progress)

    def cancel(self) -> None:
        """Ask the running analysis to stop at its next stage (it raises AnalysisCancelled);
        analyses started after this call are not affected."""
        self._cancel_upto(self._job_id)

    def _cancel_upto(self, job_id: int) -> None:
        if self._cancelled_upto is not None:
            with self._cancelled_upto.get_lock():
                self._cancelled_upto.value = max(self._cancelled_upto.value, job_id)

    async def waveform(self, path: str | Path) -> Waveform:
        return await self._run(jobs.waveform_job, str(path))

    async def resize(
        self, analysis: Analysis, target_seconds: float, count: int = 20
    ) -> list[ResizeResult]:
        return await self._run(jobs.resize_job, analysis, float(target_seconds), count)

    async def export(
        self,
        path: str | Path,
        segments_groups: Sequence[Sequence[Sequence[float]]],
        fmt: ExportFormat,
        destinations: Sequence[str | Path],
    ) -> list[Path]:
        groups = [[[float(s), float(e)] for s, e in group] for group in segments_groups]
        written = await self._run(
            jobs.export_job, str(path), groups, fmt.value, [str(d) for d in destinations]
        )
        return [Path(p) for p in written]

    async def _poll_progress(self, job_id: int, on_progress: ProgressCallback) -> None:
        while True:
            self._drain_progress(job_id, on_progress)
            await asyncio.sleep(PROGRESS_POLL_SECONDS)

    def _drain_progress(
        self, job_id: int | None, on_progress: ProgressCallback | None = None
    ) -> None:
        if self._progress is None:
            return
        while True:
            try:
                jid, fraction, stage = self._progress.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            if on_progress is not None and jid == job_id:
                on_progress(fraction, stage)

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker process. A job still running is abandoned (its process is ended)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        self.cancel()
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.join(timeout=0.5)  # warm-up or an abandoned analysis: nothing worth waiting for
            if proc.is_alive():
                proc.terminate()
        for q in (self._progress,):
            if q is not None:
                q.close()
                q.join_thread()
        self._progress = self._cancelled_upto = None


__all__ = ["AnalysisCancelled", "ResizeWorker"]
