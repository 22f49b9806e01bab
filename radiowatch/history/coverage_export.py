"""The coverage part of a play-log export: how much of the requested period each station was
actually heard, and when it was not.

A royalty report built from a play log must say where the log is blind, so every export
carries it beside the plays, in the form that suits the format (play_log_export.py writes
it): CSV keeps its play columns as they were, for the programs that read them, and gets a
second file `<name>.coverage.csv`; XLSX gets a "Coverage" sheet; JSON a `coverage` object.
The CSV file and the sheet share one table: a "period" row per station (requested, covered,
the covered share), then one "not monitored" row per gap, and an "All stations" total.

The period is the export's: its stations (all known ones when none is chosen), its dates and
its daypart. Text and AI filters choose plays, not time, so they do not change the coverage.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radiowatch.history.coverage_report import CoverageReport, coverage_report
from radiowatch.history.queries import PlayFilter

PERIOD_ROW = "period"
GAP_ROW = "not monitored"
TOTAL_ROW = "total"


def coverage_path_for(target: Path) -> Path:
    """Where a CSV export's coverage goes: `november.csv` -> `november.coverage.csv`."""
    return target.with_name(f"{target.stem}.coverage.csv")


def coverage_for(
    conn: sqlite3.Connection, filt: PlayFilter, now: datetime | None = None
) -> CoverageReport:
    return coverage_report(
        conn,
        radio_ids=filt.radio_ids,
        since=filt.since,
        until=filt.until,
        daypart_hours=filt.daypart.hours if filt.daypart else None,
        now=now,
    )


@dataclass(frozen=True)
class CoverageRow:
    """One line of the coverage table (CSV file, XLSX sheet); None is an empty cell."""

    station: str
    row: str
    start: datetime | None
    end: datetime | None
    hours: str
    requested_s: float | None
    covered_s: float | None
    covered_percent: float | None
    not_monitored_s: float | None


def headers(utc: bool) -> list[str]:
    zone = "UTC" if utc else "local time"
    return [
        "Station",
        "Row",
        f"From ({zone})",
        f"To ({zone})",
        "Hours",
        "Requested (s)",
        "Covered (s)",
        "Covered (%)",
        "Not monitored (s)",
    ]


def _hours(report: CoverageReport) -> str:
    if report.daypart_hours is None:
        return "all day"
    first, end = report.daypart_hours
    return f"{first:02d}:00–{end:02d}:00"


def _seconds(ms: int) -> float:
    return round(ms / 1000, 1)


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)


def coverage_rows(report: CoverageReport) -> list[CoverageRow]:
    """The table, station by station: the period row, then its gaps, oldest first."""
    rows: list[CoverageRow] = []
    hours = _hours(report)
    for station in report.stations:
        rows.append(
            CoverageRow(
                station.name,
                PERIOD_ROW,
                report.since,
                report.until,
                hours,
                _seconds(station.requested_ms),
                _seconds(station.covered_ms),
                _percent(station.fraction),
                _seconds(station.not_covered_ms),
            )
        )
        rows.extend(
            CoverageRow(
                station.name, GAP_ROW, gap.start, gap.end, "", None, None, None, gap.seconds
            )
            for gap in station.gaps
        )
    if len(report.stations) > 1:
        rows.append(
            CoverageRow(
                "All stations",
                TOTAL_ROW,
                report.since,
                report.until,
                hours,
                _seconds(report.requested_ms),
                _seconds(report.covered_ms),
                _percent(report.fraction),
                _seconds(report.requested_ms - report.covered_ms),
            )
        )
    return rows


def wall_clock(moment: datetime | None, utc: bool) -> datetime | None:
    """The naive wall-clock time a spreadsheet shows: UTC or the local time."""
    if moment is None:
        return None
    return moment.astimezone(UTC if utc else None).replace(tzinfo=None)


def coverage_json(report: CoverageReport) -> dict[str, Any]:
    """The JSON export's `coverage` object: ISO 8601 UTC times, seconds, fractions 0..1."""

    def iso(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {
        "since": iso(report.since),
        "until": iso(report.until),
        "daypart_hours": list(report.daypart_hours) if report.daypart_hours else None,
        "requested_seconds": _seconds(report.requested_ms),
        "covered_seconds": _seconds(report.covered_ms),
        "covered_fraction": report.fraction,
        "stations": [
            {
                "radio_id": s.radio_id,
                "station": s.name,
                "requested_seconds": _seconds(s.requested_ms),
                "covered_seconds": _seconds(s.covered_ms),
                "covered_fraction": s.fraction,
                "not_monitored": [
                    {"start": iso(g.start), "end": iso(g.end), "seconds": g.seconds} for g in s.gaps
                ],
            }
            for s in report.stations
        ],
    }


def duration_text(ms: int) -> str:
    """'45 s', '38 min', '5.2 h', '3.1 days'."""
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def describe(report: CoverageReport) -> list[str]:
    """One line per station for a person: 'Radio One: 97.3 % monitored (2 gaps, 38 min not
    monitored)'."""
    lines = []
    for station in report.stations:
        if station.fraction is None:
            continue
        gaps = len(station.gaps)
        detail = (
            "no gaps"
            if not gaps
            else f"{gaps} gap{'s' if gaps != 1 else ''}, "
            f"{duration_text(station.not_covered_ms)} not monitored"
        )
        lines.append(f"{station.name}: {station.fraction * 100:.1f} % monitored ({detail})")
    return lines
