"""“Save clips with the export”: each exported play's archived audio, saved beside the export.

Before the play log is written, every play it will hold gets its clip from the engine (the
play with `PAD_S` seconds each side, in the station's own format, not re-encoded) into a
folder next to the export, `<export name> clips/`. The log then names each clip in a "Clip
file" column (history/play_log_export.py); a play whose audio is not kept gets an empty cell.

Clip names are stable and safe on every file system: the play's id first (unique, so two
plays never share a name, and the same play always gets the same one), then its UTC start,
station, artist and title with the characters file systems refuse replaced, cut to a length
every system accepts. A clip already in the folder is kept, so exporting again, or after a
cancel, fetches only what is missing.

The clips are fetched by one coroutine on the GUI's asyncio loop (network only; the plays are
read on a worker thread with the export's own connection), with a progress dialog and Cancel.
A play the engine keeps no audio of is skipped; an engine that cannot be reached stops the
export with the reason, rather than writing a log that claims no audio was kept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from radiowatch.audd.errors import AudDAPIError, AudDError
from radiowatch.backend.archive_client import ArchiveClient
from radiowatch.history.database import open_database
from radiowatch.history.queries import PlayFilter, where_clause
from radiowatch.ui.common.clip_actions import PAD_S, UNKNOWN_LENGTH_S

log = logging.getLogger(__name__)

MAX_NAME = 120  # characters before the extension: well inside every file system's limit
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
EXTENSIONS = (".mp3", ".aac", ".ogg", ".flac")
NOT_KEPT_CODE = 50  # the engine's "invalid request" answer to a clip it has no audio for

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ClipRow:
    play_id: int
    radio_id: int | None
    start: float
    end: float
    station: str
    artist: str
    title: str


@dataclass(frozen=True)
class SavedClips:
    folder: Path
    files: dict[int, str]  # play id -> path relative to the export's folder
    missing: int  # plays whose audio the engine does not keep


def clips_folder(export_path: Path) -> Path:
    return export_path.with_name(f"{export_path.stem} clips")


def clip_stem(row: ClipRow) -> str:
    """`000123 2026-05-04 101500Z Radio Three - Artist - Title` (no extension)."""
    moment = datetime.fromtimestamp(row.start, UTC).strftime("%Y-%m-%d %H%M%SZ")
    words = " - ".join(p for p in (row.station, row.artist, row.title) if p)
    name = f"{row.play_id:06d} {moment} {words}".strip()
    name = _UNSAFE.sub("_", name)[:MAX_NAME]
    return name.rstrip(" .")


def read_clip_rows(db_path: Path, filt: PlayFilter) -> list[ClipRow]:
    """The plays the export will hold, oldest first (run it on a worker thread)."""
    db = open_database(db_path, migrate=False, busy_timeout_ms=5000)
    try:
        where, params = where_clause(filt)
        rows = db.conn.execute(
            "SELECT id, radio_id, start_ts, COALESCE(end_ts, start_ts + play_length), "
            f"station_name, artist, title FROM plays WHERE {where} ORDER BY start_ts, id",
            params,
        ).fetchall()
    finally:
        db.close()
    return [
        ClipRow(
            play_id=int(r[0]),
            radio_id=r[1],
            start=float(r[2]),
            end=float(r[3]) if r[3] is not None else float(r[2]) + UNKNOWN_LENGTH_S,
            station=r[4] or "",
            artist=r[5] or "",
            title=r[6] or "",
        )
        for r in rows
    ]


async def save_clips(
    archive: Callable[[], ArchiveClient],
    db_path: Path,
    filt: PlayFilter,
    export_path: Path,
    progress: Progress,
) -> SavedClips:
    """Save the clip of every play `filt` selects beside `export_path`; cancel the task to
    stop (clips saved so far stay, whole)."""
    rows = await asyncio.to_thread(read_clip_rows, db_path, filt)
    folder = clips_folder(export_path)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    files: dict[int, str] = {}
    missing = 0
    async with archive() as client:
        for done, row in enumerate(rows):
            progress(done, len(rows))
            name = await _clip_for(client, row, folder)
            if name is None:
                missing += 1
            else:
                files[row.play_id] = f"{folder.name}/{name}"
        progress(len(rows), len(rows))
    return SavedClips(folder, files, missing)


async def _clip_for(client: ArchiveClient, row: ClipRow, folder: Path) -> str | None:
    if row.radio_id is None:
        return None  # entered by hand: no station audio belongs to it
    stem = clip_stem(row)
    for extension in EXTENSIONS:
        if (folder / (stem + extension)).is_file():
            return stem + extension  # saved by an earlier export
    try:
        clip = await client.clip(row.radio_id, row.start, row.end, pad=PAD_S)
    except AudDAPIError as exc:
        if exc.code != NOT_KEPT_CODE:
            raise  # a refused token, a broken engine: not a play without audio
        return None  # the engine keeps no audio of this play (its answer says so)
    extension = Path(clip.file_name).suffix or ".mp3"
    await asyncio.to_thread(_write, folder / (stem + extension), clip.data)
    return stem + extension


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, AudDError):
        return f"The clips could not be saved: {exc}. No play log was written."
    if isinstance(exc, OSError):
        return f"The clips could not be saved: {exc.strerror or exc}. No play log was written."
    log.error("saving clips failed", exc_info=exc)
    return "The clips could not be saved (see the log). No play log was written."
