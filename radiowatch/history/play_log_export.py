"""Play-log exports: CSV for spreadsheets, XLSX for Excel people, JSON for programs.

Exports stream from one SQLite cursor in batches, report progress and honour a cancel flag
between batches, so a million-row export neither fills memory nor blocks a cancel for long.
They write a temporary file beside the target and rename it at the end: a cancelled, failed or
disk-full export never leaves a half file where the person expects a finished one.

Every export also says how much of the requested period each station was actually heard and
where it was not (history/coverage_export.py): CSV in a second file beside the plays
(`<name>.coverage.csv`, so the play columns stay as programs expect them), XLSX in a "Coverage"
sheet, JSON in a `coverage` object.

An export can name each play's audio clip (saved beside it by the GUI from the engine's
archive): `clip_files` maps play ids to the clip's path relative to the export, written in a
last column, "Clip file" (empty for a play without kept audio). The map goes into a TEMP table
of the exporting connection, so the rows are still rendered by one SQL statement.

CSV cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are
prefixed with an apostrophe (the OWASP advice); XLSX cells are written as typed strings, which
Excel never evaluates.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from radiowatch.history.coverage_export import (
    CoverageRow,
    coverage_for,
    coverage_json,
    coverage_path_for,
    coverage_rows,
    headers,
    wall_clock,
)
from radiowatch.history.coverage_report import CoverageReport
from radiowatch.history.errors import friendly_errors
from radiowatch.history.queries import PlayFilter, PlayQueries, where_clause
from radiowatch.history.xlsx_stream import Kind, SheetColumn, SmallSheet, write_xlsx

BATCH_ROWS = 5000

Progress = Callable[[int, int], None]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"

    @classmethod
    def from_path(cls, path: Path) -> ExportFormat | None:
        try:
            return cls(path.suffix.lower().lstrip("."))
        except ValueError:
            return None


class ExportError(Exception):
    """The export could not be written; the message names the file and what to do."""


class ExportCancelled(ExportError):
    """The person cancelled; no file was left behind."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    format: ExportFormat
    coverage: CoverageReport | None = None
    coverage_path: Path | None = None  # the CSV export's second file


@dataclass(frozen=True)
class _Column:
    header: str
    json_name: str
    sql: str
    text: bool = True  # a free-text column: formula-escaped in CSV


CLIP_COLUMN = _Column(
    "Clip file", "clip_file", "(SELECT path FROM temp.export_clips WHERE play_id = plays.id)"
)


def _columns(utc: bool, fmt: ExportFormat, clips: bool = False) -> list[_Column]:
    """Spreadsheets get wall-clock times; JSON gets ISO 8601 UTC, which programs expect."""
    zone = "" if utc else ", 'localtime'"
    suffix = "UTC" if utc else "local time"
    end_ts = "COALESCE(end_ts, start_ts + CAST(play_length AS INTEGER))"
    if fmt is ExportFormat.JSON:
        start = "strftime('%Y-%m-%dT%H:%M:%SZ', start_ts, 'unixepoch')"
        end = f"strftime('%Y-%m-%dT%H:%M:%SZ', {end_ts}, 'unixepoch')"
    else:  # datetime() is 'YYYY-MM-DD HH:MM:SS' and twice as fast as the same strftime
        start = f"datetime(start_ts, 'unixepoch'{zone})"
        end = f"datetime({end_ts}, 'unixepoch'{zone})"
    return [
        _Column("Station", "station", "station_name"),
        _Column(f"Start ({suffix})", "start", start, False),
        _Column(f"End ({suffix})", "end", end, False),
        _Column("Duration (s)", "duration", "play_length", False),
        _Column("Artist", "artist", "artist"),
        _Column("Title", "title", "title"),
        _Column("Album", "album", "album"),
        _Column("Label", "label", "label"),
        _Column("ISRC", "isrc", "isrc"),
        _Column("UPC", "upc", "upc"),
        _Column("Score", "score", "score", False),
        _Column("Source", "origin", "origin", False),
        _Column("False positive", "false_positive", "false_positive", False),
        _Column("AI-generated", "ai_generated", "ai_generated", False),
        _Column("Provenance", "provenance", "provenance"),
        _Column("Recognised artist", "original_artist", "original_artist"),
        _Column("Recognised title", "original_title", "original_title"),
        _Column("Song link", "song_link", "song_link"),
        _Column("Play ID", "id", "id", False),
        *([CLIP_COLUMN] if clips else []),
    ]


