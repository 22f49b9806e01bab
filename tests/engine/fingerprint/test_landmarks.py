"""Fingerprint properties the matcher relies on."""

from __future__ import annotations

import numpy as np
from scipy.signal import resample_poly

from radiowatch.engine.fingerprint import landmarks as fp
from tests.engine.conftest import synth_song


def test_hashes_are_deterministic_and_dense_enough(songs):
    from radiowatch.engine.fingerprint.triplets import catalog_keys

    h1, t1 = catalog_keys(fp.catalog_peaks(songs[11]))
    h2, t2 = catalog_keys(fp.catalog_peaks(songs[11]))
    assert np.array_equal(h1, h2) and np.array_equal(t1, t2)
    per_second = h1.size / (songs[11].size / fp.SAMPLE_RATE)
    assert 20 < per_second < 100  # index size budget: ~6 bytes per key


def test_silence_has_no_peaks():
    assert len(fp.find_peaks(np.zeros(5 * fp.SAMPLE_RATE, np.float32), 30)) == 0


def test_tape_speed_change_shifts_peaks_by_log_of_the_speed():
    song = synth_song(5, 12.0)
    fast = resample_poly(song, 100, 104).astype(np.float32)  # played 4 % fast
    shift = np.log(1.04) / fp.BAND_LOG_STEP
    a, b = fp.find_peaks(song, 30), fp.find_peaks(fast, 30)
    # for each peak of the fast version, the nearest original peak after undoing the change
    ta, fa = a.t.astype(float), a.f
    tb, fb = b.t * 1.04, b.f - shift
    d = np.hypot((tb[:, None] - ta[None, :]) / 2.0, fb[:, None] - fa[None, :]).min(axis=1)
    assert np.mean(d < 1.0) > 0.6


def test_keys_fit_the_index_key_space(songs):
    from radiowatch.engine.fingerprint.triplets import KEY_BITS, catalog_keys

    keys, _ = catalog_keys(fp.catalog_peaks(songs[12]))
    assert int(keys.max()) < 2**KEY_BITS
