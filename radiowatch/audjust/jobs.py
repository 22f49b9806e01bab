"""Functions that run inside the Resize worker process (see worker.py for the GUI-side owner).

They are module-level so `spawn` can pickle them by name. Progress goes back through a
multiprocessing queue and cancellation comes in through a shared counter ("every job up to
this id is cancelled", so cancelling one job can never cancel the next), both handed over once
when the process starts (ProcessPoolExecutor's initializer), because queues cannot travel as
arguments of individual jobs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from radiowatch.audjust.cache import AnalysisCache, CachedAnalysis, Waveform
from radiowatch.audjust.errors import AnalysisCancelled
from radiowatch.audjust.local import LocalAudjust
from radiowatch.audjust.models import Analysis, ExportFormat, ResizeResult

_progress_queue = None
_cancelled_upto = None  # multiprocessing.Value("q"): job ids <= this are cancelled
_local = LocalAudjust()  # one per process, so the decoded song is shared by analyze and export


def init_worker(progress_queue, cancelled_upto) -> None:
    global _progress_queue, _cancelled_upto
    _progress_queue, _cancelled_upto = progress_queue, cancelled_upto


def warm_up() -> float:
    """Import everything and run a tiny analysis and resize so the first real one is not slow.

    There is no JIT here (no numba), but the first call still pays for imports, FFT plan and
    allocator warm-up; doing it at tab creation keeps that out of the user's first analysis.
    """
    from radiowatch.audjust import analysis, resizing

    start = time.perf_counter()
    sr = 22050
    t = np.arange(12 * sr) / sr
    clicks = (np.sin(2 * np.pi * 220 * t) * 0.2 * (np.exp(-(t % 0.5) / 0.03))).astype(np.float32)
    try:
        a = analysis.analyze_signal(clicks, name="warm-up")
        resizing.resize(a, 8.0, count=3)
    except Exception:  # warm-up must never fail the worker
        pass
    return time.perf_counter() - start


def analyze_job(
    job_id: int, path: str, cache_dir: str | None, raw_features: bool
) -> CachedAnalysis:
    def progress(fraction: float, stage: str) -> None:
        if _cancelled_upto is not None and _cancelled_upto.value >= job_id:
            raise AnalysisCancelled("Analysis cancelled.")
        if _progress_queue is not None:
            # A full or closed queue only loses a progress tick.
            with contextlib.suppress(Exception):
                _progress_queue.put_nowait((job_id, float(fraction), stage))

    _local.cache = AnalysisCache(Path(cache_dir)) if cache_dir else None
    return _local.analyze(path, raw_features=raw_features, progress=progress)


def waveform_job(path: str) -> Waveform:
    return _local.waveform(path)


def resize_job(analysis: Analysis, target_seconds: float, count: int) -> list[ResizeResult]:
    return _local.resize(analysis, target_seconds, count=count)


def export_job(
    path: str,
    segments_groups: Sequence[Sequence[Sequence[float]]],
    fmt: str,
    destinations: list[str],
) -> list[str]:
    written = _local.export(path, segments_groups, ExportFormat(fmt), destinations)
    return [str(p) for p in written]
