"""`radiowatch-engine`: the local engine's command line.

    radiowatch-engine index CATALOG_DIR DB_DIR        fingerprint a folder (benchmark contract)
    radiowatch-engine query DB_DIR FILE...            one JSON line per file, flushed
    radiowatch-engine playlog DB_DIR FILE             one JSON line per play in a recording
    radiowatch-engine catalog add|list|remove|upgrade manage the catalog of an engine data dir
    radiowatch-engine serve [--host] [--port] ...     the AudD-compatible server
    radiowatch-engine demo [--data-dir D]             demo catalog + demo station, then serve

The subcommands live beside the code they drive; this module only parses and dispatches, and
imports each implementation lazily so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from radiowatch import __version__

# subcommand -> "module:function"; each function takes the parsed argparse.Namespace and
# returns a process exit code.
_COMMANDS = {
    "index": "radiowatch.engine.commands:run_index",
    "query": "radiowatch.engine.commands:run_query",
    "playlog": "radiowatch.engine.streams.playlog:run_playlog",
    "catalog": "radiowatch.engine.commands:run_catalog",
    "serve": "radiowatch.engine.serve:run_serve",
    "demo": "radiowatch.engine.serve:run_demo",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="radiowatch-engine",
        description="radiowatch's local recognition engine (speaks the AudD protocol).",
    )
    parser.add_argument("--version", action="version", version=f"radiowatch-engine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="fingerprint every audio file in CATALOG_DIR into DB_DIR")
    p.add_argument("catalog_dir")
    p.add_argument("db_dir")
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")

    p = sub.add_parser("query", help="identify audio files; one JSON line per file")
    p.add_argument("db_dir")
    p.add_argument("files", nargs="+")

    p = sub.add_parser(
        "playlog", help="the plays in a recording (any length); one JSON line per play"
    )
    p.add_argument("db_dir")
    p.add_argument("file")
    p.add_argument(
        "--min-play-s",
        type=float,
        default=None,
        help="shortest airing reported as a play (default 15 s; shorter ones are teases)",
    )

    p = sub.add_parser("catalog", help="add, list or remove catalog tracks")
    p.add_argument("--data-dir", default=None, help="engine data dir (default: the profile's)")
    csub = p.add_subparsers(dest="catalog_command", required=True)
    c = csub.add_parser("add", help="add audio files or folders")
    c.add_argument("paths", nargs="+")
    c.add_argument("--jobs", type=int, default=0)
    c.add_argument("--kind", choices=["song", "jingle", "ad"], default="song")
    c = csub.add_parser(
        "upgrade", help="rebuild an older-format index now (otherwise done on first use)"
    )
    c.add_argument("--jobs", type=int, default=0)
    c = csub.add_parser("list", help="list tracks (JSON lines with --json)")
    c.add_argument("--json", action="store_true")
    c = csub.add_parser("remove", help="remove tracks by id, or the demo songs with --demo")
    c.add_argument("track_ids", nargs="*")
    c.add_argument("--demo", action="store_true", help="remove the songs the demo added")

    for name, text in (
        ("serve", "run the AudD-compatible server"),
        ("demo", "create the demo catalog and station, then serve"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=0, help="0 picks a free port")
        p.add_argument("--data-dir", default=None, help="engine data dir (default: the profile's)")
        p.add_argument(
            "--token",
            default=None,
            help="accepted api_token (default: $RADIOWATCH_ENGINE_TOKEN or the stored one)",
        )
    return parser


# The engine parallelises by process (catalog ingest) and by stream; BLAS threads on its small
# matrices only spin against each other: one 10 s query took 107 ms at p95 with OpenBLAS's
# default threads and 51 ms with one. Must be set before numpy is first imported.
_SINGLE_THREADED_NUMERICS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv: list[str] | None = None) -> int:
    for name in _SINGLE_THREADED_NUMERICS:
        os.environ.setdefault(name, "1")
    args = build_parser().parse_args(argv)
    module_name, func_name = _COMMANDS[args.command].split(":")
    func = getattr(import_module(module_name), func_name)
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
