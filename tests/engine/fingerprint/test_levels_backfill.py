"""Tracks indexed before peak levels were kept get them from their files, keys untouched; a
track whose file is gone or holds other audio keeps its peaks as they were."""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.ingest_jobs import ingest
from radiowatch.engine.fingerprint.levels_backfill import backfill_levels
from tests.engine.conftest import write_wav
from tests.support.engine_process import running_engine

SEEDS = (11, 12, 13)


def strip_levels(root: Path) -> None:
    """Rewrite every track's peaks as radiowatch stored them before levels were kept."""
    with Catalog.open(root) as cat:
        old = {t.track_id: cat.track_peaks(t.track_id) for t in cat.tracks()}
    db = sqlite3.connect(root / "catalog.sqlite")
    for track_id, (t, f) in old.items():
        rec = np.empty(t.size, np.dtype([("dt", "<u2"), ("f", "u1")]))
        rec["dt"], rec["f"] = np.diff(t, prepend=0), f
        db.execute(
            "UPDATE tracks SET peaks = ? WHERE track_id = ?",
            (zlib.compress(rec.tobytes()), track_id),
        )
    db.commit()
    db.close()


def keys_of(root: Path) -> list[tuple]:
    """What the index's keys are: each track's place and key count, and the segment files."""
    db = sqlite3.connect(root / "catalog.sqlite")
    rows = db.execute("SELECT track_id, base, n_hashes FROM tracks ORDER BY base").fetchall()
    rows += db.execute("SELECT name, entries FROM segments ORDER BY name").fetchall()
    db.close()
    return rows


def test_tracks_without_levels_get_them_from_their_files_and_keep_their_keys(tmp_path, songs):
    files = {s: write_wav(tmp_path / f"song{s}.wav", songs[s]) for s in SEEDS}
    root = tmp_path / "catalog"
    with Catalog.open(root) as cat:
        ingest(cat, list(files.values()), jobs=1, ids_from_stem=True)
    strip_levels(root)
    files[12].unlink()  # gone
    write_wav(files[13], songs[14])  # another song under the same name
    keys = keys_of(root)
    with Catalog.open(root) as cat:
        before = {t.track_id: cat.track_peaks(t.track_id) for t in cat.tracks()}
        assert all(cat.track_levels(t) is None for t in before)
        probe = songs[11][20 * 8000 : 30 * 8000]
        assert cat.identify(probe).track.track_id == "song11"

        report = backfill_levels(cat)

        assert report.updated == 1 and report.finished
        assert sorted(t for t, _ in report.skipped) == ["song12", "song13"]
        assert cat.track_levels("song11") is not None
        assert cat.track_levels("song12") is None and cat.track_levels("song13") is None
        for track_id, (t, f) in before.items():  # the same peaks, now with levels
            again = cat.track_peaks(track_id)
            assert np.array_equal(again[0], t) and np.array_equal(again[1], f)
        assert cat.identify(probe).track.track_id == "song11"
        assert [t for t, _ in cat.tracks_without_levels()] == ["song12", "song13"]
    assert keys_of(root) == keys
    with Catalog.open(root) as cat:  # stored, not only cached
        assert cat.track_levels("song11") is not None


def test_a_backfill_asked_to_stop_keeps_what_it_did_and_the_rest_is_done_next_time(tmp_path, songs):
    files = [write_wav(tmp_path / f"song{s}.wav", songs[s]) for s in SEEDS]
    root = tmp_path / "catalog"
    with Catalog.open(root) as cat:
        ingest(cat, files, jobs=1, ids_from_stem=True)
    strip_levels(root)
    with Catalog.open(root) as cat:
        first = backfill_levels(cat, should_stop=lambda: True)
        assert (first.updated, first.finished) == (1, False)
        assert len(cat.tracks_without_levels()) == 2
        second = backfill_levels(cat)
        assert (second.updated, second.finished) == (2, True)
        assert cat.tracks_without_levels() == []


def test_the_engine_gives_an_older_catalog_levels_in_the_background(tmp_path, songs):
    files = [write_wav(tmp_path / f"song{s}.wav", songs[s]) for s in SEEDS]
    data = tmp_path / "engine"
    with Catalog.open(data) as cat:
        ingest(cat, files, jobs=1, ids_from_stem=True)
    strip_levels(data)
    with running_engine(data):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Catalog.open(data) as cat:
                if not cat.tracks_without_levels():
                    break
            time.sleep(0.5)
    with Catalog.open(data) as cat:
        assert cat.tracks_without_levels() == []
        assert all(cat.track_levels(f"song{s}") is not None for s in SEEDS)
