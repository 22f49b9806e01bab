"""Proof clips: the archived audio of a stretch of one station, as it was broadcast.

A clip is the stream's own bytes (`format` "original": MP3, AAC, Ogg or FLAC exactly as
received, cut on frame boundaries, nothing re-encoded) or, on request, MP3 (re-encoded only
when the station did not send MP3). An Ogg clip is cut on page boundaries (a page holds a
fraction of a second) and starts with the header pages of its segment; where the clip runs into
a segment of another link (a chained stream), that link's header pages come before its audio,
so the clip is a chained Ogg file as the station sent it. A FLAC clip is the stream's marker
and STREAMINFO, then whole frames; FLAC has no chaining, so a clip across two FLAC streams of
different headers (the source reconnected with other settings) comes only as MP3. It covers
the requested stretch plus `pad_s` on each side where the archive has it; `start_s`/`end_s`
say what it really covers and `gaps` where the station was not heard inside it (a
reconnect), so nobody mistakes a gap for silence.

When two connections overlap in time (a reconnecting station resends its last seconds), the
audio already taken from the earlier one is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    format: str  # "mp3" | "aac" | "ogg" | "flac"
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
    """Frames [first, last] of one segment chosen for the clip."""

    row: Any
    frames: list[media.Packet]
    first: int
    last: int


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
    rows = archive.db.segments(radio_id, want_from, want_to + 1.0)
    parts: list[_Part] = []
    gaps: list[tuple[float, float]] = []
    first: float | None = None
    covered = want_from  # audio before this is in the clip already (or not wanted)
    for row in rows:
        try:
            frames = media.packets(archive.path_of(row), row.format)
        except media.MediaError:
            continue  # removed by retention meanwhile, or unreadable: a gap
        follows = bool(parts) and _continues(parts[-1], row, rows)
        chosen = [
            i
            for i, p in enumerate(frames)
            # the next segment of the same connection goes on where the last one stopped,
            # whatever small step the clock took between them
            if (follows or row.start_s + p.t_s >= covered - p.duration_s / 2)
            and row.start_s + p.t_s < want_to
        ]
        if not chosen:
            continue
        if row.format in media.SELF_CONTAINED:
            chosen = _whole_pages(frames, chosen[0], chosen[-1])
        begin = row.start_s + frames[chosen[0]].t_s
        if first is None:
            first = begin
        elif begin - covered > _GAP_S:
            gaps.append((covered, begin))
        parts.append(_Part(row, frames, chosen[0], chosen[-1]))
        last = frames[chosen[-1]]
        covered = row.start_s + last.t_s + last.duration_s
    if first is None:
        raise NotArchived(
            f"no audio of station {radio_id} is kept for that time: it was not being "
            "archived, or the archive's retention or disk cap has removed it"
        )
    pieces = _byte_ranges(archive, parts, rows)
    # a chained Ogg file may change its headers, a FLAC file may not
    formats = {(fmt, head if fmt == "flac" else b"") for fmt, head, _data in pieces}
    if len(formats) == 1:
        fmt = pieces[0][0]
        data = _joined(pieces)
        if as_mp3:
            # one conversion, so no encoder delay between the parts (a chained Ogg file
            # decodes as one stream)
            data, fmt = media.to_mp3(data, fmt), "mp3"
    elif as_mp3:
        data = b"".join(media.to_mp3(head + chunk, fmt) for fmt, head, chunk in pieces)
        fmt = "mp3"
    else:
        raise ValueError(
            "the station changed its audio format inside this stretch; save the clip as MP3"
        )
    return Clip(data, fmt, first, covered, gaps)


def _joined(pieces: list[tuple[str, bytes, bytes]]) -> bytes:
    out, last_head = bytearray(), b""
    for _fmt, head, chunk in pieces:
        if head != last_head:  # an Ogg link's or FLAC stream's headers, once per run
            out += head
            last_head = head
        out += chunk
    return bytes(out)


def _whole_pages(frames: list[media.Packet], first: int, last: int) -> list[int]:
    """Packets first..last widened to the whole Ogg pages they start on (a FLAC frame is a
    packet of its own)."""
    while first > 0 and frames[first - 1].pos == frames[first].pos:
        first -= 1
    while last + 1 < len(frames) and frames[last + 1].pos == frames[last].pos:
        last += 1
    return list(range(first, last + 1))


def _byte_ranges(
    archive: Archive, parts: list[_Part], rows: list[Any]
) -> list[tuple[str, bytes, bytes]]:
    """The clip's bytes, part by part: (format, the headers an Ogg or FLAC part needs, audio).
    Ogg and FLAC segments hold whole pages or frames, so such a part is its pages or frames and
    nothing more. Segments of other formats of one connection were cut wherever a write ended, so a frame can straddle two files: where the clip runs from one segment into the
    next, the bytes are joined as received, and a clip ending on a segment's last frame takes
    the rest of that frame from the next segment."""
    out: list[tuple[str, bytes, bytes]] = []
    for k, part in enumerate(parts):
        row = part.row
        path = archive.path_of(row)
        if row.format in media.SELF_CONTAINED:
            out.append((row.format, *_whole_units(path, part)))
            continue
        follows = k > 0 and _continues(parts[k - 1], row, rows)
        start = 0 if follows and part.first == 0 else part.frames[part.first].pos
        end_frame = part.frames[part.last]
        data = media.slice_bytes(path, start, end_frame.pos + end_frame.size)
        if part.last == len(part.frames) - 1 and (
            k + 1 == len(parts) or part.row is not parts[k + 1].row
        ):
            after = next(
                (r for r in rows if r.connection == row.connection and r.start_s > row.start_s),
                None,
            )
            if after is not None and (k + 1 == len(parts) or parts[k + 1].row is not after):
                data += _head(archive, after)
        out.append((row.format, b"", data))
    return out


def _whole_units(path: Any, part: _Part) -> tuple[bytes, bytes]:
    """An Ogg or FLAC part: its segment's headers (all before the first audio packet's page or
    frame), and the pages or frames from its first packet's to the end of its last packet's."""
    head = media.slice_bytes(path, 0, part.frames[0].pos)
    start = part.frames[part.first].pos
    after = part.last + 1
    end = part.frames[after].pos if after < len(part.frames) else path.stat().st_size
    return head, media.slice_bytes(path, start, end)


def _continues(before: _Part, row: Any, rows: list[Any]) -> bool:
    """Whether `row` is the segment right after `before`'s on its connection, and `before`
    took its segment to the end."""
    if before.row.connection != row.connection or before.last != len(before.frames) - 1:
        return False
    same = [r.id for r in rows if r.connection == row.connection]
    return row.id in same and same.index(row.id) == same.index(before.row.id) + 1


def _head(archive: Archive, row: Any) -> bytes:
    """The bytes before a segment's first whole frame: the end of the previous one's last."""
    try:
        frames = media.packets(archive.path_of(row), row.format)
    except media.MediaError:
        return b""
    return media.slice_bytes(archive.path_of(row), 0, frames[0].pos) if frames else b""


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
