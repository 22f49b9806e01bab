"""Spectral evidence: how loud a query clip is under each reference peak, not only whether it
kept a peak there.

Verification counts reference peaks that have a query peak next to them (verification.py).
Under heavy noise the query's peak quota goes largely to the noise (a 10 s clip at pink SNR
0 dB keeps a median 41 % of the peaks the clean clip has, a tenth of them under 19 %), yet
the music is still there: its partials still lift the query's whitened spectrogram where the
reference has its peaks, just not enough to be among the strongest peaks of their second.
This module measures that lift.

For a clip the query keeps `evidence_grid`: its whitened band spectrogram (as find_peaks sees
it), clipped, maximum over +-1 frame and +-1 band (the tolerance verification allows), minus
each band's and each frame's mean over the clip (a loud band, a drum hit across all bands,
say nothing about one alignment). `evidence_z` sums that grid under the reference peaks of
one alignment and compares the sum with the same reference peaks laid on the query shifted in
time (circularly) by every shift of at least NULL_GAP_FRAMES: the spread of wrong alignments
of the *same* peaks against the *same* clip, so the reference's own clustering (chords,
drums) and the clip's own texture are in the chance level without a model of either.

Measured on the public benchmark and the decoy catalogs (bench/fingerprint/RESULTS.md,
session 17): the two statistics err on different queries, so their sum separates noisy true
matches from the beat-driven decoys that limited the peak count alone.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter

CLIP_DB = 12.0  # a whitened level beyond this says nothing more (one loud partial)
NULL_GAP_FRAMES = 10  # shifts nearer than this overlap the true alignment's tolerance
NULL_STEP = 2  # every other shift: the same null, half the gathers
# at most this many shifts (a 10 s clip has ~145): a long file queried whole costs time in
# proportion to its length, not to its length squared (every 3rd shift measured the same)
MAX_NULL_SHIFTS = 150
MIN_NULL_SHIFTS = 20  # fewer (a clip under ~1.3 s): no evidence score


def evidence_grid(white: np.ndarray) -> np.ndarray:
    """(frames, bands) float32 evidence of a clip from its whitened band spectrogram (dB)."""
    w = np.clip(np.asarray(white, np.float32), -CLIP_DB, CLIP_DB)
    m = maximum_filter(w, size=(3, 3), mode="nearest")
    resid = m - m.mean(axis=0)[None, :] - m.mean(axis=1)[:, None] + m.mean()
    return resid.astype(np.float32)


def evidence_z(
    grid: np.ndarray,
    ref_t: np.ndarray,
    ref_half_bands: np.ndarray,
    position: int,
    time_scale: float,
    band_shift: float,
) -> float | None:
    """Standard deviations by which the clip's evidence under the reference peaks (global
    frames `ref_t`, half-bands) of one alignment exceeds the same peaks at wrong alignments;
    None when the clip is too short for a null or no peak falls inside it."""
    n_t, n_b = grid.shape
    span = n_t - 2 * NULL_GAP_FRAMES + 1
    step = max(NULL_STEP, -(-span // MAX_NULL_SHIFTS))
    shifts = np.arange(NULL_GAP_FRAMES, n_t - NULL_GAP_FRAMES + 1, step)
    if shifts.size < MIN_NULL_SHIFTS:
        return None
    tq = np.rint((ref_t - position) / time_scale).astype(np.int64)
    fq = np.rint(ref_half_bands / 2.0 + band_shift).astype(np.int64)
    inside = (tq >= 0) & (tq < n_t) & (fq >= 1) & (fq < n_b - 1)
    tq, fq = tq[inside], fq[inside]
    if tq.size == 0:
        return None
    true = float(grid[tq, fq].sum())
    wrong = grid[(tq[None, :] + shifts[:, None]) % n_t, fq[None, :]].sum(axis=1)
    return (true - float(wrong.mean())) / (float(wrong.std()) + 1e-6)
