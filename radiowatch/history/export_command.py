"""`radiowatch export`: the same play-log files as the History tab, for scheduled jobs.

    radiowatch export --format csv --from 2026-11-01 --to 2026-11-30 \\
        --station "Radio One" --station "Jazz FM" --out ~/reports/november.csv

Exit codes: 0 written, 2 bad arguments, 1 the database or the file could not be used. Messages
go to stderr and say what to do; nothing is printed on success unless --verbose, which also
prints how much of the period each station was monitored. The files always say it (a second
`<name>.coverage.csv` for CSV, a "Coverage" sheet, a `coverage` object in JSON).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

from radiowatch.history.coverage_export import describe
from radiowatch.history.play_log_export import ExportError, ExportFormat, export_plays
from radiowatch.history.queries import Daypart, PlayFilter, PlayQueries


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # raise instead of sys.exit, so run_export returns 2
        raise _ArgumentError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="radiowatch export",
        description="Export the play history (a period and some stations) to CSV, XLSX or JSON.",
    )
    parser.add_argument(
        "--format", choices=[f.value for f in ExportFormat], help="default: from --out's extension"
    )
    parser.add_argument(
        "--from",
        dest="since",
        metavar="DATE",
        help="first day (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM), local time",
    )
    parser.add_argument(
        "--to",
        dest="until",
        metavar="DATE",
        help="last day, included (YYYY-MM-DD), or moment, local time",
    )
    parser.add_argument(
        "--station",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="station name; repeat for several (default: all)",
    )
    parser.add_argument("--daypart", choices=[d.value for d in Daypart])
    parser.add_argument(
        "--search", default="", metavar="TEXT", help="only plays matching this text"
    )
    parser.add_argument(
        "--utc", action="store_true", help="write times in UTC instead of local time"
    )
    parser.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    parser.add_argument(
        "--data-dir", metavar="D", help="the radiowatch profile folder (default: the usual one)"
    )
    parser.add_argument("--verbose", action="store_true", help="print what was written")
    return parser


def _moment(text: str | None, option: str, *, end_of_day: bool) -> datetime | None:
    """Local dates/times from the command line, as aware datetimes."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time())
        else:
            moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _ArgumentError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from exc
    return moment if moment.tzinfo else moment.astimezone()


def _database_path(data_dir: str | None) -> Path:
    from radiowatch.config.paths import profile_dirs

    return profile_dirs(data_dir).database


def run_export(argv: Sequence[str]) -> int:
    """Run `radiowatch export` with `argv` (without the leading 'export'); returns the exit code."""
    from radiowatch.history.database import DatabaseError, open_database
    from radiowatch.history.errors import HistoryError

    try:
        args = _parser().parse_args(list(argv))
        since = _moment(args.since, "--from", end_of_day=False)
        until = _moment(args.until, "--to", end_of_day=True)
        if since and until and until <= since:
            raise _ArgumentError("--to is before --from: swap them")
        out = Path(args.out).expanduser()
        fmt = ExportFormat(args.format) if args.format else ExportFormat.from_path(out)
        if fmt is None:
            raise _ArgumentError(
                "give --format csv|xlsx|json, or an --out name ending in .csv, .xlsx or .json"
            )
    except _ArgumentError as exc:
        print(f"radiowatch export: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    db_path = _database_path(args.data_dir)
    if not db_path.exists():
        print(
            f"radiowatch export: there is no play history at {db_path}. Check --data-dir.",
            file=sys.stderr,
        )
        return 1
    try:
        db = open_database(db_path)
    except DatabaseError as exc:
        print(f"radiowatch export: {exc}", file=sys.stderr)
        return 1
    try:
        radio_ids: list[int] = []
        if args.station:
            radio_ids, unknown = PlayQueries(db.conn).station_ids_named(args.station)
            if unknown:
                known = ", ".join(s.name for s in PlayQueries(db.conn).stations()) or "none"
                print(
                    f"radiowatch export: unknown station(s): {', '.join(unknown)}. Known: {known}.",
                    file=sys.stderr,
                )
                return 2
        filt = PlayFilter(
            radio_ids=tuple(radio_ids),
            since=since,
            until=until,
            daypart=Daypart(args.daypart) if args.daypart else None,
            text=args.search,
        )
        result = export_plays(db.conn, filt, out, fmt, utc=args.utc)
    except (ExportError, HistoryError) as exc:
        print(f"radiowatch export: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()
    if args.verbose:
        print(f"Wrote {result.rows} plays to {result.path}")
        if result.coverage_path is not None:
            print(f"Wrote the monitoring coverage to {result.coverage_path}")
        if result.coverage is not None:
            for line in describe(result.coverage):
                print(f"  {line}")
    return 0


def main() -> int:
    return run_export(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
