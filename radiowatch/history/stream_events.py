"""The lifecycle log of each stream: connecting, live, down, silent, recovered.

Kept beside the plays so a gap in the history can be explained ("the stream was down from 02:10
to 02:40") and so exports for royalty reports can show monitoring coverage. Backend
notifications carry no unique id, so callers may pass `key` to make a replay harmless.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from radiowatch.history.errors import friendly_errors
from radiowatch.history.play import epoch_to_datetime, to_epoch


@dataclass(frozen=True)
class StreamEvent:
    radio_id: int
    at: datetime
    kind: str
    code: int | None = None
    message: str | None = None
    raw: dict[str, Any] | None = None


class StreamEventLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._conn: sqlite3.Connection = db.conn

    def record(self, event: StreamEvent, key: str | None = None) -> bool:
        """Append an event; returns False when `key` was already recorded."""
        with friendly_errors("record the stream event"):
            cursor = self._conn.execute(
                "INSERT INTO stream_events (event_key, radio_id, at_ts, kind, code, message, "
                "raw_json) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_key) DO NOTHING",
                (
                    key,
                    event.radio_id,
                    to_epoch(event.at),
                    event.kind,
                    event.code,
                    event.message,
                    None if event.raw is None else json.dumps(event.raw, ensure_ascii=False),
                ),
            )
        return cursor.rowcount == 1

    def recent(self, radio_id: int, limit: int = 50) -> list[StreamEvent]:
        """Newest first."""
        with friendly_errors("read the stream events"):
            rows = self._conn.execute(
                "SELECT radio_id, at_ts, kind, code, message, raw_json FROM stream_events "
                "WHERE radio_id = ? ORDER BY at_ts DESC, id DESC LIMIT ?",
                (radio_id, limit),
            ).fetchall()
        return [
            StreamEvent(
                r[0], epoch_to_datetime(r[1]), r[2], r[3], r[4], json.loads(r[5]) if r[5] else None
            )
            for r in rows
        ]
