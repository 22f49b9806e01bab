"""How much of a requested period each station was actually heard, and where it was not.

The History tab's "not monitored" band, the exports' coverage section and the `radiowatch
export` summary all ask the same question, so it is answered once here: given stations and a
period (optionally only a daypart of each day, as the play filter allows), the covered time,
the requested time and the gaps, per station. The spans come from history/coverage.py; a
span's end is the last moment monitoring confirmed, so nothing here claims more than that.

A period that is open at either end is bounded by what is known: from the first span or play
of the stations asked about, up to now (time that has not happened yet is not requested).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from radiowatch.history.coverage import CoverageStore, from_ms, to_ms
from radiowatch.history.errors import friendly_errors
from radiowatch.history.queries import PlayQueries

Window = tuple[int, int]  # [start_ms, end_ms)


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch of the requested period when the station was not heard."""

    radio_id: int
    start_ms: int
    end_ms: int

    @property
    def start(self) -> datetime:
        return from_ms(self.start_ms)

    @property
    def end(self) -> datetime:
        return from_ms(self.end_ms)

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


@dataclass(frozen=True)
class StationCoverage:
    radio_id: int
    name: str
    requested_ms: int
    covered_ms: int
    gaps: tuple[Gap, ...]

    @property
    def fraction(self) -> float | None:
        """Covered share of the requested time, 0..1; None when nothing was requested."""
        return self.covered_ms / self.requested_ms if self.requested_ms else None

    @property
    def not_covered_ms(self) -> int:
        return self.requested_ms - self.covered_ms


@dataclass(frozen=True)
class CoverageReport:
    """`since`/`until` are the period actually measured (open ends resolved); None when
    there is nothing to measure (no station was ever heard and none has plays)."""

    since: datetime | None
    until: datetime | None
    daypart_hours: tuple[int, int] | None
    stations: tuple[StationCoverage, ...]

    @property
    def requested_ms(self) -> int:
        return sum(s.requested_ms for s in self.stations)

    @property
    def covered_ms(self) -> int:
        return sum(s.covered_ms for s in self.stations)

    @property
    def fraction(self) -> float | None:
        return self.covered_ms / self.requested_ms if self.requested_ms else None


def coverage_report(
    conn: sqlite3.Connection,
    *,
    radio_ids: Sequence[int] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    daypart_hours: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> CoverageReport:
    """Coverage of `radio_ids` (every known station when empty) over [since, until).

    `daypart_hours` = (first hour, end hour) in local time limits the period to that part of
    each day, as the play filter's daypart does.
    """
    store = CoverageStore(conn)
    names = {s.radio_id: s.name for s in PlayQueries(conn).stations()}
    ids = list(dict.fromkeys(radio_ids)) or sorted(set(names) | set(store.radio_ids()))
    now_ms = to_ms(now or datetime.now(UTC))
    until_ms = min(to_ms(until), now_ms) if until is not None else now_ms
    since_ms = to_ms(since) if since is not None else _first_known_ms(conn, store, ids)
    if since_ms is None or not ids:
        return CoverageReport(None, None, daypart_hours, ())
    windows = requested_windows(since_ms, until_ms, daypart_hours)
    stations = []
    for radio_id in ids:
        spans = store.bounds(radio_id, since_ms, until_ms) if windows else []
        covered, gaps = covered_within(radio_id, spans, windows)
        stations.append(
            StationCoverage(
                radio_id=radio_id,
                name=names.get(radio_id, f"Station {radio_id}"),
                requested_ms=sum(b - a for a, b in windows),
                covered_ms=covered,
                gaps=tuple(gaps),
            )
        )
    return CoverageReport(
        from_ms(since_ms), from_ms(max(since_ms, until_ms)), daypart_hours, tuple(stations)
    )


def _first_known_ms(conn: sqlite3.Connection, store: CoverageStore, ids: list[int]) -> int | None:
    """The start of an open-ended period: the first span or live play of these stations."""
    first = store.earliest_ms(ids)
    if ids:
        marks = ",".join("?" * len(ids))
        with friendly_errors("read the first play"):
            row = conn.execute(
                f"SELECT MIN(start_ts) FROM plays WHERE deleted = 0 AND radio_id IN ({marks})",
                tuple(ids),
            ).fetchone()
        if row and row[0] is not None:
            first = min(first, int(row[0]) * 1000) if first is not None else int(row[0]) * 1000
    return first


def requested_windows(
    since_ms: int, until_ms: int, daypart_hours: tuple[int, int] | None = None
) -> list[Window]:
    """The requested time as sorted, disjoint windows: the whole period, or the daypart's
    hours (local time, across DST changes) of every day in it."""
    if until_ms <= since_ms:
        return []
    if daypart_hours is None:
        return [(since_ms, until_ms)]
    first_hour, end_hour = daypart_hours
    day = from_ms(since_ms).astimezone().date() - timedelta(days=1)
    last = from_ms(until_ms).astimezone().date()
    windows: list[Window] = []
    while day <= last:
        start = datetime.combine(day, time(first_hour)).astimezone()
        end = (
            datetime.combine(day + timedelta(days=1), time()).astimezone()
            if end_hour >= 24
            else datetime.combine(day, time(end_hour)).astimezone()
        )
        a, b = max(to_ms(start), since_ms), min(to_ms(end), until_ms)
        if a < b:
            windows.append((a, b))
        day += timedelta(days=1)
    return windows


def covered_within(
    radio_id: int, spans: Sequence[tuple[int, int]], windows: Sequence[Window]
) -> tuple[int, list[Gap]]:
    """Covered milliseconds inside `windows` and the gaps there, from (start_ms, end_ms)
    spans sorted by start, which may overlap or touch (they are merged as they come)."""
    merged: list[tuple[int, int]] = []
    run_start = run_end = None
    for start, end in spans:
        if end <= start:
            continue  # a run that crashed before its first beat vouches for nothing
        if run_end is not None and start <= run_end:
            if end > run_end:
                run_end = end
            continue
        if run_start is not None and run_end is not None:
            merged.append((run_start, run_end))
        run_start, run_end = start, end
    if run_start is not None and run_end is not None:
        merged.append((run_start, run_end))
    covered = 0
    gaps: list[Gap] = []
    first = 0  # the first merged span that can still overlap a window (both lists are sorted)
    for w_start, w_end in windows:
        while first < len(merged) and merged[first][1] <= w_start:
            first += 1
        cursor = w_start
        index = first
        while index < len(merged) and merged[index][0] < w_end:
            a, b = max(merged[index][0], w_start), min(merged[index][1], w_end)
            if a > cursor:
                gaps.append(Gap(radio_id, cursor, a))
            if b > a:
                covered += b - a
            cursor = max(cursor, b)
            index += 1
        if cursor < w_end:
            gaps.append(Gap(radio_id, cursor, w_end))
    return covered, gaps
