"""The engine's own state in SQLite: streams, the callback URL, the long-poll event log, plays in
progress and the custom-catalog `audio_id`s.

It lives in `<data dir>/engine.sqlite3`, beside the catalog (which keeps its own database), and
survives restarts: that is what lets a client resume a long poll with `since_time` after the
engine was killed, and lets a play that was in progress at the kill be finished, not lost or
doubled. One connection, used from the event-loop thread only; every write is one short
transaction (WAL, synchronous=NORMAL: a power cut may lose the last write, a crash does not).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_NAME = "engine.sqlite3"

KEEP = object()
"""Marker for `append_event(open_play=...)`: leave the stream's play in progress as it is."""

_SCHEMA = [
    # version 1
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE streams (
        radio_id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        callbacks_before INTEGER NOT NULL DEFAULT 0,
        longpoll_category TEXT NOT NULL,
        added_at REAL NOT NULL
    );
    CREATE TABLE events (
        ts_ms INTEGER PRIMARY KEY,
        category TEXT NOT NULL,
        radio_id INTEGER,
        body TEXT NOT NULL
    );
    CREATE INDEX events_by_category ON events (category, ts_ms);
    CREATE TABLE open_plays (radio_id INTEGER PRIMARY KEY, state TEXT NOT NULL);
    CREATE TABLE custom_audio (audio_id INTEGER PRIMARY KEY, track_id TEXT NOT NULL);
    """,
]


# When a stream's plays are published (the `callbacks` parameter of addStream), stored in the
# `callbacks_before` column: AudD's default, at the end of a play with its length (0); AudD's
# `callbacks=before`, once at the start without a length (1); and radiowatch's `callbacks=both`,
# at the start as soon as the play is sure (for a now-playing display) and again at the end
# with its length (for the history) (2).
CALLBACK_MODES = ("after", "before", "both")


@dataclass(frozen=True)
class StoredStream:
    radio_id: int
    url: str
    callbacks: str  # one of CALLBACK_MODES
    longpoll_category: str

    @property
    def announces_start(self) -> bool:
        return self.callbacks in ("before", "both")

    @property
    def reports_end(self) -> bool:
        return self.callbacks in ("after", "both")


@dataclass(frozen=True)
class StoredEvent:
    ts_ms: int
    category: str
    radio_id: int | None
    data: dict[str, Any]


class EngineStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    @classmethod
    def open(cls, data_dir: Path) -> EngineStore:
        return cls(Path(data_dir) / DB_NAME)

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(_SCHEMA[version:], start=version + 1):
            with self._tx():
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")

    def _tx(self):
        return _Transaction(self._db)

    # settings -----------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    # streams ------------------------------------------------------------------------------
    def streams(self) -> list[StoredStream]:
        rows = self._db.execute(
            "SELECT radio_id, url, callbacks_before, longpoll_category FROM streams "
            "ORDER BY radio_id"
        ).fetchall()
        return [StoredStream(r[0], r[1], _mode(r[2]), r[3]) for r in rows]

    def stream(self, radio_id: int) -> StoredStream | None:
        return next((s for s in self.streams() if s.radio_id == radio_id), None)

    def add_stream(self, stream: StoredStream) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO streams(radio_id, url, callbacks_before, longpoll_category, added_at)"
                " VALUES(?, ?, ?, ?, ?)",
                (
                    stream.radio_id,
                    stream.url,
                    CALLBACK_MODES.index(stream.callbacks),
                    stream.longpoll_category,
                    time.time(),
                ),
            )

    def set_stream_callbacks(self, radio_id: int, callbacks: str) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE streams SET callbacks_before=? WHERE radio_id=?",
                (CALLBACK_MODES.index(callbacks), radio_id),
            )

    def set_stream_url(self, radio_id: int, url: str) -> None:
        with self._tx():
            self._db.execute("UPDATE streams SET url=? WHERE radio_id=?", (url, radio_id))
            self._db.execute("DELETE FROM open_plays WHERE radio_id=?", (radio_id,))

    def delete_stream(self, radio_id: int) -> None:
        with self._tx():
            self._db.execute("DELETE FROM streams WHERE radio_id=?", (radio_id,))
            self._db.execute("DELETE FROM open_plays WHERE radio_id=?", (radio_id,))

    # events -------------------------------------------------------------------------------
    def append_event(
        self,
        ts_ms: int,
        category: str,
        radio_id: int | None,
        data: dict[str, Any],
        *,
        open_play: Any = KEEP,
    ) -> None:
        """Store an event; with `open_play` (a state dict, or None to clear) also record the
        stream's play in progress in the same transaction, so a crash between the two can
        neither lose a play nor publish it twice."""
        with self._tx():
            self._db.execute(
                "INSERT INTO events(ts_ms, category, radio_id, body) VALUES(?, ?, ?, ?)",
                (ts_ms, category, radio_id, json.dumps(data, ensure_ascii=False)),
            )
            if open_play is not KEEP and radio_id is not None:
                self._write_open_play(radio_id, open_play)

    def first_event_after(self, category: str, since_ms: int) -> StoredEvent | None:
        row = self._db.execute(
            "SELECT ts_ms, category, radio_id, body FROM events WHERE category=? AND ts_ms>? "
            "ORDER BY ts_ms LIMIT 1",
            (category, since_ms),
        ).fetchone()
        return StoredEvent(row[0], row[1], row[2], json.loads(row[3])) if row else None

    def events(self, category: str | None = None) -> list[StoredEvent]:
        sql = "SELECT ts_ms, category, radio_id, body FROM events"
        args: tuple = ()
        if category is not None:
            sql += " WHERE category=?"
            args = (category,)
        rows = self._db.execute(sql + " ORDER BY ts_ms", args).fetchall()
        return [StoredEvent(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def last_event_ts(self) -> int:
        row = self._db.execute("SELECT MAX(ts_ms) FROM events").fetchone()
        return int(row[0] or 0)

    def prune_events(self, *, keep_per_category: int, older_than_ms: int) -> None:
        """Drop events beyond the newest `keep_per_category` that are also older than a cut-off."""
        with self._tx():
            self._db.execute(
                "DELETE FROM events WHERE ts_ms < ? AND ts_ms NOT IN ("
                " SELECT ts_ms FROM (SELECT ts_ms, ROW_NUMBER() OVER ("
                "  PARTITION BY category ORDER BY ts_ms DESC) AS rank FROM events) "
                " WHERE rank <= ?)",
                (older_than_ms, keep_per_category),
            )

    # plays in progress --------------------------------------------------------------------
    def open_play(self, radio_id: int) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT state FROM open_plays WHERE radio_id=?", (radio_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_open_play(self, radio_id: int, state: dict[str, Any] | None) -> None:
        with self._tx():
            self._write_open_play(radio_id, state)

    def _write_open_play(self, radio_id: int, state: dict[str, Any] | None) -> None:
        if state is None:
            self._db.execute("DELETE FROM open_plays WHERE radio_id=?", (radio_id,))
        else:
            self._db.execute(
                "INSERT INTO open_plays(radio_id, state) VALUES(?, ?) ON CONFLICT(radio_id) "
                "DO UPDATE SET state=excluded.state",
                (radio_id, json.dumps(state)),
            )

    # custom catalog ---------------------------------------------------------------------
    def custom_track(self, audio_id: int) -> str | None:
        row = self._db.execute(
            "SELECT track_id FROM custom_audio WHERE audio_id=?", (audio_id,)
        ).fetchone()
        return row[0] if row else None

    def audio_id_for(self, track_id: str) -> int | None:
        row = self._db.execute(
            "SELECT audio_id FROM custom_audio WHERE track_id=?", (track_id,)
        ).fetchone()
        return int(row[0]) if row else None

    def set_custom_track(self, audio_id: int, track_id: str) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO custom_audio(audio_id, track_id) VALUES(?, ?) "
                "ON CONFLICT(audio_id) DO UPDATE SET track_id=excluded.track_id",
                (audio_id, track_id),
            )


def _mode(stored: int) -> str:
    return CALLBACK_MODES[stored] if 0 <= stored < len(CALLBACK_MODES) else "after"


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
