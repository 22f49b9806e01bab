"""Writing plays: the idempotent insert, user corrections that keep the original, manual plays.

Every change a person makes is also written to `play_edits`, so the history can always say
what the backend reported and who changed what. Deletion is soft: the row stays, hidden.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from radiowatch.history.errors import HistoryError, friendly_errors, transaction
from radiowatch.history.play import Play, epoch_to_datetime, from_epoch, to_epoch

# The stored columns, in the order `play_from_row` reads them.
PLAY_COLUMNS = (
    "id, radio_id, station_name, start_ts, end_ts, play_length, artist, title, album, label, "
    "release_date, isrc, upc, score, song_link, icy_title, backend, provenance, ai_generated, "
    "raw_json, origin, false_positive, deleted, original_artist, original_title, edited_at, "
    "event_key"
)

CORRECTABLE_FIELDS = ("artist", "title", "album", "label", "isrc")


def play_from_row(row: tuple[Any, ...]) -> Play:
    raw = row[19]
    try:
        raw_event = json.loads(raw) if raw else None
    except ValueError:
        raw_event = {"unparsed": raw}
    return Play(
        id=row[0],
        radio_id=row[1],
        station_name=row[2],
        start=epoch_to_datetime(row[3]),
        end=from_epoch(row[4]),
        play_length=row[5],
        artist=row[6],
        title=row[7],
        album=row[8],
        label=row[9],
        release_date=row[10],
        isrc=row[11],
        upc=row[12],
        score=row[13],
        song_link=row[14],
        icy_title=row[15],
        backend=row[16],
        provenance=row[17],
        ai_generated=bool(row[18]),
        raw_event=raw_event if isinstance(raw_event, dict) else {"value": raw_event},
        origin=row[20],
        false_positive=bool(row[21]),
        deleted=bool(row[22]),
        original_artist=row[23],
        original_title=row[24],
        edited_at=from_epoch(row[25]),
        key=row[26],
    )


@dataclass(frozen=True)
class Recorded:
    """What `PlayStore.add` did: the play's id and whether it was new (False for a replay)."""

    play_id: int
    created: bool


@dataclass(frozen=True)
class PlayEdit:
    play_id: int
    at: datetime
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None


def _insert_values(play: Play, now: int) -> tuple[Any, ...]:
    return (
        play.event_key(),
        play.radio_id,
        play.station_name,
        to_epoch(play.start),
        to_epoch(play.end) if play.end else None,
        play.play_length,
        play.artist,
        play.title,
        play.album,
        play.label,
        play.release_date,
        play.isrc,
        play.upc,
        play.score,
        play.song_link,
        play.icy_title,
        play.backend,
        play.provenance,
        int(play.ai_generated),
        play.raw_json(),
        play.origin,
        int(play.false_positive),
        now,
    )


_INSERT = (
    "INSERT INTO plays (event_key, radio_id, station_name, start_ts, end_ts, play_length, "
    "artist, title, album, label, release_date, isrc, upc, score, song_link, icy_title, backend, "
    "provenance, ai_generated, raw_json, origin, false_positive, recorded_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(event_key) DO NOTHING"
)


