"""The local Audjust: analyze, resize and export a file with the same inputs and outputs as the API.

Where the API takes a public `sourceFileUrl`, this takes a path. Analyses are cached per file;
the decoded audio of the last file is kept so repeated previews and exports skip decoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from radiowatch.audjust import analysis as local_analysis
from radiowatch.audjust import audio, rendering, resizing
from radiowatch.audjust.cache import AnalysisCache, CachedAnalysis, Waveform
from radiowatch.audjust.errors import AudjustError
from radiowatch.audjust.models import Analysis, ExportFormat, ResizeResult

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, stage: str) -> None:
    return None


class LocalAudjust:
    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache = AnalysisCache(cache_dir) if cache_dir is not None else None
        self._decoded: tuple[str, audio.DecodedAudio] | None = None

    def analyze(
        self, path: str | Path, *, raw_features: bool = False, progress: Progress = _no_progress
    ) -> CachedAnalysis:
        """Analysis plus a waveform overview; from the cache when the file is unchanged."""
        if self.cache is not None and Path(path).is_file():
            hit = self.cache.get(path, raw_features=raw_features)
            if hit is not None:
                progress(1.0, "Loaded from cache")
                return hit
        progress(0.02, "Decoding")
        decoded = self._decode(path)
        result = local_analysis.analyze_signal(
            decoded.mono, raw_features=raw_features, name=Path(path).name, progress=progress
        )
        view = local_analysis.overview(decoded.mono)
        entry = CachedAnalysis(
            analysis=result,
            waveform=Waveform(lo=_rounded(view.lo), hi=_rounded(view.hi), duration=view.duration),
            raw_features=raw_features,
        )
        if self.cache is not None:
            self.cache.put(path, entry)
        progress(1.0, "Done")
        return entry

    def waveform(self, path: str | Path) -> Waveform:
        """Just the drawing envelope (for analyses that came from the Audjust cloud)."""
        decoded = self._decode(path)
        view = local_analysis.overview(decoded.mono)
        return Waveform(lo=_rounded(view.lo), hi=_rounded(view.hi), duration=view.duration)

    def resize(
        self, analysis: Analysis, target_seconds: float, *, count: int = resizing.DEFAULT_COUNT
    ) -> list[ResizeResult]:
        return resizing.resize(analysis, target_seconds, count=count)

    def render(
        self, path: str | Path, segments: Sequence[Sequence[float]]
    ) -> tuple[np.ndarray, int]:
        decoded = self._decode(path)
        return rendering.render(decoded.stereo, decoded.rate, segments), decoded.rate

    def export(
        self,
        path: str | Path,
        segments_groups: Sequence[Sequence[Sequence[float]]],
        fmt: ExportFormat,
        destinations: Sequence[str | Path],
    ) -> list[Path]:
        """One file per segment group, like Audjust's `segmentsGroups` -> `resultUrls`."""
        if len(destinations) != len(segments_groups):
            raise AudjustError("Export needs one destination file per segment group.")
        written = []
        for segments, dest in zip(segments_groups, destinations, strict=True):
            out, rate = self.render(path, segments)
            written.append(rendering.write(out, rate, Path(dest), fmt))
        return written

    def _decode(self, path: str | Path) -> audio.DecodedAudio:
        p = Path(path)
        try:
            st = p.stat()
            key = f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        except OSError:
            key = str(p)
        if self._decoded is not None and self._decoded[0] == key:
            return self._decoded[1]
        self._decoded = None  # free the previous song before decoding the next
        decoded = audio.decode(p)
        self._decoded = (key, decoded)
        return decoded


def _rounded(values: np.ndarray) -> list[float]:
    return np.round(values.astype(np.float64), 4).tolist()
