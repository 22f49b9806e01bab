"""The on-disk index: crash-safe growth, orphan sweeping, merging of small segments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import index
from radiowatch.engine.fingerprint.catalog import Catalog, fingerprint_samples
from tests.engine.conftest import RATE

REPO = Path(__file__).resolve().parents[3]

_ADD_FOREVER = """
import sys
from radiowatch.engine.fingerprint.catalog import Catalog
from tests.engine.conftest import synth_song
cat = Catalog.open(sys.argv[1])
seed = 100
while True:
    cat.add_samples(synth_song(seed, 30.0), track_id=f"t{seed}")
    print(seed, flush=True)
    seed += 1
"""


def test_killing_a_writer_mid_ingest_leaves_a_readable_index(tmp_path, songs):
    root = tmp_path / "cat"
    child = subprocess.Popen(
        [sys.executable, "-c", _ADD_FOREVER, str(root)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        added = [child.stdout.readline().strip() for _ in range(2)]
        time.sleep(0.05 + (os.getpid() % 7) / 20)  # somewhere inside a later add
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with Catalog.open(root) as cat:
        ids = {t.track_id for t in cat.tracks()}
        assert {f"t{s}" for s in added} <= ids
        cat.sweep()
        committed = {p.stem for p in (root / index.SEGMENT_DIR).iterdir()}
        assert all(not p.name.endswith(".tmp") for p in (root / index.SEGMENT_DIR).iterdir())
        assert len(committed) == cat.stats()["segments"]
        cat.add_samples(songs[11], track_id="after")
        match = cat.identify(songs[11][5 * RATE : 15 * RATE])
        assert match is not None and match.track.track_id == "after"


def test_uncommitted_and_half_written_segments_are_never_read(tmp_path, songs):
    with Catalog.open(tmp_path) as cat:
        cat.add_samples(songs[11], track_id="real")
        fp = fingerprint_samples(songs[12])
        # a crash after the segment file was renamed but before the SQLite commit ...
        orphan = index.write_segment(tmp_path, fp.hashes, fp.frames + 10**6)
        # ... and a crash while the temp file was being written
        (tmp_path / index.SEGMENT_DIR / "seg-deadbeef.npy.tmp").write_bytes(b"\x93NUMPY half")
    with Catalog.open(tmp_path) as cat:
        assert cat.stats()["segments"] == 1
        assert cat.identify(songs[12][5 * RATE : 15 * RATE]) is None
        cat.sweep()
    left = sorted(p.name for p in (tmp_path / index.SEGMENT_DIR).iterdir())
    assert f"{orphan}.npy" not in left and len(left) == 1


def test_many_small_adds_are_merged_and_still_match(tmp_path, songs):
    fps = [fingerprint_samples(songs[s]) for s in (11, 12, 13)]
    with Catalog.open(tmp_path) as cat:
        for i in range(index.MAX_SEGMENTS + 3):
            cat.add_fingerprints([(f"t{i}", fps[i % 3])])
        assert cat.stats()["segments"] <= index.MAX_SEGMENTS
        assert len(cat) == index.MAX_SEGMENTS + 3
        match = cat.identify(songs[13][20 * RATE : 30 * RATE])
        assert match is not None and match.track.track_id.startswith("t")
    with Catalog.open(tmp_path) as cat:  # merged state survives reopening
        assert len(cat) == index.MAX_SEGMENTS + 3


def test_big_segments_use_the_bucket_table_with_identical_results(tmp_path):
    rng = np.random.default_rng(0)
    h = rng.integers(0, index.HASH_SPACE, index.DIRECT_ADDRESS_MIN + 10).astype(np.uint32)
    p = np.arange(h.size, dtype=np.uint32)
    seg = index.open_segment(tmp_path, index.write_segment(tmp_path, h, p))
    assert seg.starts is not None
    q = np.concatenate([h[:500], rng.integers(0, index.HASH_SPACE, 500).astype(np.uint32)])
    got = index.SegmentSet([seg], 1).lookup(q)
    small = index.Segment(seg.name, seg.hashes, seg.positions)  # binary-search path
    want = index.SegmentSet([small], 1).lookup(q)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # positions were the original entry numbers: every hit must carry the queried hash
    assert got[0].size >= 500 and np.all(h[got[1]] == q[got[0]])
