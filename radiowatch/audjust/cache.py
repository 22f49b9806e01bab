"""Per-file cache of analyses, so reopening a song or trying another target is instant.

The key is the resolved path, size and modification time (plus the analysis version), which
is cheap to compute and changes whenever the file does. Entries are small JSON files (the
similarity string of a 3-minute song is ~50 KB) written atomically; a damaged entry is
simply recomputed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ValidationError

from radiowatch.audjust.models import Analysis

# Bump when the local analysis changes its output, so stale entries are not reused.
ANALYSIS_VERSION = 1


class Waveform(BaseModel):
    """Min/max envelope of the song for drawing."""

    lo: list[float]
    hi: list[float]
    duration: float


class CachedAnalysis(BaseModel):
    analysis: Analysis
    waveform: Waveform
    raw_features: bool = False


class AnalysisCache:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def key(self, path: str | Path) -> str:
        p = Path(path).resolve()
        st = p.stat()
        text = f"{p}|{st.st_size}|{st.st_mtime_ns}|v{ANALYSIS_VERSION}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def _file(self, path: str | Path) -> Path:
        return self.directory / f"{self.key(path)}.json"

    def get(self, path: str | Path, *, raw_features: bool = False) -> CachedAnalysis | None:
        try:
            entry = CachedAnalysis.model_validate_json(self._file(path).read_bytes())
        except (OSError, ValueError, ValidationError):
            return None
        if raw_features and not entry.raw_features:
            return None
        return entry

    def put(self, path: str | Path, entry: CachedAnalysis) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self._file(path)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(entry.model_dump_json())
            os.replace(tmp, target)
        except OSError:
            return  # a cache that cannot be written only costs time, never correctness
