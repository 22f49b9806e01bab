"""The monitored stations, kept in the app database's `stations` table.

A station has a name, the source AudD is given, what the user entered (a playlist, say) and a
radio_id: the integer AudD uses to tell the user's streams apart, unique per account, so unique
here too. Every check that can fail raises StationError naming the field, before anything is
written. Listeners (plain callables) hear about every change; the UI and the monitoring wrap
them as they need. Changes another process makes (`radiowatch stations add` while the app runs)
are announced too, once `notice_outside_changes` is called (the app does, every few seconds).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils
from pydantic import BaseModel

from radiowatch.signals import Signal
from radiowatch.stations.errors import StationError
from radiowatch.stations.sources import validate_stream_source

MAX_NAME = 200
MAX_RADIO_ID = 2**31 - 1  # AudD's radio_id is a 32-bit integer on its side


class Station(BaseModel):
    id: int
    radio_id: int
    name: str
    source: str
    entered: str
    enabled: bool = True
    created_at: str
    updated_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def validate_name(name: str) -> str:
    """The name with whitespace tidied; StationError(field='name') if it is empty or too long."""
    name = " ".join((name or "").split())
    if not name:
        raise StationError("name", "Give the station a name, e.g. 'Radio Paradise'.")
    if len(name) > MAX_NAME:
        raise StationError(
            "name", f"The name is too long ({len(name)} characters; at most {MAX_NAME})."
        )
    return name


def validate_radio_id(radio_id: object) -> int:
    if isinstance(radio_id, bool) or not isinstance(radio_id, int):
        try:
            radio_id = int(str(radio_id).strip())
        except ValueError:
            raise StationError(
                "radio_id", f"radio_id must be a whole number, not {radio_id!r}."
            ) from None
    if not 1 <= radio_id <= MAX_RADIO_ID:
        raise StationError("radio_id", f"radio_id must be between 1 and {MAX_RADIO_ID}.")
    return radio_id


class StationStore:
    """Add, edit, remove and list stations."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self.changed: Signal[[]] = Signal("stations changed")
        self._data_version: int | None = None
        self._seen: list[Station] | None = None

    # -- reading -------------------------------------------------------------------------------
    def list(self) -> list[Station]:
        rows = self._db.execute(
            "SELECT id, radio_id, name, source, entered, enabled, created_at, updated_at "
            "FROM stations ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        return [self._station(row) for row in rows]

    def get(self, station_id: int) -> Station | None:
        row = self._db.execute(
            "SELECT id, radio_id, name, source, entered, enabled, created_at, updated_at "
            "FROM stations WHERE id = ?",
            (station_id,),
        ).fetchone()
        return self._station(row) if row else None

    def by_radio_id(self, radio_id: int) -> Station | None:
        row = self._db.execute("SELECT id FROM stations WHERE radio_id = ?", (radio_id,)).fetchone()
        return self.get(row[0]) if row else None

    def suggest_radio_id(self) -> int:
        """One more than the highest radio_id in use (1 for the first station)."""
        row = self._db.execute("SELECT MAX(radio_id) FROM stations").fetchone()
        highest = int(row[0] or 0)
        if highest < MAX_RADIO_ID:
            return highest + 1
        free = self._db.execute(  # every id up to the top is taken only in contrived cases
            "SELECT s.radio_id + 1 FROM stations s WHERE NOT EXISTS "
            "(SELECT 1 FROM stations t WHERE t.radio_id = s.radio_id + 1) ORDER BY 1 LIMIT 1"
        ).fetchone()
        return int(free[0]) if free else 1

    # -- writing -------------------------------------------------------------------------------
    def add(
        self,
        *,
        name: str,
        source: str,
        entered: str | None = None,
        radio_id: int | None = None,
        enabled: bool = True,
    ) -> Station:
        """Validate and insert; `source` must already be resolved (see playlists.resolve_source)."""
        name = validate_name(name)
        source = validate_stream_source(source)
        radio_id = self.suggest_radio_id() if radio_id is None else validate_radio_id(radio_id)
        self.check_radio_id_free(radio_id, exclude_id=None)
        now = _now()
        try:
            cursor = self._db.execute(
                "INSERT INTO stations (radio_id, name, source, entered, enabled, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (radio_id, name, source, (entered or source).strip(), int(enabled), now, now),
            )
        except sqlite3.IntegrityError:
            raise self._duplicate(radio_id) from None
        self._commit()
        station = self.get(int(cursor.lastrowid))
        assert station is not None
        self._changed()
        return station

    def update(
        self,
        station_id: int,
        *,
        name: str | None = None,
        source: str | None = None,
        entered: str | None = None,
        radio_id: int | None = None,
        enabled: bool | None = None,
    ) -> Station:
        current = self.get(station_id)
        if current is None:
            raise StationError(
                "station", "This station no longer exists; it may have been removed."
            )
        new_name = validate_name(name) if name is not None else current.name
        new_source = validate_stream_source(source) if source is not None else current.source
        new_radio = validate_radio_id(radio_id) if radio_id is not None else current.radio_id
        if new_radio != current.radio_id:
            self.check_radio_id_free(new_radio, exclude_id=station_id)
        new_entered = (
            entered.strip()
            if entered is not None
            else (new_source if source is not None else current.entered)
        )
        new_enabled = current.enabled if enabled is None else enabled
        try:
            self._db.execute(
                "UPDATE stations SET radio_id = ?, name = ?, source = ?, entered = ?, "
                "enabled = ?, updated_at = ? WHERE id = ?",
                (
                    new_radio,
                    new_name,
                    new_source,
                    new_entered,
                    int(new_enabled),
                    _now(),
                    station_id,
                ),
            )
        except sqlite3.IntegrityError:
            raise self._duplicate(new_radio) from None
        self._commit()
        station = self.get(station_id)
        assert station is not None
        self._changed()
        return station

    def remove(self, station_id: int) -> bool:
        """Delete the station; its play history stays (plays keep a name snapshot)."""
        cursor = self._db.execute("DELETE FROM stations WHERE id = ?", (station_id,))
        self._commit()
        removed = cursor.rowcount > 0
        if removed:
            self._changed()
        return removed

    def notice_outside_changes(self) -> bool:
        """Announce (to the listeners) stations another process added, edited or removed since
        the last look; True if there were any. Cheap enough for a timer on the GUI thread:
        SQLite's data_version says whether any other connection wrote the file at all, and only
        then is the (small) table read and compared."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return False
        self._data_version = version
        stations = self.list()
        if self._seen is None or stations == self._seen:
            self._seen = stations
            return False
        self._seen = stations
        self.changed.emit()
        return True

    # -- listeners -----------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[], object]) -> Callable[[], None]:
        """Call `listener()` after every add, update or remove; returns an unsubscribe function."""
        return self.changed.subscribe(listener)

    # -- internals -----------------------------------------------------------------------------
    def check_radio_id_free(self, radio_id: int, exclude_id: int | None = None) -> None:
        """Raise StationError(field='radio_id') if another station uses `radio_id`."""
        row = self._db.execute(
            "SELECT name FROM stations WHERE radio_id = ? AND id IS NOT ?", (radio_id, exclude_id)
        ).fetchone()
        if row:
            raise self._duplicate(radio_id, row[0])

    def _duplicate(self, radio_id: int, other: str | None = None) -> StationError:
        owner = f" by '{other}'" if other else ""
        return StationError(
            "radio_id",
            f"radio_id {radio_id} is already used{owner}. Pick another number "
            f"(next free: {self.suggest_radio_id()}).",
        )

    def _commit(self) -> None:
        conn = self._db.conn
        if conn.in_transaction:
            conn.commit()

    def _changed(self) -> None:
        if self._seen is not None:
            self._seen = self.list()  # our own change is no news to notice_outside_changes
        self.changed.emit()

    @staticmethod
    def _station(row: tuple) -> Station:
        return Station(
            id=row[0],
            radio_id=row[1],
            name=row[2],
            source=row[3],
            entered=row[4],
            enabled=bool(row[5]),
            created_at=row[6],
            updated_at=row[7],
        )
