"""`radiowatch stations`: list, add, remove, enable and disable stations from a script.

    radiowatch stations list [--json]
    radiowatch stations add NAME STREAM [--radio-id N] [--disabled] [--timeout SECONDS]
    radiowatch stations remove STATION
    radiowatch stations enable STATION
    radiowatch stations disable STATION

STATION is a station's radio_id or its name (any case). A station is checked and its playlist
resolved exactly as in the app's station dialog (radiowatch/stations/station_input.py); a
running app picks the change up within a few seconds.

Exit codes: 0 done; 1 the database could not be used; 2 bad arguments, or the station was
not accepted (name, stream or radio_id; a playlist that could not be resolved), nothing
written; 3 no such station. Results go to stdout, problems to stderr, saying what to do.

It composes the station store with the profile's database, like `radiowatch export` does, so
it lives beside cli.py rather than in stations/ (which knows nothing of where the database is).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from radiowatch.stations.errors import StationError
from radiowatch.stations.playlists import DEFAULT_TIMEOUT
from radiowatch.stations.sources import SOURCE_HELP
from radiowatch.stations.station_input import save_station
from radiowatch.stations.store import Station, StationStore

OK, DATABASE, REFUSED, NOT_FOUND = 0, 1, 2, 3
PROG = "radiowatch stations"


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # raise instead of sys.exit: run_stations returns 2
        raise _ArgumentError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="List, add, remove, enable or disable the monitored stations.",
        epilog="STATION is a station's radio_id or its name. Exit codes: 0 done, 1 the "
        "database could not be used, 2 bad arguments or the station was not accepted, "
        "3 no such station.",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the radiowatch profile folder (default: the usual one)"
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    commands.required = True
    listing = commands.add_parser("list", help="the stations, one a line (or --json)")
    listing.add_argument("--json", action="store_true", help="a JSON array, for scripts")
    add = commands.add_parser(
        "add", help="check, resolve its playlist and add a station", description=SOURCE_HELP
    )
    add.add_argument("name", metavar="NAME", help="the station's name, e.g. 'Radio Paradise'")
    add.add_argument("stream", metavar="STREAM", help="stream URL, playlist URL or file, ...")
    add.add_argument(
        "--radio-id", metavar="N", help="the number AudD uses for it (default: the next free)"
    )
    add.add_argument("--disabled", action="store_true", help="add it without monitoring it")
    add.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for a playlist (default {DEFAULT_TIMEOUT:.0f})",
    )
    for name, text in (
        ("remove", "remove a station (its plays stay in the history)"),
        ("enable", "monitor a station again"),
        ("disable", "stop monitoring a station, keeping it"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("station", metavar="STATION", help="radio_id or name")
    for sub in commands.choices.values():  # `--data-dir` after the command works too
        sub.add_argument("--data-dir", metavar="DIR", help=argparse.SUPPRESS, dest="data_dir_")
    return parser


def run_stations(argv: Sequence[str]) -> int:
    """Run `radiowatch stations` with `argv` (without the leading 'stations')."""
    try:
        args = _parser().parse_args(list(argv))
    except _ArgumentError as exc:
        return _fail(str(exc), REFUSED)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    data_dir = getattr(args, "data_dir_", None) or args.data_dir
    db_path = _database_path(data_dir)
    if args.command != "add" and not db_path.exists():
        return _fail(
            f"there is no radiowatch database at {db_path}: no stations yet. "
            "Check --data-dir, or add one with `radiowatch stations add NAME STREAM`.",
            DATABASE,
        )
    from radiowatch.history.database import DatabaseError, open_database

    try:
        db = open_database(db_path)
    except DatabaseError as exc:
        return _fail(str(exc), DATABASE)
    try:
        store = StationStore(db)
        if args.command == "list":
            return _list(store, as_json=args.json)
        if args.command == "add":
            return _add(store, args)
        return _change(store, args.command, args.station)
    except StationError as exc:
        return _fail(exc.message, REFUSED)
    except sqlite3.Error as exc:
        return _fail(
            f"the database {db_path} could not be used ({exc}). If radiowatch is busy "
            "writing it, try again in a moment.",
            DATABASE,
        )
    finally:
        db.close()


def _database_path(data_dir: str | None) -> Path:
    from radiowatch.config.paths import profile_dirs

    return profile_dirs(data_dir).database


def _fail(message: str, code: int) -> int:
    text = message if message.startswith(PROG) else f"{PROG}: {message}"
    print(text, file=sys.stderr)
    return code


def _list(store: StationStore, *, as_json: bool) -> int:
    stations = store.list()
    if as_json:
        print(json.dumps([_as_json(s) for s in stations], indent=2, ensure_ascii=False))
        return OK
    if not stations:
        print("No stations yet. Add one: radiowatch stations add NAME STREAM", file=sys.stderr)
        return OK
    width = max(len(s.name) for s in stations)
    print(f"{'radio_id':>10}  {'state':<5}  {'name':<{width}}  stream")
    for s in stations:
        origin = f"  (from {s.entered})" if s.entered != s.source else ""
        state = "on" if s.enabled else "off"
        print(f"{s.radio_id:>10}  {state:<5}  {s.name:<{width}}  {s.source}{origin}")
    return OK


def _as_json(station: Station) -> dict:
    return {
        "radio_id": station.radio_id,
        "name": station.name,
        "source": station.source,
        "entered": station.entered,
        "enabled": station.enabled,
        "created_at": station.created_at,
        "updated_at": station.updated_at,
    }


def _add(store: StationStore, args: argparse.Namespace) -> int:
    saved = asyncio.run(
        save_station(
            store,
            name=args.name,
            entered=args.stream,
            radio_id=args.radio_id,
            enabled=not args.disabled,
            timeout=args.timeout,
        )
    )
    station = saved.station
    state = "" if station.enabled else ", not monitored yet"
    print(f"Added '{station.name}' (radio_id {station.radio_id}{state}): {station.source}")
    if saved.note:
        print(saved.note)
    return OK


def _change(store: StationStore, command: str, wanted: str) -> int:
    station, problem = _find(store, wanted)
    if station is None:
        return _fail(problem, NOT_FOUND)
    label = f"'{station.name}' (radio_id {station.radio_id})"
    if command == "remove":
        store.remove(station.id)
        print(f"Removed {label}. Its plays stay in the history.")
        return OK
    enable = command == "enable"
    if station.enabled == enable:
        print(f"{label} was already {'monitored' if enable else 'off'}.")
        return OK
    store.update(station.id, enabled=enable)
    print(f"{label} is {'monitored again' if enable else 'off: no longer monitored'}.")
    return OK


def _find(store: StationStore, wanted: str) -> tuple[Station | None, str]:
    """The station `wanted` names: its radio_id, else its name (any case, spaces tidied)."""
    text = " ".join(wanted.split())
    if text.isdigit():
        station = store.by_radio_id(int(text))
        if station is not None:
            return station, ""
    named = [s for s in store.list() if s.name.casefold() == text.casefold()]
    if len(named) == 1:
        return named[0], ""
    if named:
        ids = ", ".join(str(s.radio_id) for s in named)
        return (
            None,
            f"{len(named)} stations are called '{text}' (radio_id {ids}): give the radio_id.",
        )
    known = ", ".join(f"{s.radio_id} {s.name}" for s in store.list()) or "none yet"
    return None, f"no station '{text}'. The stations (radio_id name): {known}."


def main() -> int:
    return run_stations(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