_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# The same characters as code points, for SQLite's unicode() (no substring is allocated).
_DANGEROUS_CODES = ", ".join(str(ord(c)) for c in _DANGEROUS_FIRST)


def formula_safe(value: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would otherwise evaluate."""
    return "'" + value if value and value[0] in _DANGEROUS_FIRST else value


def describe_os_error(exc: OSError, target: Path) -> str:
    folder = target.parent
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot write {target.name} to {folder}: the folder is read-only or you do not "
            "have permission to write there. Choose another folder."
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"Cannot write {target.name}: the disk holding {folder} is full. Free some space "
            "or choose another disk; no partial file was left."
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return f"Cannot write {target.name}: the folder {folder} does not exist. Choose another folder."
    if exc.errno == errno.EISDIR:
        return f"Cannot write {target}: it is a folder. Choose a file name."
    return f"Cannot write {target}: {exc.strerror or exc}."


class _Cancel:
    def __init__(self, flag: threading.Event | Callable[[], bool] | None) -> None:
        self._flag = flag

    def __call__(self) -> bool:
        if self._flag is None:
            return False
        if isinstance(self._flag, threading.Event):
            return self._flag.is_set()
        return bool(self._flag())


def export_plays(
    conn: sqlite3.Connection,
    filt: PlayFilter,
    path: Path | str,
    fmt: ExportFormat | str | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | Callable[[], bool] | None = None,
    utc: bool = False,
    clip_files: Mapping[int, str] | None = None,
) -> ExportResult:
    """Write the plays matching `filt`, oldest first, to `path`.

    `progress(done, total)` is called after each batch (from the calling thread); setting
    `cancel` stops at the next batch and raises ExportCancelled. Use a connection owned by the
    calling thread. With `clip_files` (play id -> clip path) the export gains a "Clip file"
    column.
    """
    target = Path(path).expanduser()
    fmt = ExportFormat(fmt) if fmt is not None else ExportFormat.from_path(target)
    if fmt is None:
        raise ExportError(
            f"Cannot tell the export format from {target.name!r}: use a .csv, .xlsx or .json name "
            "or choose the format explicitly."
        )
    if target.is_dir():
        raise ExportError(f"Cannot write {target}: it is a folder. Choose a file name.")
    clips = clip_files is not None
    columns = _columns(utc, fmt, clips)
    where, params = where_clause(filt)
    total = PlayQueries(conn).count(filt)
    coverage = coverage_for(conn, filt)
    report = progress or (lambda _d, _t: None)
    stop = _Cancel(cancel)

    coverage_target = coverage_path_for(target) if fmt is ExportFormat.CSV else None
    temp = _temp_path(target)
    coverage_temp: Path | None = None
    try:
        with friendly_errors("read the plays to export"):
            _clip_table(conn, clip_files)
            if fmt is ExportFormat.XLSX:
                small = [_coverage_sheet(coverage, utc)]
                rows = _write_xlsx(
                    conn, temp, where, params, utc, total, report, stop, small, clips
                )
            else:
                # Each row is rendered to its final text by SQLite's C code (one string per
                # row): 3-4x faster than building tuples and formatting them in Python, where
                # a tuple of 19 values costs more than SQLite's whole formatted line.
                line = (
                    _csv_line_sql(columns) if fmt is ExportFormat.CSV else _json_object_sql(columns)
                )
                cursor = conn.execute(
                    f"SELECT {line} FROM plays WHERE {where} ORDER BY start_ts, id", params
                )
                if fmt is ExportFormat.CSV:
                    rows = _write_csv(temp, cursor, columns, total, report, stop)
                else:
                    rows = _write_json(temp, cursor, total, report, stop, filt, coverage)
        if coverage_target is not None:
            coverage_temp = _temp_path(coverage_target)
            _write_coverage_csv(coverage_temp, coverage_rows(coverage), utc)
            os.replace(coverage_temp, coverage_target)
        os.replace(temp, target)
    except OSError as exc:
        raise ExportError(describe_os_error(exc, target)) from exc
    finally:
        if clips:
            conn.execute("DROP TABLE IF EXISTS temp.export_clips")
        for leftover in (temp, coverage_temp):
            if leftover is not None and leftover.exists():
                leftover.unlink(missing_ok=True)
    return ExportResult(target, rows, fmt, coverage, coverage_target)


def _clip_table(conn: sqlite3.Connection, clip_files: Mapping[int, str] | None) -> None:
    if clip_files is None:
        return
    conn.execute("DROP TABLE IF EXISTS temp.export_clips")
    conn.execute("CREATE TEMP TABLE export_clips (play_id INTEGER PRIMARY KEY, path TEXT)")
    conn.executemany("INSERT INTO temp.export_clips VALUES (?, ?)", clip_files.items())


def _temp_path(target: Path) -> Path:
    """A fresh name in the target's folder, so the final rename is atomic and a read-only
    folder fails here, before any work, with a clear message."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise ExportError(describe_os_error(exc, target)) from exc
    os.close(fd)
    return Path(name)


def _batches(cursor: sqlite3.Cursor, cancel: _Cancel):
    while True:
        if cancel():
            raise ExportCancelled("Export cancelled; no file was written.")
        batch = cursor.fetchmany(BATCH_ROWS)
        if not batch:
            return
        yield batch


def _csv_line_sql(columns: list[_Column]) -> str:
    """One CSV line per play: text quoted (quotes doubled) and formula-safe, numbers bare,
    NULL as an empty field.

    One printf() per row, with printf's `%w` (which doubles double quotes) for the text cells
    and the formula guard as the rule of `formula_safe` on the first code point: measured 30 %
    less CPU than the same line built with `||`, replace() and substr(), which copy the growing
    line once per column.
    """
    pieces, values = [], []
    for column in columns:
        pieces.append("%s")
        if column.text:
            value = column.sql
            values.append(
                f"CASE WHEN {value} IS NULL THEN '' "
                f"WHEN unicode({value}) IN ({_DANGEROUS_CODES}) THEN printf('\"''%w\"', {value}) "
                f"ELSE printf('\"%w\"', {value}) END"
            )
        else:
            values.append(column.sql)  # printf's %s prints NULL as nothing
    return f"printf('{','.join(pieces)}', {', '.join(values)})"


def _json_object_sql(columns: list[_Column]) -> str:
    pairs = []
    for column in columns:
        value = column.sql
        if column.json_name in ("false_positive", "ai_generated"):
            value = f"json(CASE WHEN {value} THEN 'true' ELSE 'false' END)"
        pairs.append(f"'{column.json_name}', {value}")
    return f"json_object({', '.join(pairs)})"


def _write_lines(
    out: TextIO, cursor, separator: str, total: int, progress, cancel, first_sep: str
) -> int:
    done = 0
    for batch in _batches(cursor, cancel):
        out.write((first_sep if done == 0 else separator) + separator.join(r[0] for r in batch))
        done += len(batch)
        progress(done, total)
    return done


def _write_csv(temp, cursor, columns, total, progress, cancel) -> int:
    # utf-8-sig writes the BOM Excel needs to read UTF-8; rows end in CRLF as RFC 4180 says.
    with open(temp, "w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerow([c.header for c in columns])
        done = _write_lines(out, cursor, "\r\n", total, progress, cancel, first_sep="")
        if done:
            out.write("\r\n")
    return done


def _sheet_columns(utc: bool, clips: bool = False) -> list[SheetColumn]:
    """The CSV columns as typed cells: times become real Excel date-times (serial days since
    1899-12-30, Julian day 2415018.5), numbers stay numbers, text is never a formula."""
    zone = "" if utc else ", 'localtime'"
    suffix = "UTC" if utc else "local time"
    end_ts = "COALESCE(end_ts, start_ts + CAST(play_length AS INTEGER))"
    kinds: dict[str, Kind] = {
        "start": "datetime",
        "end": "datetime",
        "duration": "number",
        "score": "number",
        "false_positive": "number",
        "ai_generated": "number",
        "id": "number",
    }
    sql = {
        "start": f"julianday(start_ts, 'unixepoch'{zone}) - 2415018.5",
        "end": f"julianday({end_ts}, 'unixepoch'{zone}) - 2415018.5",
    }
    widths = {
        "station": 22,
        "start": 19,
        "end": 19,
        "artist": 28,
        "title": 32,
        "album": 28,
        "label": 20,
        "clip_file": 40,
    }
    return [
        SheetColumn(
            header=c.header.replace("local time", suffix),
            sql=sql.get(c.json_name, c.sql),
            kind=kinds.get(c.json_name, "text"),
            width=widths.get(c.json_name, 14),
        )
        for c in _columns(utc, ExportFormat.XLSX, clips)
    ]


def _write_xlsx(conn, temp, where, params, utc, total, progress, cancel, small, clips) -> int:
    def fetch(row_expression: str):
        cursor = conn.execute(
            f"SELECT {row_expression} FROM plays WHERE {where} ORDER BY start_ts, id", params
        )
        return _batches(cursor, cancel)

    return write_xlsx(
        temp, _sheet_columns(utc, clips), total, fetch, lambda done: progress(done, total), small
    )


def _coverage_cells(row: CoverageRow, utc: bool) -> list[object]:
    return [
        row.station,
        row.row,
        wall_clock(row.start, utc),
        wall_clock(row.end, utc),
        row.hours,
        row.requested_s,
        row.covered_s,
        row.covered_percent,
        row.not_monitored_s,
    ]


def _write_coverage_csv(temp: Path, rows: list[CoverageRow], utc: bool) -> None:
    with open(temp, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers(utc))
        for row in rows:
            cells = _coverage_cells(row, utc)
            writer.writerow(
                [
                    ""
                    if value is None
                    else value.strftime("%Y-%m-%d %H:%M:%S")
                    if isinstance(value, datetime)
                    else formula_safe(value)
                    if isinstance(value, str)
                    else value
                    for value in cells
                ]
            )


def _coverage_sheet(coverage: CoverageReport, utc: bool) -> SmallSheet:
    number: Kind = "number"
    kinds: list[Kind] = ["text", "text", "datetime", "datetime", "text", *[number] * 4]
    widths = [22, 14, 19, 19, 12, 14, 14, 12, 18]
    return SmallSheet(
        "Coverage",
        [
            SheetColumn(header, "", kind, width)
            for header, kind, width in zip(headers(utc), kinds, widths, strict=True)
        ],
        [_coverage_cells(row, utc) for row in coverage_rows(coverage)],
    )


def _write_json(
    temp, cursor, total, progress, cancel, filt: PlayFilter, coverage: CoverageReport
) -> int:
    header = {
        "format": "radiowatch-play-log",
        "version": 1,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filter": json.loads(filt.model_dump_json()),
        "total": total,
        "coverage": coverage_json(coverage),
    }
    with open(temp, "w", encoding="utf-8") as out:
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "plays": [')
        done = _write_lines(out, cursor, ",\n", total, progress, cancel, first_sep="\n")
        out.write("\n]}\n")
    return done
