"""Stored reference peaks: a lossless compact codec, windows on the global axis, verification
of candidates, and indexes written before peaks (or their levels) were stored."""

from __future__ import annotations

import sqlite3
import zlib

import numpy as np

from radiowatch.engine.fingerprint import matcher
from radiowatch.engine.fingerprint.catalog import MATCH_THRESHOLD, Catalog
from radiowatch.engine.fingerprint.landmarks import FRAME_S, Peaks, catalog_peaks
from radiowatch.engine.fingerprint.reference_peaks import (
    ReferencePeaks,
    decode_levels,
    decode_peaks,
    encode_peaks,
    half_bands,
)
from radiowatch.engine.fingerprint.verification import Candidate, verification_score
from tests.engine.conftest import RATE, add_noise


def clip(samples: np.ndarray, start_s: float, seconds: float) -> np.ndarray:
    return samples[int(start_s * RATE) : int((start_s + seconds) * RATE)]


def test_peaks_round_trip_exactly_in_frame_order(songs):
    peaks = catalog_peaks(songs[11])
    t, f = decode_peaks(encode_peaks(peaks))
    order = np.lexsort((half_bands(peaks), peaks.t))
    assert np.array_equal(t, peaks.t[order])
    assert np.array_equal(f, half_bands(peaks)[order])


def test_a_gap_longer_than_sixteen_bits_of_frames_survives_the_round_trip():
    peaks = Peaks(np.array([3, 70_000, 300_000], np.int32), np.array([0.0, 40.5, 95.0], np.float32))
    t, f = decode_peaks(encode_peaks(peaks))
    assert t.tolist() == [3, 70_000, 300_000]
    assert f.tolist() == [0, 81, 190]


def test_stored_peaks_cost_a_few_kilobytes_per_minute(songs):
    blob = encode_peaks(catalog_peaks(songs[11]))
    minutes = songs[11].size / RATE / 60
    assert len(blob) / minutes < 4096


def test_a_window_returns_the_peaks_of_every_track_it_covers_on_the_global_axis():
    blobs = {
        "a": encode_peaks(Peaks(np.array([0, 10, 20], np.int32), np.full(3, 5.0, np.float32))),
        "b": encode_peaks(Peaks(np.array([0, 5], np.int32), np.full(2, 7.0, np.float32))),
    }
    ref = ReferencePeaks(np.array([0, 100]), np.array([30, 120]), ("a", "b"), blobs.__getitem__)
    t, f = ref(10, 106)
    assert t.tolist() == [10, 20, 100, 105]
    assert f.tolist() == [10, 10, 14, 14]
    assert ref(40, 90)[0].size == 0


def test_verification_scores_the_true_alignment_far_above_a_wrong_one(tmp_path, songs):
    with Catalog.open(tmp_path) as cat:
        cat.add_samples(songs[11], track_id="song")
        snap = cat._snapshot
        query = add_noise(clip(songs[11], 12, 10), 0, seed=3)
        peaks = matcher.find_peaks(query, matcher.QUERY_DENSITY.peaks_per_s)
        still = Candidate(1.0, 0.0, 1.0, 1.0)
        true_start = int(snap.bases[0]) + int(round(12 / FRAME_S))
        right = verification_score(peaks, still, true_start, snap.reference_peaks)
        wrong = verification_score(peaks, still, true_start + 500, snap.reference_peaks)
        assert right >= 2 * MATCH_THRESHOLD
        assert wrong < MATCH_THRESHOLD


def test_an_index_from_before_peaks_were_stored_still_identifies(tmp_path, songs):
    with Catalog.open(tmp_path) as cat:
        cat.add_samples(songs[11], track_id="old")
        cat.add_samples(songs[12], track_id="other")
    # what an older radiowatch wrote: no peaks column at all
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.execute("ALTER TABLE tracks DROP COLUMN peaks")
    db.commit()
    db.close()
    with Catalog.open(tmp_path) as cat:
        assert cat._snapshot.reference_peaks is None
        found = cat.identify(clip(songs[11], 20, 10))
        assert found is not None and found.track.track_id == "old"
        assert found.score >= MATCH_THRESHOLD
        assert cat.identify(clip(songs[13], 20, 10)) is None
        # a track added now has its peaks, but the index is only verified once all have them
        cat.add_samples(songs[13], track_id="new")
        assert cat._snapshot.reference_peaks is None
        assert cat.identify(clip(songs[13], 20, 10)).track.track_id == "new"


def test_levels_are_kept_to_the_decibel_in_the_peaks_order(songs):
    peaks = catalog_peaks(songs[11])
    assert peaks.level is not None
    blob = encode_peaks(peaks)
    levels = decode_levels(blob)
    order = np.lexsort((half_bands(peaks), peaks.t))
    assert levels is not None and levels.size == decode_peaks(blob)[0].size
    assert np.abs(levels - peaks.level[order]).max() <= 0.5


def test_peaks_stored_before_levels_were_kept_read_as_before_without_levels(tmp_path, songs):
    with Catalog.open(tmp_path) as cat:
        cat.add_samples(songs[11], track_id="old")
        peaks = cat.track_peaks("old")
    # what an older radiowatch wrote: deflated (frame delta, half-band) records, no level
    t, f = peaks
    rec = np.empty(t.size, np.dtype([("dt", "<u2"), ("f", "u1")]))
    rec["dt"], rec["f"] = np.diff(t, prepend=0), f
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.execute("UPDATE tracks SET peaks = ?", (zlib.compress(rec.tobytes()),))
    db.commit()
    db.close()
    with Catalog.open(tmp_path) as cat:
        again = cat.track_peaks("old")
        assert again is not None
        assert np.array_equal(again[0], t) and np.array_equal(again[1], f)
        assert cat.track_levels("old") is None
        assert cat.identify(clip(songs[11], 20, 10)).track.track_id == "old"
