"""Spectral evidence: a noisy clip's spectrogram still stands out under the reference peaks of
its true alignment and not elsewhere; clip queries are scored with it, peaks without it
(stream windows, archived peaks) keep the peak score alone."""

from __future__ import annotations

import dataclasses

import numpy as np

from radiowatch.engine.fingerprint.landmarks import (
    FRAME_S,
    QUERY_DENSITY,
    catalog_peaks,
    find_peaks,
)
from radiowatch.engine.fingerprint.reference_peaks import half_bands
from radiowatch.engine.fingerprint.spectral_evidence import evidence_z
from radiowatch.engine.fingerprint.verification import (
    EVIDENCE_WEIGHT,
    Candidate,
    verification_score,
)
from tests.engine.conftest import RATE, add_noise

UNIT = Candidate(1.0, 0.0, 1.0, 1.0)


def _reference(song: np.ndarray):
    """The song's catalog peaks as verification reads them: (frames, half-bands) in a window."""
    peaks = catalog_peaks(song)
    t, f = peaks.t.astype(np.int64), half_bands(peaks).astype(np.int64)

    def window(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(t, [lo, hi])
        return t[a:b], f[a:b]

    return t, f, window


def test_a_noisy_clip_stands_out_only_at_its_true_alignment(songs):
    start = 12.0
    clip = add_noise(songs[13][int(start * RATE) : int((start + 10) * RATE)], -3, seed=3)
    grid = find_peaks(clip, QUERY_DENSITY.peaks_per_s, with_evidence=True).evidence
    assert grid is not None
    t, f, _window = _reference(songs[13])
    true = int(round(start / FRAME_S))
    z_true = evidence_z(grid, t, f, true, 1.0, 0.0)
    z_wrong = [evidence_z(grid, t, f, true + d, 1.0, 0.0) for d in (-250, -120, -40, 60, 150)]
    assert z_true is not None and z_true > 6
    assert all(z is not None and z < 3 for z in z_wrong)
    # another song's peaks under the same clip: nothing
    t14, f14, _w = _reference(songs[14])
    other = evidence_z(grid, t14, f14, true, 1.0, 0.0)
    assert other is not None and abs(other) < 3


def test_clip_peaks_carry_their_evidence_and_verification_adds_it(songs):
    start = 20.0
    clip = add_noise(songs[11][int(start * RATE) : int((start + 10) * RATE)], 5, seed=4)
    _t, _f, window = _reference(songs[11])
    with_ev = find_peaks(clip, QUERY_DENSITY.peaks_per_s, with_evidence=True)
    without = dataclasses.replace(with_ev, evidence=None)
    position = int(round(start / FRAME_S))
    peak_score = verification_score(without, UNIT, position, window)
    assert peak_score > 0
    assert with_ev.evidence is not None
    lo, hi = position, position + int(with_ev.t.max()) + 1
    z = evidence_z(with_ev.evidence, *window(lo, hi), position, 1.0, 0.0)
    assert z is not None and z > 0
    combined = verification_score(with_ev, UNIT, position, window)
    assert np.isclose(combined, EVIDENCE_WEIGHT * (peak_score + z), rtol=0.05)
    assert combined > peak_score


def test_a_clip_too_short_for_a_null_keeps_the_peak_score(songs):
    clip = songs[12][10 * RATE : int(11.2 * RATE)]  # ~35 frames: fewer than 20 wrong shifts
    _t, _f, window = _reference(songs[12])
    peaks = find_peaks(clip, QUERY_DENSITY.peaks_per_s, with_evidence=True)
    assert peaks.evidence is not None
    position = int(round(10.0 / FRAME_S))
    assert evidence_z(peaks.evidence, *window(position, position + 40), position, 1.0, 0.0) is None
    plain = dataclasses.replace(peaks, evidence=None)
    assert verification_score(peaks, UNIT, position, window) == verification_score(
        plain, UNIT, position, window
    )
