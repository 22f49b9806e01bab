"""`archive.sqlite`: the archive's index of what was kept, beside the audio files.

Rows, not files, say what exists: an audio segment is readable once its row is in; a crash
leaves at worst a file without a row (swept at the next start) or a row still marked open
(`end_s` NULL), which the next start closes by measuring its file (see store.py). Tables:

- `segments`: one file of a station's stream bytes as received, its stream-time range
  (`start_s`, `end_s`; `end_s` NULL while it is written), size and format. Segments of one
  connection share `connection` and follow each other without gaps.
- `peak_blocks`: the fingerprint peaks of a stretch of what was heard (a few seconds to a
  minute), `fingerprints.encode_block` bytes, with the peak picker's version.
- `spans`: when the engine was trying to hear a station (from a connection attempt to the
  last sign of it), so coverage can tell "down" from "not monitored".
- `plays` and `event_marks`: the play ledger (ledger.py): plays already reported for each
  station, live or found later, so a play found in the archive is published once and never
  beside the live play.

One connection, shared by the reader threads, the API's workers and the event loop under a
lock; WAL and `synchronous=NORMAL` (a power cut may lose the last commit, a crash does not).
The schema is numbered (`PRAGMA user_version`); shipped steps are never edited, only appended.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_NAME = "archive.sqlite"

_SCHEMA = [
    # version 1
    """
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        radio_id INTEGER NOT NULL,
        path TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        connection TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL,
        bytes INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX segments_by_station ON segments (radio_id, start_s);
    CREATE INDEX segments_by_start ON segments (start_s);
    CREATE TABLE peak_blocks (
        radio_id INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        version INTEGER NOT NULL,
        n_peaks INTEGER NOT NULL,
        peaks BLOB NOT NULL,
        PRIMARY KEY (radio_id, start_s)
    );
    CREATE INDEX peak_blocks_by_start ON peak_blocks (start_s);
    CREATE TABLE spans (
        id INTEGER PRIMARY KEY,
        radio_id INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL
    );
    CREATE INDEX spans_by_station ON spans (radio_id, end_s);
    CREATE TABLE plays (
        id INTEGER PRIMARY KEY,
        radio_id INTEGER NOT NULL,
        identity TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        source TEXT NOT NULL,
        track_id TEXT
    );
    CREATE INDEX plays_by_station ON plays (radio_id, identity, start_s);
    CREATE TABLE event_marks (category TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # version 2: the ledger reads the event log again, so that plays announced before they
    # ended get the length their final event measured (version 1 kept the assumed 240 s)
    """
    DELETE FROM event_marks;
    """,
]


class NewerArchiveError(RuntimeError):
    """The archive index was written by a newer radiowatch engine."""


@dataclass(frozen=True)
class SegmentRow:
    id: int
    radio_id: int
    path: str
    format: str
    connection: str
    start_s: float
    end_s: float | None
    bytes: int

    @property
    def is_open(self) -> bool:
        return self.end_s is None


@dataclass(frozen=True)
class PeakBlockRow:
    radio_id: int
    start_s: float
    end_s: float
    version: int
    n_peaks: int
    peaks: bytes


_SEGMENT_COLUMNS = "id, radio_id, path, format, connection, start_s, end_s, bytes"


