"""`index`, `query` and `catalog` subcommands of `radiowatch-engine` (benchmark contract).

    index CATALOG_DIR DB_DIR   every audio file in CATALOG_DIR, id = file name without extension
    query DB_DIR FILE...       one JSON line per file, flushed as soon as it is known:
        {"file", "track_id", "offset_s", "score", "elapsed_s", "speed"[, "error"]}

Progress and per-file errors go to stderr; stdout carries only results.
"""

from __future__ import annotations

import json
import sys
import time
from argparse import Namespace
from pathlib import Path

from radiowatch.engine.fingerprint.catalog import FORMAT, MATCH_THRESHOLD, Catalog
from radiowatch.engine.fingerprint.decode import DecodeError, decode_file
from radiowatch.engine.fingerprint.ingest_jobs import FileResult, audio_files, ingest
from radiowatch.engine.fingerprint.upgrade import upgrade_catalog


def _progress(started: float):
    audio = [0.0]

    def report(r: FileResult, done: int, total: int) -> None:
        name = Path(r.path).name
        audio[0] += r.duration_s
        rate = audio[0] / max(time.monotonic() - started, 1e-6)
        if r.error:
            status = f"ERROR {r.error}"
        elif r.skipped:
            status = "already indexed"
        else:
            status = f"ok {r.duration_s:.0f} s as {r.track_id}"
        print(
            f"[{done}/{total}] {name}: {status} ({rate:.0f}x realtime)", file=sys.stderr, flush=True
        )

    return report


def _summary(results: list[FileResult], started: float) -> int:
    ok = sum(1 for r in results if r.track_id and not r.skipped)
    skipped = sum(1 for r in results if r.skipped)
    errors = [r for r in results if r.error]
    audio = sum(r.duration_s for r in results)
    wall = time.monotonic() - started
    print(
        f"indexed {ok} file(s) ({audio / 60:.1f} min of audio) in {wall:.1f} s, "
        f"{skipped} already indexed, {len(errors)} error(s)",
        file=sys.stderr,
        flush=True,
    )
    for r in errors:
        print(f"  failed: {r.error}", file=sys.stderr)
    return 0 if ok or skipped or not errors else 1


def run_index(args: Namespace) -> int:
    catalog_dir = Path(args.catalog_dir)
    if not catalog_dir.is_dir():
        print(f"error: {catalog_dir} is not a folder", file=sys.stderr)
        return 2
    files = audio_files([catalog_dir])
    if not files:
        print(f"error: no audio files in {catalog_dir}", file=sys.stderr)
        return 1
    started = time.monotonic()
    with Catalog.open(args.db_dir) as catalog:
        catalog.sweep()
        if not _upgrade(catalog, getattr(args, "jobs", 0)):
            return 1
        results = ingest(
            catalog,
            files,
            jobs=getattr(args, "jobs", 0),
            ids_from_stem=True,
            on_result=_progress(started),
        )
        catalog.compact()
    return _summary(results, started)


def run_query(args: Namespace) -> int:
    db_dir = Path(args.db_dir)
    if not (db_dir / "catalog.sqlite").exists():
        print(
            f"error: {db_dir} holds no index; run `radiowatch-engine index` first", file=sys.stderr
        )
        return 2
    with Catalog.open(db_dir) as catalog:
        for name in args.files:
            print(json.dumps(_query_one(catalog, name)), flush=True)
    return 0


def _query_one(catalog: Catalog, name: str) -> dict:
    started = time.perf_counter()
    out = {"file": str(Path(name).resolve()), "track_id": None, "offset_s": None, "score": 0}
    try:
        samples = decode_file(name)
    except DecodeError as exc:
        out["error"] = str(exc)
        out["elapsed_s"] = round(time.perf_counter() - started, 4)
        return out
    best = catalog.best_guess(samples)
    if best is not None:
        out["score"] = best.score
        if best.score >= MATCH_THRESHOLD:
            # AudD's offset: where in the song the query starts, so 0 if the song starts later
            out.update(
                track_id=best.track.track_id,
                offset_s=max(best.offset_s, 0.0),
                speed=best.speed,
                tempo=best.tempo,
            )
    out["elapsed_s"] = round(time.perf_counter() - started, 4)
    return out


