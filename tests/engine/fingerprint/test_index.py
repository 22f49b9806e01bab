"""The on-disk index: crash-safe growth, orphan sweeping, merging of small segments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import catalog as catalog_module
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
        (tmp_path / index.SEGMENT_DIR / "seg-deadbeef.seg.tmp").write_bytes(index.MAGIC + b"half")
    with Catalog.open(tmp_path) as cat:
        assert cat.stats()["segments"] == 1
        assert cat.identify(songs[12][5 * RATE : 15 * RATE]) is None
        cat.sweep()
    left = sorted(p.name for p in (tmp_path / index.SEGMENT_DIR).iterdir())
    assert f"{orphan}{index.SUFFIX}" not in left and len(left) == 1


def test_many_small_adds_are_merged_and_still_match(tmp_path, songs):
    fps = [fingerprint_samples(songs[s]) for s in (11, 12, 13)]
    n = catalog_module.MAX_SMALL_SEGMENTS * 2 + 3
    with Catalog.open(tmp_path) as cat:
        for i in range(n):
            cat.add_fingerprints([(f"t{i}", fps[i % 3])])
            assert cat.stats()["segments"] <= catalog_module.MAX_SMALL_SEGMENTS
        assert len(cat) == n
        match = cat.identify(songs[13][20 * RATE : 30 * RATE])
        assert match is not None and match.track.track_id.startswith("t")
    with Catalog.open(tmp_path) as cat:  # merged state survives reopening
        assert len(cat) == n


def _entries(seg: index.Segment) -> list[tuple[int, int]]:
    return sorted(zip(seg.keys().tolist(), np.asarray(seg.positions).tolist(), strict=True))


def test_lookup_finds_exactly_the_entries_of_each_key(tmp_path):
    rng = np.random.default_rng(0)
    for n in (3, 1000, 200_000):  # table widths from one slot per many keys to direct address
        keys = rng.integers(0, 2**index.KEY_BITS, n).astype(np.uint32)
        keys[: n // 4] = keys[n // 4 : 2 * (n // 4)]  # repeated keys
        positions = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
        seg = index.open_segment(tmp_path, index.write_segment(tmp_path, keys, positions))
        q = np.concatenate([keys[:300], rng.integers(0, 2**index.KEY_BITS, 300).astype(np.uint32)])
        qi, pos = seg.lookup(q)
        want = sorted((i, int(p)) for i, k in enumerate(q) for p in positions[keys == k])
        assert sorted(zip(qi.tolist(), pos.tolist(), strict=True)) == want
        assert _entries(seg) == sorted(zip(keys.tolist(), positions.tolist(), strict=True))


def test_streaming_merge_keeps_every_live_entry_and_drops_removed_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(index, "MERGE_SLICE_ENTRIES", 5_000)  # many slices
    rng = np.random.default_rng(1)
    segs = []
    for n in (10, 20_000, 60_000):
        keys = rng.integers(0, 2**index.KEY_BITS, n).astype(np.uint32)
        positions = rng.integers(0, 2**31, n).astype(np.uint32)
        segs.append(index.open_segment(tmp_path, index.write_segment(tmp_path, keys, positions)))
    every = sorted(e for s in segs for e in _entries(s))
    merged = index.open_segment(
        tmp_path, index.merge_segments(tmp_path, segs, np.array([[0, 2**32]]))
    )
    assert _entries(merged) == every
    unchecked = index.merge_segments(tmp_path, segs, np.zeros((0, 2)), all_live=True)
    assert _entries(index.open_segment(tmp_path, unchecked)) == every
    half = index.open_segment(
        tmp_path, index.merge_segments(tmp_path, segs, np.array([[0, 2**30]]))
    )
    assert _entries(half) == [e for e in every if e[1] < 2**30]


def test_opening_reads_the_stored_table_instead_of_rebuilding_it(tmp_path):
    keys = np.arange(100_000, dtype=np.uint32) * 7
    seg = index.open_segment(tmp_path, index.write_segment(tmp_path, keys, keys))
    # views of one read-only file mapping, nothing loaded or rebuilt
    assert seg.table.base is not None and not seg.table.flags.writeable
    assert not seg.positions.flags.owndata and seg.table[-1] == keys.size


def test_a_lookup_budget_skips_the_commonest_keys_first(tmp_path):
    common, rare = 12345, np.arange(100, 110, dtype=np.uint32)
    keys = np.concatenate([np.full(5_000, common, np.uint32), rare])
    positions = np.arange(keys.size, dtype=np.uint32)
    seg = index.open_segment(tmp_path, index.write_segment(tmp_path, keys, positions))
    segs = index.SegmentSet([seg], 1)
    query = np.concatenate([[common], rare]).astype(np.uint32)
    everything = segs.lookup(query)
    assert everything[0].size == keys.size
    q, p = segs.lookup(query, budget=1_000)
    assert sorted(p.tolist()) == list(range(5_000, 5_010))  # the rare ones, not the common
    assert np.array_equal(segs.lookup(query, budget=10_000)[1], everything[1])
