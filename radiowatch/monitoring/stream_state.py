"""Per-stream memory that survives a restart: the long-poll resume point and registration.

The resume point (`since_time`, epoch ms on the backend's clock) is written only after the
plays of the event it covers are committed, in the same transaction (see
`MonitoringService._record`), so a crash at any moment either replays an event (harmless: the
play insert is idempotent) or has already stored it. Nothing is lost, nothing doubles.
"""

from __future__ import annotations

import sqlite3
import time

import sqlite_utils

from radiowatch.history.errors import friendly_errors


class StreamStateStore:
    """`backend` names the account and clock the state belongs to ('audd', 'local', ...)."""

    def __init__(self, db: sqlite_utils.Database, backend: str) -> None:
        self._conn: sqlite3.Connection = db.conn
        self.backend = backend

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def since_time(self, radio_id: int) -> int | None:
        with friendly_errors("read where monitoring stopped"):
            row = self._conn.execute(
                "SELECT since_time FROM stream_state WHERE backend = ? AND radio_id = ?",
                (self.backend, radio_id),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def save_since_time(self, radio_id: int, since_time: int) -> None:
        """Move the resume point forward (never back: a late, older reply must not rewind it)."""
        with friendly_errors("remember where monitoring is"):
            self._conn.execute(
                "INSERT INTO stream_state (backend, radio_id, since_time, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(backend, radio_id) DO UPDATE SET "
                "since_time = MAX(COALESCE(since_time, 0), excluded.since_time), "
                "updated_at = excluded.updated_at",
                (self.backend, radio_id, since_time, int(time.time())),
            )

    def registered(self) -> dict[int, str]:
        """Streams radiowatch put on the backend account: radio_id -> URL it gave."""
        with friendly_errors("read the registered streams"):
            rows = self._conn.execute(
                "SELECT radio_id, registered_url FROM stream_state "
                "WHERE backend = ? AND registered_url IS NOT NULL",
                (self.backend,),
            ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def set_registered(self, radio_id: int, url: str | None) -> None:
        with friendly_errors("remember the stream registration"):
            self._conn.execute(
                "INSERT INTO stream_state (backend, radio_id, registered_url, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(backend, radio_id) DO UPDATE SET "
                "registered_url = excluded.registered_url, updated_at = excluded.updated_at",
                (self.backend, radio_id, url, int(time.time())),
            )
