"""Coverage: the stretches of time when each station was actually being heard.

A play log that does not say where it is blind cannot be trusted for a royalty report: "no
play of X on Monday" means something only if Monday was monitored. So the monitoring writes,
per station, spans of time it can vouch for (monitoring/coverage_recorder.py decides when), and
everything outside a span is a gap: the backend unreachable, the stream down, monitoring
paused, the app not running.

The rule that makes a span trustworthy: `end_ms` is the last moment monitoring *confirmed*.
While a station is heard its span stays `open` and a heartbeat moves `end_ms` forward every few
seconds; a clean stop closes it at that moment. After a crash nothing moves it any more, so it
ends at the last heartbeat, and the next start only marks it closed (`close_abandoned`). No
span ever claims time after what was confirmed. A reader takes `end_ms` as it is: the span of a
station being heard right now ends at most one heartbeat ago.

This module is the table's reads and writes (no Qt, no monitoring); the arithmetic over a
requested period (covered fraction, gap list) is in history/coverage_report.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from radiowatch.history.errors import friendly_errors

HEARTBEAT_S = 5.0
"""How often monitoring extends the open spans: what a crash can cost in claimed coverage
(at most this much of real listening goes unclaimed), against one small write per period."""


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds; naive datetimes count as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True)
class Span:
    """A stretch of time a station was heard, in epoch ms."""

    radio_id: int
    start_ms: int
    end_ms: int
    open: bool = False
    id: int = 0
    backend: str = ""

    @property
    def start(self) -> datetime:
        return from_ms(self.start_ms)

    @property
    def end(self) -> datetime:
        return from_ms(self.end_ms)


_SPAN_COLUMNS = "id, radio_id, backend, start_ms, end_ms, open"


def _span(row: tuple) -> Span:
    return Span(
        id=int(row[0]),
        radio_id=int(row[1]),
        backend=str(row[2]),
        start_ms=int(row[3]),
        end_ms=int(row[4]),
        open=bool(row[5]),
    )


class CoverageStore:
    """Reads and writes of the `coverage` table on one connection.

    Writes are single statements, so each is its own transaction unless the caller already
    opened one (the monitoring extends a span inside the transaction that records a play).
    """

    def __init__(self, db: sqlite_utils.Database | sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection = db if isinstance(db, sqlite3.Connection) else db.conn

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    # -- writes (the monitoring) --------------------------------------------------------------

    def open_span(self, radio_id: int, start_ms: int, backend: str = "") -> int:
        """Start a span at `start_ms`; returns its id."""
        with friendly_errors("record that the station is heard"):
            cursor = self._conn.execute(
                "INSERT INTO coverage (radio_id, backend, start_ms, end_ms, open) "
                "VALUES (?, ?, ?, ?, 1)",
                (radio_id, backend, start_ms, start_ms),
            )
        return int(cursor.lastrowid or 0)

    def extend(self, span_ids: Iterable[int], end_ms: int) -> int:
        """Move the end of these open spans forward to `end_ms` (never back); returns how
        many moved. One statement for every station: one small write per heartbeat."""
        ids = [int(i) for i in span_ids]
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with friendly_errors("record that the stations are heard"):
            cursor = self._conn.execute(
                f"UPDATE coverage SET end_ms = ? WHERE id IN ({marks}) AND open = 1 AND end_ms < ?",
                (end_ms, *ids, end_ms),
            )
        return cursor.rowcount

    def close(self, span_id: int, end_ms: int | None = None) -> None:
        """End a span: at `end_ms` if given (clamped to the span's own start), otherwise
        where its last heartbeat left it."""
        with friendly_errors("record that the station is no longer heard"):
            if end_ms is None:
                self._conn.execute("UPDATE coverage SET open = 0 WHERE id = ?", (span_id,))
            else:
                self._conn.execute(
                    "UPDATE coverage SET open = 0, end_ms = MAX(start_ms, ?) WHERE id = ?",
                    (end_ms, span_id),
                )
            # A span that ends where it began vouches for nothing: not kept.
            self._conn.execute(
                "DELETE FROM coverage WHERE id = ? AND end_ms <= start_ms", (span_id,)
            )

    def close_abandoned(self, backend: str, keep: Sequence[int] = ()) -> int:
        """Mark closed the spans a previous run of this backend's monitoring left open (it
        crashed or was killed): they end at their last heartbeat. Returns how many."""
        marks = ",".join("?" * len(keep))
        extra = f" AND id NOT IN ({marks})" if keep else ""
        with friendly_errors("close the coverage left by the last run"):
            cursor = self._conn.execute(
                f"UPDATE coverage SET open = 0 WHERE open = 1 AND backend = ?{extra}",
                (backend, *keep),
            )
        return cursor.rowcount

    # -- reads ---------------------------------------------------------------------------------

    def spans(self, radio_id: int, since_ms: int, until_ms: int) -> list[Span]:
        """The spans of one station that overlap [since_ms, until_ms), oldest first, unclipped."""
        with friendly_errors("read when the station was heard"):
            rows = self._conn.execute(
                f"SELECT {_SPAN_COLUMNS} FROM coverage "
                "WHERE radio_id = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms, id",
                (radio_id, since_ms, until_ms),
            ).fetchall()
        return [_span(r) for r in rows]

    def bounds(self, radio_id: int, since_ms: int, until_ms: int) -> list[tuple[int, int]]:
        """(start_ms, end_ms) of the station's non-empty spans overlapping the period, clipped
        to it, by start: the plain tuples a report over a year of spans needs (building a
        Span per row costs more than the query)."""
        with friendly_errors("read when the station was heard"):
            return self._conn.execute(
                "SELECT MAX(start_ms, ?1), MIN(end_ms, ?2) FROM coverage "
                "WHERE radio_id = ?3 AND end_ms > ?1 AND start_ms < ?2 AND end_ms > start_ms "
                "ORDER BY start_ms",
                (since_ms, until_ms, radio_id),
            ).fetchall()

    def latest(self, radio_id: int, limit: int = 2) -> list[Span]:
        """The station's most recent spans, newest (by end) first."""
        with friendly_errors("read when the station was last heard"):
            rows = self._conn.execute(
                f"SELECT {_SPAN_COLUMNS} FROM coverage WHERE radio_id = ? "
                "ORDER BY end_ms DESC, id DESC LIMIT ?",
                (radio_id, limit),
            ).fetchall()
        return [_span(r) for r in rows]

    def earliest_ms(self, radio_ids: Sequence[int]) -> int | None:
        """When the first of these stations was first heard (None: never)."""
        with friendly_errors("read when monitoring began"):
            if radio_ids:
                marks = ",".join("?" * len(radio_ids))
                row = self._conn.execute(
                    f"SELECT MIN(start_ms) FROM coverage WHERE radio_id IN ({marks})",
                    tuple(radio_ids),
                ).fetchone()
            else:
                row = self._conn.execute("SELECT MIN(start_ms) FROM coverage").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def radio_ids(self) -> list[int]:
        with friendly_errors("read the monitored stations"):
            rows = self._conn.execute(
                "SELECT DISTINCT radio_id FROM coverage ORDER BY radio_id"
            ).fetchall()
        return [int(r[0]) for r in rows]
