"""The play ledger: every play already reported on each station, live or found later.

A play found in the archive must reach the history exactly once and never beside the live play
of the same airing (the track was in the catalog then, or live detection reported it while a
search was running). The ledger is how the engine knows: it reads every play event the engine
published from the long-poll log (`sync`, on the event-loop thread, which owns the engine
store), and records every found play it publishes (`add_found`). A found play is published
only when no play of the same song on the same station overlaps it (`overlaps`).

The log keeps events for 7 days or more (event_log.py) and the ledger is synced every minute
and before every publication, so no live play is missed; the ledger itself keeps plays as long
as the archive keeps peaks to search.

"The same song" is the song object's `audio_id` when it has one (stable across edits of the
title), else its ISRC, else case-folded artist and title.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.engine.archive.database import ArchiveDatabase

# A play announced before it ends (callbacks=before, or the first event of callbacks=both) has
# no length yet: assume a song's until the event at its end says how long it was. Keeping the
# assumed length would hide what aired after a short play: from Discover (it looked reported)
# and from found later (it looked covered by another song).
ASSUMED_LENGTH_S = 240.0
# Plays of the same song on one station sharing at least this much time are one airing (a
# live play and a found one of the same airing share most of it; a song replayed right after a
# jingle shares nothing with its first airing).
MIN_OVERLAP_S = 1.0


def song_identity(song: dict[str, Any]) -> str | None:
    if song.get("audio_id") is not None:
        return f"audio:{song['audio_id']}"
    if song.get("isrc"):
        return f"isrc:{str(song['isrc']).upper()}"
    artist = str(song.get("artist") or "").casefold().strip()
    title = str(song.get("title") or "").casefold().strip()
    if not (artist or title):
        return None
    return f"song:{artist}\x1f{title}"


def parse_timestamp(text: str) -> float | None:
    """Epoch seconds of a stream event's `timestamp` (UTC+3, see streams/monitor.py)."""
    try:
        naive = datetime.strptime(str(text).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=AUDD_CALLBACK_TZ).timestamp()


def event_timestamp(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, AUDD_CALLBACK_TZ).strftime("%Y-%m-%d %H:%M:%S")


class PlayLedger:
    def __init__(self, db: ArchiveDatabase) -> None:
        self._db = db

    def sync(self, store: Any) -> int:
        """Note the play events published since the last sync (event-loop thread only)."""
        noted = 0
        for stream in store.streams():
            category = stream.longpoll_category
            rows = self._db.query("SELECT ts_ms FROM event_marks WHERE category = ?", (category,))
            mark = int(rows[0][0]) if rows else 0
            start = mark
            while (event := store.first_event_after(category, mark)) is not None:
                mark = event.ts_ms
                if self.note_event(event.radio_id, event.data):
                    noted += 1
            if mark != start:
                with self._db.transaction() as db:
                    db.execute(
                        "INSERT INTO event_marks (category, ts_ms) VALUES (?, ?) "
                        "ON CONFLICT(category) DO UPDATE SET ts_ms = excluded.ts_ms",
                        (category, mark),
                    )
        return noted

    def note_event(self, radio_id: int | None, data: dict[str, Any]) -> bool:
        """Record a published play event (anything else is ignored)."""
        result = data.get("result") if isinstance(data, dict) else None
        if data.get("status") != "success" or not isinstance(result, dict):
            return False
        songs = result.get("results")
        if not songs or not isinstance(songs[0], dict):
            return False
        rid = result.get("radio_id", radio_id)
        identity = song_identity(songs[0])
        start = parse_timestamp(result.get("timestamp", ""))
        if rid is None or identity is None or start is None:
            return False
        length = result.get("play_length")
        measured = isinstance(length, int | float)
        end = start + (float(length) if isinstance(length, int | float) else ASSUMED_LENGTH_S)
        source = "found" if result.get("found_later") else "live"
        return self._add(int(rid), identity, start, end, source, None, measured_end=measured)

    def add_found(
        self, radio_id: int, identity: str, start_s: float, end_s: float, track_id: str
    ) -> None:
        self._add(radio_id, identity, start_s, end_s, "found", track_id)

    def _add(
        self,
        radio_id: int,
        identity: str,
        start_s: float,
        end_s: float,
        source: str,
        track_id: str | None,
        *,
        measured_end: bool = True,
    ) -> bool:
        """Record a play; False if it was known already (then a measured end replaces the
        assumed one of the play's announcement)."""
        with self._db.transaction() as db:
            same = db.execute(
                "SELECT id FROM plays WHERE radio_id = ? AND identity = ? AND ABS(start_s - ?) < 1",
                (radio_id, identity, start_s),
            ).fetchone()
            if same:
                if measured_end:
                    db.execute("UPDATE plays SET end_s = ? WHERE id = ?", (end_s, same[0]))
                return False
            db.execute(
                "INSERT INTO plays (radio_id, identity, start_s, end_s, source, track_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (radio_id, identity, start_s, end_s, source, track_id),
            )
            return True

    def overlaps(self, radio_id: int, identity: str, start_s: float, end_s: float) -> bool:
        """Whether a play of the same song on the station shares MIN_OVERLAP_S with
        [start_s, end_s] (or all of it, for a shorter one)."""
        need = min(MIN_OVERLAP_S, max(end_s - start_s, 0.0) / 2)
        rows = self._db.query(
            "SELECT 1 FROM plays WHERE radio_id = ? AND identity = ? AND start_s < ? "
            "AND end_s > ? AND MIN(end_s, ?) - MAX(start_s, ?) >= ? LIMIT 1",
            (radio_id, identity, end_s, start_s, end_s, start_s, need),
        )
        return bool(rows)

    def covered_by_another(
        self, radio_id: int, identity: str, start_s: float, end_s: float
    ) -> bool:
        """Whether half or more of [start_s, end_s] is a play of another song on the station
        (a station plays one song at a time)."""
        rows = self._db.query(
            "SELECT start_s, end_s FROM plays WHERE radio_id = ? AND identity != ? AND "
            "start_s < ? AND end_s > ?",
            (radio_id, identity, end_s, start_s),
        )
        length = max(end_s - start_s, 1e-6)
        return any(min(b, end_s) - max(a, start_s) >= length / 2 for a, b in rows)

    def forget_before(self, cut_s: float) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM plays WHERE end_s < ?", (cut_s,))
