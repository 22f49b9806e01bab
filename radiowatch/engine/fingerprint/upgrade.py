"""Upgrading a catalog's index to the current format (catalog.FORMAT), from its source files.

Format 2 picks each peak's triplet partners by strength, which the peaks stored per track
(frame and half-band, for verification) do not record, so the keys are rebuilt from the
tracks' source files. The index being served is not touched until the last step:

1. tracks are fingerprinted again in batches, on worker processes (ingest_jobs), into new
   segment files; each batch is committed to `upgrade_segments` / `upgrade_done`, which
   queries never read. Meanwhile the old index keeps answering (legacy_matcher). An upgrade
   that is interrupted (crash, cancel, power cut) resumes after its last committed batch.
2. One transaction swaps the segment lists, stores the new peaks and key counts and records
   the format; then the old files are deleted.

A track whose source file is gone or unreadable cannot be rebuilt: it stays in the catalog
(title, history, audio_id) without keys, listed with the reason in `unindexed`
(`Catalog.unindexed()`), until the file is added again: an add whose track id is such a track's
(`radiowatch-engine index` names tracks after their files; the Catalog tab after their titles)
gives that track its keys back (restore.py), keeping its id, metadata and history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radiowatch.engine.fingerprint import index as idx
from radiowatch.engine.fingerprint.catalog import FORMAT, Catalog, Fingerprint
from radiowatch.engine.fingerprint.ingest_jobs import BATCH_ENTRIES, fingerprint_jobs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS upgrade_segments (name TEXT PRIMARY KEY, entries INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS upgrade_done (
    track_id TEXT PRIMARY KEY, n_hashes INTEGER NOT NULL, peaks BLOB, error TEXT
);
"""
BATCH_TRACKS = 32


@dataclass
class UpgradeReport:
    """What an upgrade did: tracks rebuilt, and tracks that need their file again (id, why)."""

    upgraded: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)
    finished: bool = False
    seconds: float = 0.0


def upgrade_catalog(
    catalog: Catalog,
    *,
    jobs: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> UpgradeReport:
    """Rebuild an older-format index; returns at once if the catalog is current.

    `on_progress(done, total)` is called after every track; `should_stop()` is polled between
    tracks and ends the upgrade early (resumable, `finished` False). Only the catalog's single
    writer may call this.
    """
    started = time.monotonic()
    report = UpgradeReport()
    if not catalog.needs_upgrade:
        report.finished = True
        return report
    db = catalog._db  # the upgrade is part of the catalog's writer: it uses its connection
    with catalog._db_lock:
        db.executescript(_SCHEMA)
        rows = db.execute(
            "SELECT track_id, base, n_frames, source_file FROM tracks ORDER BY base"
        ).fetchall()
        done = {r[0] for r in db.execute("SELECT track_id FROM upgrade_done")}
    total = len(rows)
    todo = [r for r in rows if r[0] not in done]
    placed = {r[0]: (int(r[1]), int(r[2])) for r in todo}
    count = len(done)
    batch: list[tuple[str, Fingerprint | None, str | None]] = []
    jobs_in: list[tuple[str, dict, Any]] = [(str(r[3] or ""), {}, r[0]) for r in todo]
    for track_id, fp, error in fingerprint_jobs(jobs_in, jobs=jobs):
        batch.append((str(track_id), fp, error))
        count += 1
        if on_progress is not None:
            on_progress(count, total)
        entries = sum(f.hashes.size for _t, f, _e in batch if f is not None)
        if len(batch) >= BATCH_TRACKS or entries >= BATCH_ENTRIES:
            _commit_batch(catalog, batch, placed)
            batch.clear()
        if should_stop is not None and should_stop():
            _commit_batch(catalog, batch, placed)
            report.seconds = time.monotonic() - started
            return report
    _commit_batch(catalog, batch, placed)
    _swap(catalog, report)
    report.seconds = time.monotonic() - started
    return report


def _commit_batch(
    catalog: Catalog,
    batch: list[tuple[str, Fingerprint | None, str | None]],
    placed: dict[str, tuple[int, int]],
) -> None:
    if not batch:
        return
    keys, positions = [], []
    done: list[tuple[str, int, bytes | None, str | None]] = []
    for track_id, fp, error in batch:
        if fp is None:
            done.append((track_id, 0, None, error or "could not be read"))
            continue
        base, n_frames = placed[track_id]
        inside = fp.frames < n_frames  # a file that changed since it was added: keep its span
        keys.append(fp.hashes[inside])
        positions.append(fp.frames[inside].astype(np.int64) + base)
        done.append((track_id, int(inside.sum()), fp.peaks, None))
    name = None
    if keys:
        name = idx.write_segment(catalog.root, np.concatenate(keys), np.concatenate(positions))
    with catalog._db_lock:
        db = catalog._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if name is not None:
                db.execute(
                    "INSERT INTO upgrade_segments VALUES (?, ?)",
                    (name, int(sum(k.size for k in keys))),
                )
            db.executemany("INSERT OR REPLACE INTO upgrade_done VALUES (?, ?, ?, ?)", done)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            if name is not None:
                idx.segment_path(catalog.root, name).unlink(missing_ok=True)
            raise


def _swap(catalog: Catalog, report: UpgradeReport) -> None:
    with catalog._db_lock:
        db = catalog._db
        old = [r[0] for r in db.execute("SELECT name FROM segments")]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM segments")
            db.execute("INSERT INTO segments SELECT name, entries FROM upgrade_segments")
            db.execute(
                "UPDATE tracks SET n_hashes = COALESCE((SELECT n_hashes FROM upgrade_done d "
                "WHERE d.track_id = tracks.track_id), 0), peaks = COALESCE((SELECT peaks FROM "
                "upgrade_done d WHERE d.track_id = tracks.track_id), peaks)"
            )
            db.execute(
                "INSERT OR REPLACE INTO unindexed SELECT track_id, error FROM upgrade_done "
                "WHERE error IS NOT NULL"
            )
            report.upgraded = db.execute(
                "SELECT COUNT(*) FROM upgrade_done WHERE error IS NULL"
            ).fetchone()[0]
            report.missing = [
                (r[0], r[1])
                for r in db.execute(
                    "SELECT track_id, error FROM upgrade_done WHERE error IS NOT NULL"
                )
            ]
            db.execute("DELETE FROM upgrade_segments")
            db.execute("DELETE FROM upgrade_done")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        catalog.format = FORMAT
        catalog.refresh(force=True)
    for name in old:  # format-1 files; a reader still holding one keeps its mmap
        (Path(catalog.root) / idx.SEGMENT_DIR / f"{name}.npy").unlink(missing_ok=True)
    report.finished = True
    if catalog.wants_compaction() or len(catalog._snapshot_or_raise().segments.segments) > 1:
        catalog.compact()
