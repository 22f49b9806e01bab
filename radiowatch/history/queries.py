"""The read side of the history: filtered, sorted, paged lists and the aggregates behind charts.

Lists are paged by key (the sort value plus the play id), not by OFFSET, so the next page of a
million-row history costs the same as the first. OFFSET remains for a jump into the middle
(scroll bar dragged); callers count from whichever end is nearer, which halves the worst case.
Everything takes a plain `sqlite3.Connection` so a worker thread can bring its own.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from radiowatch.history.errors import friendly_errors
from radiowatch.history.play import Play, to_epoch
from radiowatch.history.plays import PLAY_COLUMNS, play_from_row


class Daypart(StrEnum):
    """Radio's usual dayparts, in the listener's local time."""

    OVERNIGHT = "overnight"
    MORNING = "morning"
    MIDDAY = "midday"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @property
    def hours(self) -> tuple[int, int]:
        """[first hour, end hour) in local time."""
        return _DAYPART_HOURS[self]

    @property
    def label(self) -> str:
        start, end = self.hours
        names = {
            "overnight": "Overnight",
            "morning": "Morning drive",
            "midday": "Midday",
            "afternoon": "Afternoon drive",
            "evening": "Evening",
        }
        return f"{names[self.value]} ({start:02d}–{end:02d})"


_DAYPART_HOURS = {
    Daypart.OVERNIGHT: (0, 6),
    Daypart.MORNING: (6, 10),
    Daypart.MIDDAY: (10, 15),
    Daypart.AFTERNOON: (15, 19),
    Daypart.EVENING: (19, 24),
}

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _offset_at(ts: int) -> int:
    offset = datetime.fromtimestamp(ts, UTC).astimezone().utcoffset()
    assert offset is not None, "astimezone() always returns an aware datetime"
    return int(offset.total_seconds())


@lru_cache(maxsize=32)
def _offset_sql(first_day: int, last_day: int) -> str:
    """The local UTC offset in force at `start_ts`, as SQL, exact across the DST changes
    between two days (epoch days). A CASE on a handful of transition instants is ~10x cheaper
    per row than SQLite's 'localtime' modifier, which calls the C library for every play."""
    start, end = first_day * 86400, (last_day + 1) * 86400
    current = _offset_at(start)
    branches: list[tuple[int, int]] = []
    day = start
    while day < end:
        following = day + 86400
        if _offset_at(following) != current:
            low, high = day, following  # the change is in this day: find its second
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(middle) == current:
                    low = middle
                else:
                    high = middle
            branches.append((high, current))
            current = _offset_at(high)
        day = following
    if not branches:
        return str(current)
    cases = " ".join(f"WHEN start_ts < {edge} THEN {offset}" for edge, offset in branches)
    return f"(CASE {cases} ELSE {current} END)"


def local_offset_sql(since: datetime | None, until: datetime | None) -> str:
    first = to_epoch(since or EARLIEST) // 86400
    last = to_epoch(until or datetime.now(UTC) + timedelta(days=2)) // 86400
    return _offset_sql(first, last)


def local_hour_sql(offset: str) -> str:
    return f"(((start_ts + {offset}) % 86400) / 3600)"


def local_day_sql(offset: str) -> str:
    """Local calendar day as a day number since 1970-01-01 (see `day_from_number`)."""
    return f"((start_ts + {offset}) / 86400)"


def day_from_number(number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(number))


class SortKey(StrEnum):
    START = "start"
    STATION = "station"
    ARTIST = "artist"
    TITLE = "title"
    DURATION = "duration"
    SCORE = "score"


# Expressions match the (deleted, …) indexes of migration 2 so sorted scans need no temp b-tree.
SORT_EXPRESSIONS = {
    SortKey.START: "start_ts",
    SortKey.STATION: "station_name COLLATE NOCASE",
    SortKey.ARTIST: "artist COLLATE NOCASE",
    SortKey.TITLE: "title COLLATE NOCASE",
    SortKey.DURATION: "COALESCE(play_length, -1)",
    SortKey.SCORE: "COALESCE(score, -1)",
}


