"""A scanned play log as history plays: exported like the history, imported into it once.

A recording's plays get wall-clock times from the moment the recording started (chosen by the
person: the file cannot know). Imported plays are ordinary recognised plays of the chosen
station, so their idempotency key (history/play.py: backend, station, start, song) is the same
each time the same log is imported with the same start: a second import adds nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.play_log_export import ExportFormat, ExportResult, export_plays
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter
from radiowatch.recordings.scan_client import ScannedPlay

BACKEND = "recording"  # what the history's "backend" column says of imported plays


@dataclass(frozen=True)
class ImportResult:
    added: int
    already: int  # in the history from an earlier import


def history_plays(
    scanned: Iterable[ScannedPlay],
    *,
    recording_start: datetime,
    recording_name: str,
    radio_id: int | None = None,
    station_name: str = "",
) -> list[Play]:
    """The plays of a log, at `recording_start` plus their position in the recording (whole
    seconds: the history's unit, and what keeps the keys of a second import the same)."""
    if recording_start.tzinfo is None:
        recording_start = recording_start.replace(tzinfo=UTC)
    base = recording_start.replace(microsecond=0)
    plays = []
    for item in scanned:
        start = base + timedelta(seconds=round(item.start_s))
        end = base + timedelta(seconds=round(item.end_s))
        song = item.song
        play = Play(
            radio_id=radio_id,
            station_name=station_name,
            start=start,
            end=end,
            play_length=(end - start).total_seconds(),
            artist=item.artist,
            title=item.title,
            album=song.get("album"),
            label=song.get("label"),
            release_date=song.get("release_date"),
            isrc=song.get("isrc"),
            upc=song.get("upc"),
            score=item.score,
            backend=BACKEND,
            raw_event={
                "recording": recording_name,
                "start_s": item.start_s,
                "end_s": item.end_s,
                "speed": item.speed,
                "track_id": item.track_id,
                "song": song,
            },
        )
        provenance = song.get("provenance")
        plays.append(play.with_provenance(provenance) if provenance else play)
    return plays


def import_plays(database: Path, plays: list[Play]) -> ImportResult:
    """Add `plays` to the history at `database` in one transaction (blocking: run it in a
    worker thread, which gets its own connection)."""
    db = open_database(database)
    try:
        added = PlayStore(db).add_many(plays)
    finally:
        db.conn.close()
    return ImportResult(added, len(plays) - added)


def export_log(
    plays: list[Play], target: Path, fmt: ExportFormat | str | None = None
) -> ExportResult:
    """Write `plays` as the History tab's export would (same columns and formats), through a
    temporary history of their own (blocking: run it in a worker thread)."""
    with tempfile.TemporaryDirectory(prefix="radiowatch-play-log-") as folder:
        db = open_database(Path(folder) / "log.db")
        try:
            PlayStore(db).add_many(plays)
            return export_plays(db.conn, PlayFilter(descending=False), target, fmt)
        finally:
            db.conn.close()
