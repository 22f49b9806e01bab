"""The spectral peaks of a continuous recording, found once as the audio arrives.

Play detection looks at the same audio several times: an identification window every few
seconds (windows overlap), a check of the open play's alignment, and a frame-by-frame look
around a play's edges. Finding the peaks once per stretch of audio, instead of once per look,
is what makes a long recording cheap to scan.

The audio is cut into chunks of CHUNK_FRAMES spectrogram frames and each chunk's peaks are
found with `landmarks.find_peaks` on the chunk plus CONTEXT_FRAMES of audio on each side (the
peak picker whitens over ~2 s and compares neighbours; the context makes a chunk's peaks the
same as if the whole recording had been analysed at once, up to the per-second quota). Peaks
of a chunk are final once the context after it has arrived: at most about 3.3 s after the
audio. Frames are numbered from the segment's first sample (`landmarks.FRAME_S` apart); old
peaks are dropped after `keep_s`.

Two sets are kept, each peak with the strength it was ranked by (the catalog's triplet keys
pick a peak's partners by strength: without it a search found the right song seconds later
and split one airing): peaks at the matcher's query density, for searching the catalog, and
denser ones (every local maximum, up to DENSE_PEAKS_PER_S) for following a known alignment:
under a DJ's voice-over, speech takes most of the strongest peaks, and the music's weaker
peaks, which only the dense set keeps, carry about 1.5 times more evidence per second
(measured on the broadcast benchmark's voiced intros; bench/broadcast/RESULTS.md). Under
louder talk even they miss the music, so the spectrogram's levels are kept as well
(`levels`, spectral_presence.contrast, float16: 1 MB per 3 minutes), for testing a known
alignment where speech took the peaks, and the spectrogram itself (`spectrum`, dB, float16,
another 1 MB), for asking whether the track could still be there at all
(spectral_holes.py). One spectrogram per chunk serves them all.
"""

from __future__ import annotations

import numpy as np

from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.fingerprint.landmarks import (
    FRAME_S,
    HOP,
    N_BANDS,
    N_FFT,
    QUERY_DENSITY,
    Peaks,
    band_spectrogram,
    spectrum_peaks,
    whiten,
)
from radiowatch.engine.streams.spectral_presence import contrast

CHUNK_FRAMES = 64  # 2.048 s: measured fastest per audio second among 32..256 with this context
CONTEXT_FRAMES = 40  # > the peak picker's reach (31 whitening + 1 smoothing + 2 neighbourhood)
DENSE_PEAKS_PER_S = 100.0  # about every local maximum: 200 gave the same evidence