class PlayFilter(BaseModel):
    """What the person asked to see. Frozen so it can key caches and cross threads safely."""

    model_config = ConfigDict(frozen=True)

    radio_ids: tuple[int, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    daypart: Daypart | None = None
    text: str = ""
    include_deleted: bool = False
    hide_false_positives: bool = False
    ai_generated_only: bool = False
    sort: SortKey = SortKey.START
    descending: bool = True


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Turn what a person typed into an FTS5 query: every word must appear, as a prefix.

    Words are quoted so FTS5 syntax characters ("-", ":", "*", quotes) in user input are data,
    never query operators: typing `AC/DC` or `"` cannot raise a syntax error.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def where_clause(filt: PlayFilter) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if not filt.include_deleted:
        parts.append("deleted = 0")
    if filt.hide_false_positives:
        parts.append("false_positive = 0")
    if filt.ai_generated_only:
        parts.append("ai_generated = 1")  # index plays_live_ai_start
    if filt.radio_ids:
        parts.append(f"radio_id IN ({','.join('?' * len(filt.radio_ids))})")
        params.extend(filt.radio_ids)
    if filt.since is not None:
        parts.append("start_ts >= ?")
        params.append(to_epoch(filt.since))
    if filt.until is not None:
        parts.append("start_ts < ?")
        params.append(to_epoch(filt.until))
    if filt.daypart is not None:
        first, end = filt.daypart.hours
        hour = local_hour_sql(local_offset_sql(filt.since, filt.until))
        parts.append(f"{hour} >= ? AND {hour} < ?")
        params.extend([first, end])
    match = fts_query(filt.text)
    if match is not None:
        parts.append("id IN (SELECT rowid FROM plays_fts WHERE plays_fts MATCH ?)")
        params.append(match)
    return (" AND ".join(parts) or "1"), params


def _text_only(filt: PlayFilter) -> bool:
    return not (
        filt.radio_ids
        or filt.since
        or filt.until
        or filt.daypart
        or filt.hide_false_positives
        or filt.ai_generated_only
    )


class PlayRow(NamedTuple):
    """One line of the history list: the columns the table shows, plus its paging key."""

    id: int
    start_ts: int
    end_ts: int | None
    play_length: float | None
    radio_id: int | None
    station_name: str
    artist: str
    title: str
    album: str | None
    label: str | None
    isrc: str | None
    score: int | None
    origin: str
    false_positive: int
    deleted: int
    original_artist: str | None
    original_title: str | None
    ai_generated: int
    provenance: str | None
    found_later: int  # found in the engine's archive after it aired (Play.found_later)
    sort_value: Any

    @property
    def key(self) -> tuple[Any, int]:
        return (self.sort_value, self.id)


_ROW_COLUMNS = (
    "id, start_ts, end_ts, play_length, radio_id, station_name, artist, title, album, label, "
    "isrc, score, origin, false_positive, deleted, original_artist, original_title, "
    "ai_generated, provenance, "
    "COALESCE(json_extract(raw_json, '$.found_later') = 1, 0) AS found_later"
)


@dataclass(frozen=True)
class StationRef:
    radio_id: int
    name: str


class PlayQueries:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._match_counts: dict[str, int] = {}

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with friendly_errors("read the history"):
            return self._conn.execute(sql, params).fetchall()

    # -- lists ----------------------------------------------------------------------------------

    def count(self, filt: PlayFilter) -> int:
        match = fts_query(filt.text)
        if match is not None and _text_only(filt):
            return self._count_text_only(match, filt.include_deleted)
        if match is None and _text_only(filt):
            kept = "" if filt.include_deleted else " WHERE deleted = 0"
            return int(self._all(f"SELECT COALESCE(SUM(plays), 0) FROM play_totals{kept}")[0][0])
        where, params = where_clause(filt)
        return int(self._all(f"SELECT COUNT(*) FROM plays WHERE {where}", params)[0][0])

    def _matches(self, match: str, fresh: bool = False) -> int:
        """How many plays (deleted included) the full-text index matches: ~ms, even for 50k."""
        if fresh or match not in self._match_counts:
            if len(self._match_counts) > 64:
                self._match_counts.clear()
            self._match_counts[match] = int(
                self._all("SELECT COUNT(*) FROM plays_fts WHERE plays_fts MATCH ?", (match,))[0][0]
            )
        return self._match_counts[match]

    def _count_text_only(self, match: str, include_deleted: bool) -> int:
        """A search's count from the FTS index alone, minus the (few) deleted plays it matches.

        Counting through the plays table costs a row lookup per match (~60 ms for a common word
        in a million plays); the index answers in a few ms.
        """
        total = self._matches(match, fresh=True)
        if not include_deleted:
            total -= int(
                self._all(
                    "SELECT COUNT(*) FROM plays INDEXED BY plays_live_start WHERE deleted = 1 "
                    "AND id IN (SELECT rowid FROM plays_fts WHERE plays_fts MATCH ?)",
                    (match,),
                )[0][0]
            )
        return total

    def _scan_index(self, filt: PlayFilter) -> str:
        """An index hint for a search whose words are common.

        SQLite drives a search from the full-text matches and sorts them: right for a rare word,
        but ~70 ms for a word in 5% of a million plays. Then walking the time index and keeping
        matching rows finds a page after a few thousand rows instead. The crossover, measured,
        is near sqrt(60 x plays) matches.
        """
        match = fts_query(filt.text)
        if match is None or filt.sort != SortKey.START or filt.include_deleted:
            return ""
        size = int(self._all("SELECT COALESCE(MAX(id), 0) FROM plays")[0][0])
        if self._matches(match) < max(2000, int((60 * size) ** 0.5)):
            return ""
        return (
            " INDEXED BY plays_live_radio_start"
            if filt.radio_ids
            else " INDEXED BY plays_live_start"
        )

    def page(
        self,
        filt: PlayFilter,
        *,
        limit: int,
        after: tuple[Any, int] | None = None,
        offset: int = 0,
        reverse: bool = False,
    ) -> list[PlayRow]:
        """Rows in the filter's order (or the opposite when `reverse`), starting strictly after
        `after` (a `PlayRow.key`) and skipping `offset` more."""
        where, params = where_clause(filt)
        expr = SORT_EXPRESSIONS[filt.sort]
        descending = filt.descending != reverse
        if after is not None:
            op = "<" if descending else ">"
            # `expr >= ?` alone drives the index range; the OR refines ties on id.
            where += f" AND {expr} {op}= ? AND ({expr} {op} ? OR id {op} ?)"
            params += [after[0], after[0], after[1]]
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {_ROW_COLUMNS}, {expr.split(' COLLATE')[0]} FROM plays{self._scan_index(filt)} "
            f"WHERE {where} "
            f"ORDER BY {expr} {direction}, id {direction} LIMIT ? OFFSET ?"
        )
        return [PlayRow(*r) for r in self._all(sql, [*params, limit, offset])]

    def rows_before(self, filt: PlayFilter, moment: datetime) -> int:
        """How many rows of a time-sorted list come before `moment`: the row to scroll to."""
        where, params = where_clause(filt)
        op = ">" if filt.descending else "<"
        sql = f"SELECT COUNT(*) FROM plays WHERE {where} AND start_ts {op} ?"
        return int(self._all(sql, [*params, to_epoch(moment)])[0][0])

    def plays(self, ids: Sequence[int]) -> list[Play]:
        if not ids:
            return []
        sql = f"SELECT {PLAY_COLUMNS} FROM plays WHERE id IN ({','.join('?' * len(ids))})"
        by_id = {p.id: p for p in map(play_from_row, self._all(sql, list(ids)))}
        return [by_id[i] for i in ids if i in by_id]

    def around(
        self, radio_id: int, moment: datetime, before: int = 5, after: int = 5
    ) -> list[Play]:
        """What played on a station around a moment, oldest first: the `before` plays that
        started at or before it (the first of them is the one on air then) and `after` later."""
        t = to_epoch(moment)
        earlier = self._all(
            f"SELECT {PLAY_COLUMNS} FROM plays WHERE deleted = 0 AND radio_id = ? "
            "AND start_ts <= ? ORDER BY start_ts DESC, id DESC LIMIT ?",
            (radio_id, t, before),
        )
        later = self._all(
            f"SELECT {PLAY_COLUMNS} FROM plays WHERE deleted = 0 AND radio_id = ? "
            "AND start_ts > ? ORDER BY start_ts ASC, id ASC LIMIT ?",
            (radio_id, t, after),
        )
        return [play_from_row(r) for r in reversed(earlier)] + [play_from_row(r) for r in later]

    def on_air(self, radio_id: int, moment: datetime) -> Play | None:
        """The play that was on air at `moment`, if its known end covers it."""
        for play in reversed(self.around(radio_id, moment, before=1, after=0)):
            end = play.effective_end
            if end is None or end >= moment:
                return play
        return None

    def stations(self) -> list[StationRef]:
        """Every station with a configured entry or any play, named as last seen.

        Distinct radio_ids come from a skip-scan of the (radio_id, start_ts) index: one probe
        per station, not a scan of every play.
        """
        seen: dict[int, str] = {}
        for (radio_id,) in self._all(
            "WITH RECURSIVE r(id) AS ("
            " SELECT MIN(radio_id) FROM plays WHERE deleted = 0"
            " UNION ALL"
            " SELECT (SELECT MIN(radio_id) FROM plays WHERE deleted = 0 AND radio_id > r.id)"
            " FROM r WHERE r.id IS NOT NULL)"
            " SELECT id FROM r WHERE id IS NOT NULL"
        ):
            row = self._all(
                "SELECT station_name FROM plays WHERE deleted = 0 AND radio_id = ? "
                "ORDER BY start_ts DESC LIMIT 1",
                (radio_id,),
            )
            seen[radio_id] = row[0][0] if row else str(radio_id)
        with friendly_errors("read the stations"):
            configured = self._conn.execute("SELECT radio_id, name FROM stations").fetchall()
        for radio_id, name in configured:
            seen[radio_id] = name
        return sorted(
            (StationRef(rid, name) for rid, name in seen.items()), key=lambda s: s.name.casefold()
        )

    def station_ids_named(self, names: Sequence[str]) -> tuple[list[int], list[str]]:
        """Resolve station names (case-insensitive) to radio_ids; returns (ids, unknown names)."""
        by_name: dict[str, list[int]] = {}
        for ref in self.stations():
            by_name.setdefault(ref.name.casefold(), []).append(ref.radio_id)
        ids: list[int] = []
        unknown: list[str] = []
        for name in names:
            found = by_name.get(name.strip().casefold())
            if found:
                ids.extend(found)
            else:
                unknown.append(name)
        return ids, unknown

    # -- aggregates for charts ------------------------------------------------------------------

    def _period(
        self, since: datetime, until: datetime, radio_ids: Sequence[int]
    ) -> tuple[str, list[Any]]:
        return where_clause(
            PlayFilter(
                since=since, until=until, radio_ids=tuple(radio_ids), hide_false_positives=True
            )
        )

    def plays_per_day(
        self, since: datetime, until: datetime, radio_ids: Sequence[int] = ()
    ) -> list[tuple[str, int, int]]:
        """(local day 'YYYY-MM-DD', radio_id, plays), by day then station."""
        where, params = self._period(since, until, radio_ids)
        return [
            (day_from_number(r[0]).isoformat(), r[1], r[2])
            for r in self._all(
                f"SELECT {local_day_sql(local_offset_sql(since, until))} AS day, radio_id, COUNT(*) "
                f"FROM plays WHERE {where} "
                "GROUP BY day, radio_id ORDER BY day, radio_id",
                params,
            )
        ]

    def top_tracks(
        self, since: datetime, until: datetime, limit: int = 10, radio_ids: Sequence[int] = ()
    ) -> list[tuple[str, str, int]]:
        """(artist, title, plays), most played first."""
        where, params = self._period(since, until, radio_ids)
        return [
            (r[0], r[1], r[2])
            for r in self._all(
                f"SELECT MIN(artist), MIN(title), COUNT(*) AS n FROM plays WHERE {where} "
                "GROUP BY artist COLLATE NOCASE, title COLLATE NOCASE "
                "ORDER BY n DESC, MIN(artist) LIMIT ?",
                [*params, limit],
            )
        ]

    def top_artists(
        self, since: datetime, until: datetime, limit: int = 10, radio_ids: Sequence[int] = ()
    ) -> list[tuple[str, int]]:
        where, params = self._period(since, until, radio_ids)
        return [
            (r[0], r[1])
            for r in self._all(
                f"SELECT MIN(artist), COUNT(*) AS n FROM plays WHERE {where} "
                "GROUP BY artist COLLATE NOCASE ORDER BY n DESC, MIN(artist) LIMIT ?",
                [*params, limit],
            )
        ]

    def station_hour_counts(
        self, since: datetime, until: datetime, radio_ids: Sequence[int] = ()
    ) -> list[tuple[int, int, int]]:
        """(radio_id, local hour 0-23, plays): the station × hour heatmap."""
        where, params = self._period(since, until, radio_ids)
        return [
            (r[0], r[1], r[2])
            for r in self._all(
                f"SELECT radio_id, {local_hour_sql(local_offset_sql(since, until))} AS hour, "
                f"COUNT(*) FROM plays WHERE {where} "
                "GROUP BY radio_id, hour",
                params,
            )
        ]
