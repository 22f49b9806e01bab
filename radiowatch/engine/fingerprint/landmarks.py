"""Landmark fingerprints: spectral peaks on a log-frequency grid, paired into 32-bit hashes.

Why this shape (measured on the public benchmark, see bench/fingerprint/RESULTS.md):

- Peaks are picked on a log-spaced band spectrogram (150-3900 Hz), whitened per band over
  time. Whitening makes peaks indifferent to EQ and telephone band-limiting (a filter is a
  constant dB shift per band) and to stationary noise (the noise floor is subtracted).
- On a log-frequency axis a tape-style speed change (pitch and tempo together, like a
  station playing a song 2 % fast) is a uniform *shift* of every peak, and time is scaled.
  A pair hash keeps the frequency *difference* (shift-invariant) plus a coarse anchor
  frequency and the time gap. The query side undoes candidate speed factors on its peak
  list before hashing (`query_hashes`), which costs arithmetic on a few thousand pairs,
  not a new spectrogram, so a grid of speeds and time-stretch factors is cheap.
- Catalog fingerprints are sparse (index size); query fingerprints are denser, so the peaks
  the catalog kept are very likely among the query's even when noise adds false peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter1d

from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.fingerprint.spectral_evidence import evidence_grid

N_FFT = 1024
HOP = 256
FRAME_S = HOP / SAMPLE_RATE  # 32 ms
F_MIN, F_MAX = 150.0, 3900.0
N_BANDS = 96
BAND_LOG_STEP = np.log(F_MAX / F_MIN) / (N_BANDS - 1)  # ~3.4 % per band

SMOOTH_FRAMES = 3
WHITEN_FRAMES = 63  # ~2 s running mean per band
PEAK_NEIGHBOURHOOD = (5, 3)  # frames x bands for local maxima
MAX_DT = 63  # frames (~2 s) between the two peaks of a pair
MAX_DF = 31  # bands
F1_BITS, DF_BITS, DT_BITS = 8, 7, 6
# Peaks are ranked by whitened prominence plus this much of their absolute level (dB): under
# heavy (pink) noise only the loud peaks survive, so preferring them in the catalog and the
# query lifted 10 s pink-noise recall at 0 dB from 0.86 to 0.89 with no extra false positives.
LOUDNESS_WEIGHT = 0.7


@dataclass(frozen=True)
class Density:
    """How many peaks per second to keep and how many partners each peak is paired with."""

    peaks_per_s: float
    fanout: int


CATALOG_DENSITY = Density(peaks_per_s=24.0, fanout=3)
QUERY_DENSITY = Density(peaks_per_s=36.0, fanout=12)


@dataclass
class Peaks:
    """Spectral peaks: frame index (int), fractional band position (float) and, when known,
    the strength they were ranked by (triplet keys pick a peak's partners by it) and their
    level (dB on the band spectrogram; the catalog keeps it, see reference_peaks.py). A clip
    query also carries its spectral evidence grid (spectral_evidence.py; frames from the
    clip's first), which verification weighs beside the peaks."""

    t: np.ndarray
    f: np.ndarray
    strength: np.ndarray | None = None
    evidence: np.ndarray | None = None
    level: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.t.size)


def _filterbank() -> np.ndarray:
    freqs = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    centres = F_MIN * np.exp(BAND_LOG_STEP * np.arange(N_BANDS))
    fb = np.zeros((N_BANDS, freqs.size), np.float32)
    with np.errstate(divide="ignore"):
        logf = np.where(freqs > 0, np.log(np.maximum(freqs, 1e-9) / F_MIN) / BAND_LOG_STEP, -1e9)
    for b in range(N_BANDS):
        # triangle in band units, and linear interpolation where bands are narrower than bins
        w = np.clip(1.0 - np.abs(logf - b), 0, None)
        if w.sum() < 1e-6:
            pos = centres[b] / (SAMPLE_RATE / N_FFT)
            lo = int(np.floor(pos))
            w = np.zeros_like(freqs)
            w[lo], w[lo + 1] = 1 - (pos - lo), pos - lo
        fb[b] = w / w.sum()
    return fb


_FB = _filterbank()
_WINDOW = np.hanning(N_FFT).astype(np.float32)


def band_spectrogram(samples: np.ndarray) -> np.ndarray:
    """Log power (dB) on the band grid, shape (frames, N_BANDS)."""
    x = np.asarray(samples, np.float32)
    if x.size < N_FFT:
        return np.zeros((0, N_BANDS), np.float32)
    n_frames = 1 + (x.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, N_FFT), strides=(x.strides[0] * HOP, x.strides[0])
    )
    spec = np.fft.rfft(frames * _WINDOW, axis=1)
    power = spec.real**2 + spec.imag**2
    bands = power.astype(np.float32) @ _FB.T
    if SMOOTH_FRAMES > 1:
        # tonal peaks last several frames, noise flickers: averaging steadies the noise floor
        bands = uniform_filter1d(bands, SMOOTH_FRAMES, axis=0, mode="nearest")
    return 10.0 * np.log10(bands + 1e-10)


def find_peaks(samples: np.ndarray, peaks_per_s: float, *, with_evidence: bool = False) -> Peaks:
    """Local maxima of the whitened band spectrogram, the strongest `peaks_per_s` per second
    (strength: prominence over the band's running mean, plus LOUDNESS_WEIGHT x level); with
    `with_evidence`, also the clip's spectral evidence grid (a query clip's, for verification)."""
    spec = band_spectrogram(samples)
    white = whiten(spec) if spec.shape[0] else spec
    peaks = spectrum_peaks(spec, white, peaks_per_s)
    if with_evidence and spec.shape[0] >= 3:
        peaks.evidence = evidence_grid(white)
    return peaks