def _inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT on `cursor` just created (sqlite3 sets it on success)."""
    row_id = cursor.lastrowid
    if row_id is None:
        raise TypeError("the INSERT did not report a row id")
    return int(row_id)


class PlayStore:
    """Reads and writes single plays. Give it the `open_database` result."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._conn: sqlite3.Connection = db.conn

    # -- recording ------------------------------------------------------------------------------

    def add(self, play: Play) -> Recorded:
        """Record a play once: the same event given again returns the existing id, created=False."""
        with friendly_errors("record the play"):
            cursor = self._conn.execute(_INSERT, _insert_values(play, int(time.time())))
            if cursor.rowcount == 1:
                return Recorded(_inserted_id(cursor), True)
            row = self._conn.execute(
                "SELECT id FROM plays WHERE event_key = ?", (play.event_key(),)
            ).fetchone()
        return Recorded(int(row[0]), False)

    def add_many(self, plays: Iterable[Play]) -> int:
        """Record a batch in one transaction; returns how many were new."""
        now = int(time.time())
        created = 0
        with transaction(self._conn, "record the plays") as conn:
            for play in plays:
                created += conn.execute(_INSERT, _insert_values(play, now)).rowcount
        return created

    def add_manual(self, play: Play) -> Play:
        """A play the person entered themselves (the monitoring missed it, or it was offline)."""
        manual = play.model_copy(
            update={"origin": "manual", "key": f"manual:{uuid.uuid4().hex}", "backend": "manual"}
        )
        with transaction(self._conn, "add the play") as conn:
            cursor = conn.execute(_INSERT, _insert_values(manual, int(time.time())))
            play_id = _inserted_id(cursor)
            self._log(play_id, "add", None, None, f"{manual.artist} - {manual.title}")
        return self.require(play_id)

    # -- reading --------------------------------------------------------------------------------

    def get(self, play_id: int) -> Play | None:
        with friendly_errors("read the play"):
            row = self._conn.execute(
                f"SELECT {PLAY_COLUMNS} FROM plays WHERE id = ?", (play_id,)
            ).fetchone()
        return play_from_row(row) if row else None

    def require(self, play_id: int) -> Play:
        play = self.get(play_id)
        if play is None:
            raise HistoryError(
                f"Play {play_id} does not exist (was it removed by another window?)."
            )
        return play

    def edits(self, play_id: int) -> list[PlayEdit]:
        with friendly_errors("read the play's edits"):
            rows = self._conn.execute(
                "SELECT play_id, at, action, field, old_value, new_value FROM play_edits "
                "WHERE play_id = ? ORDER BY id",
                (play_id,),
            ).fetchall()
        return [PlayEdit(r[0], epoch_to_datetime(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # -- user edits -----------------------------------------------------------------------------

    def correct(self, play_id: int, **changes: str | None) -> Play:
        """Correct artist/title/album/label/isrc. The first correction of artist or title keeps
        the recognised value in original_artist/original_title; every change is logged."""
        return self.edit(play_id, changes)

    def mark_false_positive(self, play_id: int, value: bool = True) -> Play:
        return self.edit(play_id, {}, false_positive=value)

    def edit(
        self, play_id: int, corrections: dict[str, str | None], false_positive: bool | None = None
    ) -> Play:
        """Corrections (as `correct`) and the false-positive mark, saved together or not at all."""
        unknown = set(corrections) - set(CORRECTABLE_FIELDS)
        if unknown:
            raise HistoryError(
                f"Cannot correct {', '.join(sorted(unknown))}: only "
                f"{', '.join(CORRECTABLE_FIELDS)} can be corrected."
            )
        current = self.require(play_id)
        now = int(time.time())
        action = "save the correction" if corrections else "mark the false positive"
        with transaction(self._conn, action) as conn:
            for field, value in corrections.items():
                old = getattr(current, field)
                new = (value or "").strip() if field in ("artist", "title") else (value or None)
                if old == new:
                    continue
                if field in ("artist", "title"):
                    conn.execute(
                        f"UPDATE plays SET original_{field} = COALESCE(original_{field}, {field}) "
                        "WHERE id = ?",
                        (play_id,),
                    )
                conn.execute(
                    f"UPDATE plays SET {field} = ?, edited_at = ? WHERE id = ?",
                    (new, now, play_id),
                )
                self._log(play_id, "correct", field, old, new, now)
            if false_positive is not None:
                self._set_flag(current, "false_positive", false_positive, "false_positive", now)
        return self.require(play_id)

    def delete(self, play_id: int) -> None:
        """Soft delete: hidden from views and exports, kept in the file, undoable."""
        self._flag(play_id, "deleted", True, "delete")

    def restore(self, play_id: int) -> None:
        self._flag(play_id, "deleted", False, "restore")

    def _flag(self, play_id: int, column: str, value: bool, action: str) -> None:
        current = self.require(play_id)
        with transaction(self._conn, f"{action.replace('_', ' ')} the play"):
            self._set_flag(current, column, value, action, int(time.time()))

    def _set_flag(self, current: Play, column: str, value: bool, action: str, now: int) -> None:
        """Inside the caller's transaction."""
        old = getattr(current, column)
        if old == value:
            return
        assert current.id is not None, "a play read back from the store always has an id"
        self._conn.execute(
            f"UPDATE plays SET {column} = ?, edited_at = ? WHERE id = ?",
            (int(value), now, current.id),
        )
        self._log(current.id, action, column, str(int(old)), str(int(value)), now)

    def _log(
        self,
        play_id: int,
        action: str,
        field: str | None,
        old: Any,
        new: Any,
        at: int | None = None,
    ) -> None:
        self._conn.execute(
            "INSERT INTO play_edits (play_id, at, action, field, old_value, new_value) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                play_id,
                at or int(time.time()),
                action,
                field,
                None if old is None else str(old),
                None if new is None else str(new),
            ),
        )
