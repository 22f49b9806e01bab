"""The Audjust wire shapes as pydantic models, shared by the API client and the local engine.

Field names follow Audjust's JSON exactly (camelCase), so an analysis from the cloud and one
computed locally are interchangeable: either can be cached, resized, shown and exported.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ExportFormat(StrEnum):
    MP3_128 = "mp3_128"
    MP3_256 = "mp3_256"
    MP3_320 = "mp3_320"
    WAV = "wav"

    @property
    def suffix(self) -> str:
        return ".wav" if self is ExportFormat.WAV else ".mp3"

    @property
    def bitrate(self) -> int | None:
        """MP3 bit rate in bit/s, None for WAV."""
        return None if self is ExportFormat.WAV else int(self.value.split("_")[1]) * 1000

    @property
    def label(self) -> str:
        return "WAV" if self is ExportFormat.WAV else f"MP3 {self.value.split('_')[1]} kbit/s"


class Similarity(BaseModel):
    """Audjust's compressed self-similarity matrix (see `similarity.py` for the codec)."""

    data: str
    min: int = 32
    max: int = 126


class Analysis(BaseModel):
    """Result of analyze: what resize needs, plus what the UI draws.

    `barPhase` is a radiowatch extension (Audjust has no such field): the index of the first
    downbeat among the boundaries, 0-3. Local analyses set it so that seams land on bar lines;
    analyses from the cloud leave it None and resize then only keeps seams bar-consistent.
    """

    model_config = ConfigDict(extra="ignore")

    duration: float
    tempo: float
    similarity: Similarity
    boundaries: list[float]
    features: list[list[float]] | None = None
    barPhase: int | None = None  # noqa: N815 - Audjust-style camelCase wire name


class ResizeResult(BaseModel):
    """One candidate edit: which stretches of the source to play, in order."""

    model_config = ConfigDict(extra="ignore")

    dissimilarity: float
    blendedScore: float  # noqa: N815
    segmentsBeats: list[tuple[int, int]]  # noqa: N815
    segmentsSeconds: list[tuple[float, float]]  # noqa: N815
    durationSeconds: float  # noqa: N815
    # radiowatch extensions, used to sort and describe candidates in the tab.
    worstSeam: float | None = None  # noqa: N815
    cuts: int | None = Field(default=None)

    @property
    def cut_count(self) -> int:
        return self.cuts if self.cuts is not None else max(0, len(self.segmentsSeconds) - 1)