def _upgrade(catalog: Catalog, jobs: int = 0) -> bool:
    """Bring an older-format index up to date, with progress on stderr; False if it failed."""
    if not catalog.needs_upgrade:
        return True
    print(
        f"upgrading the catalog's index to format {FORMAT} (from the tracks' source files; "
        "interrupting is safe, the next run resumes)",
        file=sys.stderr,
        flush=True,
    )

    def progress(done: int, total: int) -> None:
        print(f"[upgrade {done}/{total}]", file=sys.stderr, flush=True)

    report = upgrade_catalog(catalog, jobs=jobs, on_progress=progress)
    print(
        f"upgraded {report.upgraded} track(s) in {report.seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    if report.missing:
        print(
            f"{len(report.missing)} track(s) need their audio file again (the index's "
            "stored peaks cannot rebuild their keys); they stay in the catalog but are not "
            "recognised until their file is indexed again under the same id (a file named "
            "<id>.ext: `radiowatch-engine index FOLDER DATA_DIR`):",
            file=sys.stderr,
        )
        for track_id, why in report.missing:
            print(f"  {track_id}: {why}", file=sys.stderr)
    return report.finished


def run_catalog(args: Namespace) -> int:
    with Catalog.open(_data_dir(args)) as catalog:
        if args.catalog_command == "upgrade":
            return 0 if _upgrade(catalog, args.jobs) else 1
        if not _upgrade(catalog, getattr(args, "jobs", 0)):
            return 1
        if args.catalog_command == "add":
            started = time.monotonic()
            files = audio_files(args.paths)
            if not files:
                print("error: no audio files found in the given paths", file=sys.stderr)
                return 1
            results = ingest(
                catalog, files, jobs=args.jobs, kind=args.kind, on_result=_progress(started)
            )
            return _summary(results, started)
        if args.catalog_command == "list":
            lost = catalog.unindexed()  # no keys since an upgrade could not read their file
            for t in catalog.tracks():
                if args.json:
                    print(json.dumps(t.__dict__ | {"needs_file": lost.get(t.track_id)}), flush=True)
                else:
                    who = " - ".join(x for x in (t.artist, t.title) if x) or "(untitled)"
                    origin = f"\t[{t.provenance}]" if t.provenance else ""
                    why = lost.get(t.track_id)
                    needs = (
                        f"\t(not recognised: needs its audio file again, {why}; index the file "
                        f"again under the id {t.track_id!r})"
                        if why
                        else ""
                    )
                    print(f"{t.track_id}\t{t.kind}\t{t.duration_s:7.1f} s\t{who}{origin}{needs}")
            return 0
        if args.catalog_command == "remove":
            return _remove(
                catalog,
                list(getattr(args, "track_ids", None) or []),
                bool(getattr(args, "demo", False)),
            )
    return 2


def _remove(catalog: Catalog, track_ids: list[str], demo: bool) -> int:
    """Remove tracks by id and/or the demo's songs; a missing id is an error, the rest go."""
    if not track_ids and not demo:
        print(
            "error: say which tracks to remove: give track ids (see `catalog list`) "
            "or --demo for the songs the demo added",
            file=sys.stderr,
        )
        return 2
    if demo:
        from radiowatch.engine.demo.startup import remove_demo_catalog

        removed = remove_demo_catalog(catalog)
        print(f"removed {removed} demo song(s)", file=sys.stderr)
    missing = [t for t in track_ids if not catalog.remove(t)]
    for t in missing:
        print(f"error: no track {t!r} in the catalog", file=sys.stderr)
    return 1 if missing else 0


def _data_dir(args: Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    from radiowatch.config.paths import profile_dirs

    return profile_dirs().data / "engine"