class ArchiveDatabase:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_SCHEMA):
            raise NewerArchiveError(
                f"{self.path} was written by a newer radiowatch engine (schema {version}); "
                "update radiowatch, or move the archive folder away to start a new one"
            )
        for number, script in enumerate(_SCHEMA[version:], start=version + 1):
            with self.transaction():
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- segments ----------------------------------------------------------------------------
    def add_segment(
        self, radio_id: int, path: str, fmt: str, connection: str, start_s: float
    ) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO segments (radio_id, path, format, connection, start_s) "
                "VALUES (?, ?, ?, ?, ?)",
                (radio_id, path, fmt, connection, start_s),
            )
            return int(cur.lastrowid or 0)

    def set_segment_start(self, segment_id: int, start_s: float, size: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE segments SET start_s = ?, bytes = ? WHERE id = ?",
                (start_s, size, segment_id),
            )

    def close_segment(self, segment_id: int, start_s: float, end_s: float, size: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE segments SET start_s = ?, end_s = ?, bytes = ? WHERE id = ?",
                (start_s, end_s, size, segment_id),
            )

    def delete_segments(self, ids: list[int]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM segments WHERE id = ?", [(i,) for i in ids])

    def segments(
        self, radio_id: int | None = None, start_s: float | None = None, end_s: float | None = None
    ) -> list[SegmentRow]:
        """Segments (open ones too) overlapping [start_s, end_s), oldest first."""
        where: list[str] = []
        args: list[Any] = []
        if radio_id is not None:
            where.append("radio_id = ?")
            args.append(radio_id)
        if end_s is not None:
            where.append("start_s < ?")
            args.append(end_s)
        if start_s is not None:
            where.append("(end_s IS NULL OR end_s > ?)")
            args.append(start_s)
        sql = f"SELECT {_SEGMENT_COLUMNS} FROM segments"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.query(sql + " ORDER BY start_s, id", tuple(args))
        return [SegmentRow(*r) for r in rows]

    def open_segments(self) -> list[SegmentRow]:
        rows = self.query(f"SELECT {_SEGMENT_COLUMNS} FROM segments WHERE end_s IS NULL")
        return [SegmentRow(*r) for r in rows]

    def segment_paths(self) -> set[str]:
        return {r[0] for r in self.query("SELECT path FROM segments")}

    # -- peaks -------------------------------------------------------------------------------
    def add_peak_block(
        self, radio_id: int, start_s: float, end_s: float, version: int, n_peaks: int, blob: bytes
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO peak_blocks "
                "(radio_id, start_s, end_s, version, n_peaks, peaks) VALUES (?, ?, ?, ?, ?, ?)",
                (radio_id, start_s, end_s, version, n_peaks, blob),
            )

    def peak_blocks(self, radio_id: int, start_s: float, end_s: float) -> list[PeakBlockRow]:
        rows = self.query(
            "SELECT radio_id, start_s, end_s, version, n_peaks, peaks FROM peak_blocks "
            "WHERE radio_id = ? AND start_s < ? AND end_s > ? ORDER BY start_s",
            (radio_id, end_s, start_s),
        )
        return [PeakBlockRow(*r) for r in rows]

    def peak_ranges(self, radio_id: int, start_s: float, end_s: float) -> list[tuple[float, float]]:
        return [
            (float(a), float(b))
            for a, b in self.query(
                "SELECT start_s, end_s FROM peak_blocks WHERE radio_id = ? AND start_s < ? "
                "AND end_s > ? ORDER BY start_s",
                (radio_id, end_s, start_s),
            )
        ]

    def last_peak_end(self, radio_id: int) -> float | None:
        row = self.query("SELECT MAX(end_s) FROM peak_blocks WHERE radio_id = ?", (radio_id,))
        return None if not row or row[0][0] is None else float(row[0][0])

    # -- stations ----------------------------------------------------------------------------
    def stations(self) -> list[int]:
        """Every station with anything archived or any monitoring span."""
        rows = self.query(
            "SELECT radio_id FROM segments UNION SELECT radio_id FROM peak_blocks "
            "UNION SELECT radio_id FROM spans ORDER BY 1"
        )
        return [int(r[0]) for r in rows]

    # -- monitoring spans --------------------------------------------------------------------
    def touch_span(self, radio_id: int, at: float, *, join_within_s: float) -> None:
        """Extend the station's latest span to `at`, or start a new one when the last sign of
        monitoring is older than `join_within_s` (the engine was off, or the station absent)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, end_s FROM spans WHERE radio_id = ? ORDER BY end_s DESC LIMIT 1",
                (radio_id,),
            ).fetchone()
            if row is not None and at - float(row[1]) <= join_within_s:
                if at > row[1]:
                    db.execute("UPDATE spans SET end_s = ? WHERE id = ?", (at, row[0]))
            else:
                db.execute(
                    "INSERT INTO spans (radio_id, start_s, end_s) VALUES (?, ?, ?)",
                    (radio_id, at, at),
                )

    def spans(self, radio_id: int, start_s: float, end_s: float) -> list[tuple[float, float]]:
        return [
            (float(a), float(b))
            for a, b in self.query(
                "SELECT start_s, end_s FROM spans WHERE radio_id = ? AND start_s < ? AND "
                "end_s > ? ORDER BY start_s",
                (radio_id, end_s, start_s),
            )
        ]

    # -- meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
