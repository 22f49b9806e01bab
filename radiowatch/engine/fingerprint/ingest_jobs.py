"""Adding many files to a catalog on all cores, with per-file results and crash-safe batches.

Decoding and hashing run in worker processes (the CPU part); the parent is the catalog's
single writer and stores results in batches, one segment per batch. A bad file (corrupt,
empty, truncated, not audio, silent) becomes a per-file error and the others carry on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from radiowatch.engine.fingerprint.catalog import Catalog, Fingerprint, fingerprint_file
from radiowatch.engine.fingerprint.decode import DecodeError
from radiowatch.engine.fingerprint.restore import restore, same_audio

AUDIO_EXTENSIONS = frozenset(
    [
        ".mp3",
        ".flac",
        ".wav",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".aac",
        ".wma",
        ".aif",
        ".aiff",
        ".ape",
        ".wv",
        ".mka",
        ".mp4",
        ".m4v",
        ".mkv",
        ".webm",
        ".mov",
        ".avi",
    ]
)
BATCH_TRACKS = 8  # tracks per segment: progress granularity and what a crash can cost
BATCH_ENTRIES = 2_000_000


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file: `track_id` on success, else `error` says why."""

    path: str
    track_id: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    skipped: bool = False


def audio_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders (recursively, audio extensions only); explicit files are kept as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(
                    f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS
                )
            )
        else:
            out.append(p)
    return out


def _work(job: tuple[str, dict, Any]) -> tuple[Any, Fingerprint | None, str | None]:
    path, meta, tag = job
    if not path:
        return tag, None, "no source file is recorded for it"
    try:
        return tag, fingerprint_file(path, **meta), None
    except (DecodeError, ValueError) as exc:
        return tag, None, str(exc) if isinstance(exc, DecodeError) else f"{Path(path).name}: {exc}"
    except MemoryError:
        return tag, None, f"{Path(path).name}: too large to fingerprint in memory"


def fingerprint_jobs(
    jobs_in: Sequence[tuple[str, dict, Any]], *, jobs: int = 0
) -> Iterator[tuple[Any, Fingerprint | None, str | None]]:
    """Fingerprint (path, meta, tag) jobs on `jobs` processes (0 = all cores), yielding
    (tag, fingerprint or None, error or None) as each finishes."""
    jobs = min(jobs or os.cpu_count() or 1, len(jobs_in))
    with _worker_pool(jobs) as pool:
        work = pool.imap_unordered(_work, jobs_in, chunksize=1) if pool else map(_work, jobs_in)
        yield from work


def ingest(
    catalog: Catalog,
    files: list[Path],
    *,
    jobs: int = 0,
    kind: str = "song",
    ids_from_stem: bool = False,
    on_result: Callable[[FileResult, int, int], None] | None = None,
) -> list[FileResult]:
    """Fingerprint `files` on `jobs` processes (0 = all cores) and store them in `catalog`.

    A file named after a track that needs its file again (`Catalog.unindexed`, after an index
    upgrade could not read it) gives that track its keys back (restore.py).

    With `ids_from_stem` a track's id is its file name without extension and files whose id
    is already in the catalog are skipped (re-running an index is incremental); otherwise ids
    are made unique. `on_result(result, done, total)` is called as each file finishes.
    """
    results: list[FileResult] = []
    pending: list[tuple[str, str, Fingerprint]] = []
    total = len(files)
    todo = []
    lost = catalog.unindexed()  # tracks that need their file again: an add restores them
    for f in files:
        if ids_from_stem and catalog.get(f.stem) is not None and f.stem not in lost:
            r = FileResult(str(f), track_id=f.stem, skipped=True)
            results.append(r)
            if on_result:
                on_result(r, len(results), total)
        else:
            todo.append((str(f), {"kind": kind}, str(f)))

    def flush() -> None:
        if not pending:
            return
        restoring = [lost.pop(stem, None) is not None for _path, stem, _fp in pending]
        new = [(s, fp) for (_p, s, fp), back in zip(pending, restoring, strict=True) if not back]
        stored = iter(catalog.add_fingerprints(new, unique_ids=not ids_from_stem))
        for (path, stem, fp), back in zip(pending, restoring, strict=True):
            try:
                track = _restore_or_add(stem, fp) if back else next(stored)
            except ValueError as exc:  # another song under a lost track's name
                r = FileResult(path, error=f"{Path(path).name}: {exc}")
            else:
                r = FileResult(path, track_id=track.track_id, duration_s=fp.duration_s)
            results.append(r)
            if on_result:
                on_result(r, len(results), total)
        pending.clear()

    def _restore_or_add(stem: str, fp: Fingerprint):
        if same_audio(catalog, stem, fp) or ids_from_stem:
            return restore(catalog, stem, fp)  # ValueError if it is not the same audio
        return catalog.add_fingerprints([(stem, fp)], unique_ids=True)[0]

    seen_stems: set[str] = set()
    for tag, fp, error in fingerprint_jobs(todo, jobs=jobs):
        path = str(tag)
        stem = Path(path).stem
        if fp is None or (ids_from_stem and stem in seen_stems):
            r = FileResult(path, error=error or f"{Path(path).name}: duplicate track id {stem!r}")
            results.append(r)
            if on_result:
                on_result(r, len(results), total)
            continue
        seen_stems.add(stem)
        pending.append((path, stem, fp))
        if len(pending) >= BATCH_TRACKS or sum(p[2].hashes.size for p in pending) >= BATCH_ENTRIES:
            flush()
    flush()
    if catalog.wants_compaction():
        catalog.compact()
    return results


@contextmanager
def _worker_pool(jobs: int) -> Iterator[Pool | None]:
    """Worker processes for more than one job; None means work inline (no start-up cost)."""
    if jobs <= 1:
        yield None
        return
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(jobs) as pool:
        yield pool