class PeakStream:
    """Peaks of one continuous segment of audio (mono float32 at the engine's sample rate)."""

    def __init__(
        self,
        *,
        keep_s: float = 180.0,
        query_density: float = QUERY_DENSITY.peaks_per_s,
        dense_density: float = DENSE_PEAKS_PER_S,
    ):
        self._keep_frames = int(keep_s / FRAME_S)
        self._densities = (query_density, dense_density)
        self._audio = np.zeros(0, np.float32)
        self._pending: list[np.ndarray] = []  # received after self._audio, not yet joined
        self._audio_start = 0  # segment sample index of self._audio[0]
        self.received = 0  # samples received in this segment
        self.final_frame = 0  # peaks of every frame before this are known
        # per density: peak frames, bands and strengths, in chunks (joined on demand)
        self._t: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self._f: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self._s: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self._levels: list[np.ndarray] = []  # spectral_presence.contrast rows, in chunks
        self._spectrum: list[np.ndarray] = []  # band_spectrogram rows (dB), in chunks
        self._first_kept = 0  # frames before this were dropped

    @property
    def seconds(self) -> float:
        """Seconds of audio received in this segment."""
        return self.received / SAMPLE_RATE

    def feed(self, samples: np.ndarray) -> None:
        """Add audio; finds the peaks of every chunk that now has its context."""
        if samples.size:
            self._pending.append(np.asarray(samples, np.float32))
            self.received += int(samples.size)
        while self._chunk_ready(self.final_frame):
            self._analyse(self.final_frame, self.final_frame + CHUNK_FRAMES)

    def flush(self) -> None:
        """The segment ended: find the peaks of the audio still waiting for its context."""
        last = self._frames_in(self.received)
        while self.final_frame < last:
            self._analyse(self.final_frame, min(self.final_frame + CHUNK_FRAMES, last))

    def peaks(self, first: int, last: int, *, dense: bool = False) -> Peaks:
        """Peaks of frames [first, last) with their strengths, frames counted from `first`
        (what the catalog search takes: triplet keys pick each peak's partners by strength)."""
        k = 1 if dense else 0
        self._consolidate()
        if not self._t[k]:
            return Peaks(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.float32))
        t = self._t[k][0]
        a, b = np.searchsorted(t, [first, last])
        return Peaks((t[a:b] - first).astype(np.int32), self._f[k][0][a:b], self._s[k][0][a:b])

    def levels(self, first: int, last: int) -> tuple[np.ndarray, int]:
        """The spectrogram's contrast rows (spectral_presence.contrast) of the frames known in
        [first, last), and the frame of the first row."""
        return self._rows(self._levels, first, last)

    def spectrum(self, first: int, last: int) -> tuple[np.ndarray, int]:
        """The band spectrogram (dB) of the frames known in [first, last), and the frame of
        the first row."""
        return self._rows(self._spectrum, first, last)

    def _rows(self, chunks: list[np.ndarray], first: int, last: int) -> tuple[np.ndarray, int]:
        self._consolidate()
        if not chunks:
            return np.zeros((0, 0), np.float16), first
        rows = chunks[0]
        a = min(max(first, self._first_kept), self._first_kept + rows.shape[0])
        b = max(a, min(last, self._first_kept + rows.shape[0]))
        return rows[a - self._first_kept : b - self._first_kept], a

    def frames(self, first: int, last: int, *, dense: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(segment frames, fractional bands) of the peaks in frames [first, last)."""
        k = 1 if dense else 0
        self._consolidate()
        if not self._t[k]:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        t, f = self._t[k][0], self._f[k][0]
        a, b = np.searchsorted(t, [first, last])
        return t[a:b], f[a:b]

    # -- internals ------------------------------------------------------------------------
    @staticmethod
    def _frames_in(samples: int) -> int:
        return 0 if samples < N_FFT else 1 + (samples - N_FFT) // HOP

    def _chunk_ready(self, first: int) -> bool:
        needed = (first + CHUNK_FRAMES + CONTEXT_FRAMES) * HOP + N_FFT
        return self.received >= needed

    def _analyse(self, first: int, last: int) -> None:
        if self._pending:
            self._audio = np.concatenate([self._audio, *self._pending])
            self._pending = []
        lo = max(0, first - CONTEXT_FRAMES)
        hi_sample = min(self.received, (last + CONTEXT_FRAMES) * HOP + N_FFT)
        a = lo * HOP - self._audio_start
        audio = self._audio[a : hi_sample - self._audio_start]
        spec = band_spectrogram(audio)
        white = whiten(spec) if spec.shape[0] else spec
        rows = contrast(white[first - lo : last - lo])
        spectrum = spec[first - lo : last - lo].astype(np.float16)
        missing = last - first - rows.shape[0]
        if missing > 0:  # the end of a segment: no frame left unaccounted
            rows = np.concatenate([rows, np.zeros((missing, N_BANDS), rows.dtype)])
            spectrum = np.concatenate([spectrum, np.full((missing, N_BANDS), np.nan, np.float16)])
        self._levels.append(rows)
        self._spectrum.append(spectrum)
        for k, density in enumerate(self._densities):
            peaks = spectrum_peaks(spec, white, density)
            assert peaks.strength is not None  # spectrum_peaks always ranks its peaks
            t = peaks.t.astype(np.int64) + lo
            keep = (t >= first) & (t < last)
            self._t[k].append(t[keep])
            self._f[k].append(peaks.f[keep])
            self._s[k].append(peaks.strength[keep])
        self.final_frame = last
        # audio before the next chunk's left context is never needed again
        drop = max(0, (last - CONTEXT_FRAMES) * HOP - self._audio_start)
        if drop > 0:
            self._audio = self._audio[drop:]
            self._audio_start += drop
        self._forget_old()

    def _consolidate(self) -> None:
        for parts in (*self._t, *self._f, *self._s, self._levels, self._spectrum):
            if len(parts) > 1:
                parts[:] = [np.concatenate(parts)]

    def _forget_old(self) -> None:
        horizon = self.final_frame - self._keep_frames
        if horizon <= self._first_kept + CHUNK_FRAMES * 16:
            return
        self._consolidate()
        for ts, fs, ss in zip(self._t, self._f, self._s, strict=True):
            if ts:
                cut = int(np.searchsorted(ts[0], horizon))
                ts[:] = [ts[0][cut:]]
                fs[:] = [fs[0][cut:]]
                ss[:] = [ss[0][cut:]]
        for rows in (self._levels, self._spectrum):
            if rows:
                rows[:] = [rows[0][horizon - self._first_kept :]]
        self._first_kept = horizon
