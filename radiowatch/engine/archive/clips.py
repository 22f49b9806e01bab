"""Proof clips: the archived audio of a stretch of one station, as it was broadcast.

A clip is the stream's own bytes (`format` "original": MP3 or AAC exactly as received, cut on
frame boundaries, nothing re-encoded) or, on request, MP3 (re-encoded only when the station
sent AAC). It covers the requested stretch plus `pad_s` on each side where the archive has it;
`start_s`/`end_s` say what it really covers and `gaps` where the station was not heard inside
it (a reconnect), so nobody mistakes a gap for silence.

When two connections overlap in time (a reconnecting station resends its last seconds), the
audio already taken from the earlier one is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from radiowatch.engine.archive import media

if TYPE_CHECKING:
    from radiowatch.engine.archive.store import Archive

MAX_CLIP_S = 30 * 60.0
DEFAULT_PAD_S = 5.0
_GAP_S = 0.5


class NotArchived(Exception):
    """No audio is kept for the stretch asked for; the message says why, for a user."""


@dataclass(frozen=True)
class Clip:
    data: bytes
    format: str  # "mp3" | "aac"
    start_s: float
    end_s: float
    gaps: list[tuple[float, float]] = field(default_factory=list)

    @property
    def mime(self) -> str:
        return media.ARCHIVABLE[self.format][1]

    @property
    def extension(self) -> str:
        return media.ARCHIVABLE[self.format][2]


@dataclass
class _Part:
    format: str
    data: bytes


def cut_clip(
    archive: Archive,
    radio_id: int,
    start_s: float,
    end_s: float,
    *,
    pad_s: float = DEFAULT_PAD_S,
    as_mp3: bool = False,
) -> Clip:
    if end_s < start_s:
        raise ValueError("the clip's end is before its start")
    if end_s - start_s + 2 * pad_s > MAX_CLIP_S:
        raise ValueError(f"a clip can be at most {MAX_CLIP_S / 60:.0f} minutes long")
    want_from, want_to = start_s - pad_s, end_s + pad_s
    parts: list[_Part] = []
    gaps: list[tuple[float, float]] = []
    first: float | None = None
    covered = want_from  # audio before this is in the clip already (or not wanted)
    for row in archive.db.segments(radio_id, want_from, want_to):
        path = archive.path_of(row)
        try:
            frames = media.packets(path, row.format)
        except media.MediaError:
            continue  # removed by retention meanwhile, or unreadable: a gap
        chosen = [
            p
            for p in frames
            if row.start_s + p.t_s >= covered - p.duration_s / 2 and row.start_s + p.t_s < want_to
        ]
        if not chosen:
            continue
        begin = row.start_s + chosen[0].t_s
        if first is None:
            first = begin
        elif begin - covered > _GAP_S:
            gaps.append((covered, begin))
        last = chosen[-1]
        parts.append(
            _Part(row.format, media.slice_bytes(path, chosen[0].pos, last.pos + last.size))
        )
        covered = row.start_s + last.t_s + last.duration_s
    if first is None:
        raise NotArchived(
            f"no audio of station {radio_id} is kept for that time: it was not being "
            "archived, or the archive's retention or disk cap has removed it"
        )
    formats = {p.format for p in parts}
    if as_mp3:
        data = b"".join(media.to_mp3(p.data, p.format) for p in parts)
        fmt = "mp3"
    elif len(formats) > 1:
        raise ValueError(
            "the station changed its audio format inside this stretch; save the clip as MP3"
        )
    else:
        data = b"".join(p.data for p in parts)
        fmt = parts[0].format
    return Clip(data, fmt, first, covered, gaps)


def audio_kept(archive: Archive, radio_id: int, start_s: float, end_s: float) -> dict:
    """Whether audio is kept for a stretch: seconds of it covered, and the format."""
    now = archive.clock()
    covered = 0.0
    formats: set[str] = set()
    for row in archive.db.segments(radio_id, start_s, end_s):
        a = max(row.start_s, start_s)
        b = min(row.end_s if row.end_s is not None else now, end_s)
        if b > a:
            covered += b - a
            formats.add(row.format)
    length = max(end_s - start_s, 0.0)
    return {
        "radio_id": radio_id,
        "from": start_s,
        "to": end_s,
        "kept_seconds": round(min(covered, length), 1),
        "complete": length > 0 and covered >= length - 1.0,
        "formats": sorted(formats),
    }