def whiten(spec: np.ndarray) -> np.ndarray:
    """Each band's level over its running mean (~2 s): what stands out of its surroundings."""
    return spec - uniform_filter1d(spec, WHITEN_FRAMES, axis=0, mode="nearest")


def spectrum_peaks(spec: np.ndarray, white: np.ndarray, peaks_per_s: float) -> Peaks:
    """`find_peaks` of a spectrogram already computed (`band_spectrogram`, `whiten`), for
    callers that pick peaks at several densities or look at the spectrogram themselves."""
    if spec.shape[0] < 3:
        empty = np.zeros(0, np.float32)
        return Peaks(np.zeros(0, np.int32), empty, empty, level=empty)
    local_max = maximum_filter(white, size=PEAK_NEIGHBOURHOOD, mode="constant", cval=-1e9)
    # an absolute floor drops digital silence; the whitened floor drops flat noise
    is_peak = (white == local_max) & (white > 3.0) & (spec > -75.0)
    is_peak[:, 0] = is_peak[:, -1] = False
    t, b = np.nonzero(is_peak)
    strength = white[t, b] + LOUDNESS_WEIGHT * spec[t, b]
    t, b, strength = _strongest_per_second(t, b, strength, peaks_per_s)
    # parabolic interpolation across bands gives a sub-band frequency
    y0, ym, yp = spec[t, b], spec[t, b - 1], spec[t, b + 1]
    denom = ym - 2 * y0 + yp
    delta = np.where(denom < 0, 0.5 * (ym - yp) / np.where(denom < 0, denom, -1), 0.0)
    f = b + np.clip(delta, -0.5, 0.5)
    order = np.lexsort((f, t))
    return Peaks(
        t[order].astype(np.int32),
        f[order].astype(np.float32),
        strength[order].astype(np.float32),
        level=y0[order].astype(np.float32),
    )


N_ZONES = 1  # frequency zones with their own peak quota, so one noisy region cannot take all


def _strongest_per_second(t, b, strength, peaks_per_s):
    zone = (b * N_ZONES) // N_BANDS
    block = (t * FRAME_S).astype(np.int64) * N_ZONES + zone
    peaks_per_s = peaks_per_s / N_ZONES
    order = np.lexsort((-strength, block))
    t, b, strength, block = t[order], b[order], strength[order], block[order]
    starts = np.searchsorted(block, block, side="left")
    rank = np.arange(block.size) - starts
    keep = rank < peaks_per_s
    return t[keep], b[keep], strength[keep]


@dataclass
class Pairs:
    """Peak pairs before quantisation: anchor time/frequency, frequency and time differences."""

    t1: np.ndarray
    f1: np.ndarray
    df: np.ndarray
    dt: np.ndarray


def make_pairs(peaks: Peaks, fanout: int, max_dt: float = MAX_DT) -> Pairs:
    """Pair each peak with its first `fanout` successors inside the target zone."""
    n = len(peaks)
    t, f = peaks.t.astype(np.float32), peaks.f
    counts = np.zeros(n, np.int32)
    out_i, out_j = [], []
    for k in range(1, 4 * fanout + 1):
        if k >= n:
            break
        i = np.arange(n - k)
        j = i + k
        dt = t[j] - t[i]
        ok = (dt >= 1) & (dt <= max_dt) & (np.abs(f[j] - f[i]) <= MAX_DF) & (counts[i] < fanout)
        i, j = i[ok], j[ok]
        counts[i] += 1
        out_i.append(i)
        out_j.append(j)
    if not out_i:
        empty = np.zeros(0, np.float32)
        return Pairs(empty, empty, empty, empty)
    i = np.concatenate(out_i)
    j = np.concatenate(out_j)
    return Pairs(t[i], f[i], f[j] - f[i], t[j] - t[i])


def quantise(pairs: Pairs, time_scale: float = 1.0, band_shift: float = 0.0):
    """32-bit hashes and anchor times, after mapping query coordinates onto the catalog's.

    `time_scale` multiplies query times (a song played 2 % fast has times 1/1.02 of the
    original: scale by 1.02); `band_shift` is subtracted from frequencies (log-band units).
    """
    f1 = np.rint((pairs.f1 - band_shift) * 2).astype(np.int64)
    df = np.rint(pairs.df * 2).astype(np.int64)
    dt = np.rint(pairs.dt * time_scale).astype(np.int64)
    ok = (
        (f1 >= 0)
        & (f1 < (1 << F1_BITS))
        & (np.abs(df) < (1 << (DF_BITS - 1)))
        & (dt >= 1)
        & (dt < (1 << DT_BITS))
    )
    f1, df, dt = f1[ok], df[ok], dt[ok]
    h = (f1 << (DF_BITS + DT_BITS)) | ((df & ((1 << DF_BITS) - 1)) << DT_BITS) | dt
    return h.astype(np.uint32), (pairs.t1[ok] * time_scale).astype(np.float32)


def catalog_peaks(samples: np.ndarray) -> Peaks:
    return find_peaks(samples, CATALOG_DENSITY.peaks_per_s)


def catalog_hashes(
    samples: np.ndarray, peaks: Peaks | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes and anchor frames (uint32) of a catalog track, unique per (hash, frame)."""
    if peaks is None:
        peaks = catalog_peaks(samples)
    h, t = quantise(make_pairs(peaks, CATALOG_DENSITY.fanout))
    key = (h.astype(np.uint64) << np.uint64(32)) | t.astype(np.uint64)
    key = np.unique(key)
    return (key >> np.uint64(32)).astype(np.uint32), (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
