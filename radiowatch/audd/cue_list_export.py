"""Cue lists from an enterprise scan: one entry per song played, exportable as CSV and JSON.

The enterprise reply (docs/protocols/audd.md §4.2) has one match per scanned 12 s chunk, so a four-minute song
shows up as ~20 matches. A person reading a DJ mix or a day of radio wants "this song from
03:12 to 07:30", so consecutive chunks of the same song are merged into one cue. Recognition
batches (many clips, one result each) export through the same CSV writer.

CSV cells that a spreadsheet would run as a formula are prefixed with ``'`` (exports must open
safely in Excel and LibreOffice); the file starts with a UTF-8 BOM so Excel reads accents.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from radiowatch.audd.enterprise_cost import CHUNK_SECONDS, format_duration
from radiowatch.audd.models import EnterpriseMatch, EnterpriseResult

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Cue(BaseModel):
    """One song played in the scanned file, from ``start_s`` to ``end_s`` (file time)."""

    start_s: float
    end_s: float
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    label: str | None = None
    release_date: str | None = None
    isrc: str | None = None
    song_link: str | None = None
    audio_id: int | None = None
    score: int | None = None
    song_timecode: str | None = None  # where in the song the cue starts
    chunks: int = 1

    @property
    def name(self) -> str:
        if self.artist or self.title:
            return " — ".join(p for p in (self.artist, self.title) if p)
        if self.audio_id is not None:
            return f"custom catalog song #{self.audio_id}"
        return "unknown song"

    def same_song(self, match: EnterpriseMatch) -> bool:
        if self.audio_id is not None or match.audio_id is not None:
            return self.audio_id == match.audio_id
        return (self.artist, self.title) == (match.artist, match.title)


def _span(chunk_start: float, match: EnterpriseMatch) -> tuple[float, float]:
    if (
        match.start_offset is None
        or match.end_offset is None
        or match.end_offset <= match.start_offset
    ):
        return chunk_start, chunk_start + CHUNK_SECONDS  # no accurate offsets: the whole chunk
    return chunk_start + match.start_offset / 1000, chunk_start + match.end_offset / 1000


def build_cues(
    result: EnterpriseResult,
    *,
    gap_s: float = CHUNK_SECONDS + 1.0,
    file_duration_s: float | None = None,
) -> list[Cue]:
    """Merge matches of the same song that follow each other within ``gap_s`` into one cue.

    Pass ``gap_s`` larger than the skipped stretch (``12 * skip + 13``) when the scan skips
    chunks, so a song seen in every scanned group still reads as one play. Only the best
    candidate of each chunk counts.
    """
    best: list[tuple[float, float, EnterpriseMatch]] = []
    for chunk in result.chunks:
        if chunk.songs:
            match = max(chunk.songs, key=lambda m: m.score or 0)
            best.append((*_span(chunk.offset_seconds or 0.0, match), match))
    best.sort(key=lambda item: item[0])
    cues: list[Cue] = []
    for start, end, match in best:
        if file_duration_s:
            end = min(end, file_duration_s)
        last = cues[-1] if cues else None
        if last is not None and last.same_song(match) and start - last.end_s <= gap_s:
            last.end_s = max(last.end_s, end)
            last.score = (
                max(last.score or 0, match.score or 0) if match.score is not None else last.score
            )
            last.chunks += 1
            continue
        cues.append(
            Cue(
                start_s=start,
                end_s=max(end, start),
                artist=match.artist,
                title=match.title,
                album=match.album,
                label=match.label,
                release_date=match.release_date,
                isrc=match.isrc,
                song_link=match.song_link,
                audio_id=match.audio_id,
                score=match.score,
                song_timecode=match.timecode,
            )
        )
    return cues


def formula_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CUE_COLUMNS = (
    "start",
    "end",
    "start_seconds",
    "end_seconds",
    "artist",
    "title",
    "album",
    "label",
    "release_date",
    "isrc",
    "audio_id",
    "score",
    "song_timecode",
    "song_link",
)


def cue_rows(cues: Iterable[Cue]) -> list[dict[str, Any]]:
    return [
        {
            "start": format_duration(c.start_s),
            "end": format_duration(c.end_s),
            "start_seconds": round(c.start_s, 3),
            "end_seconds": round(c.end_s, 3),
            "artist": c.artist,
            "title": c.title,
            "album": c.album,
            "label": c.label,
            "release_date": c.release_date,
            "isrc": c.isrc,
            "audio_id": c.audio_id,
            "score": c.score,
            "song_timecode": c.song_timecode,
            "song_link": c.song_link,
        }
        for c in cues
    ]


def write_csv(
    path: str | os.PathLike[str], rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> Path:
    """Write rows atomically (temp file + rename) so a failed export never leaves half a file."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.part")
    with open(temp, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    row.get(c) if isinstance(row.get(c), int | float) else formula_safe(row.get(c))
                    for c in columns
                ]
            )
    os.replace(temp, target)
    return target


def write_cue_csv(path: str | os.PathLike[str], cues: Iterable[Cue]) -> Path:
    return write_csv(path, cue_rows(cues), CUE_COLUMNS)


def write_cue_json(
    path: str | os.PathLike[str],
    cues: Iterable[Cue],
    *,
    source: str | None = None,
    duration_s: float | None = None,
) -> Path:
    """``{"source": ..., "duration_seconds": ..., "cues": [...]}``, UTF-8, atomically."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.part")
    body = {"source": source, "duration_seconds": duration_s, "cues": cue_rows(cues)}
    temp.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temp, target)
    return target
