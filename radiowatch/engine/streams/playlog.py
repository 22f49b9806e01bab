"""Play logs of recordings: which catalog songs aired in a file, from when to when.

`scan_recording` feeds a recording (recording.py) through the same PlayTracker that monitors
live streams and reports each play as soon as it is final. It backs the benchmark command

    radiowatch-engine playlog DB_DIR FILE

(one JSON line per play on stdout, flushed: `{"track_id", "start_s", "end_s", "score",
"speed", ...}`, positions in seconds from the start of the file; progress and errors on
stderr) and the engine's `/playlog/` scans for the GUI.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from radiowatch.engine.fingerprint.catalog import confidence
from radiowatch.engine.streams.play_detection import DetectionSettings, Play, PlayChange
from radiowatch.engine.streams.recording import RecordingDamaged, read_recording
from radiowatch.engine.streams.tracker import PlayTracker, plain_song

PROGRESS_EVERY_S = 60.0  # seconds of audio between progress reports


def play_record(play: Play) -> dict[str, Any]:
    """A finished play as the play log reports it (positions in seconds of the recording)."""
    end = play.end if play.end is not None else play.last_match
    record: dict[str, Any] = {
        "track_id": play.track_id,
        "start_s": round(play.start, 2),
        "end_s": round(end, 2),
        "score": confidence(play.score),
        "speed": round(play.time_scale, 4),
    }
    if play.speed == 1.0 and play.time_scale != 1.0:  # a time-stretch: tempo changed, pitch not
        record["pitch_kept"] = True
    record.update({k: v for k, v in play.song.items() if k in ("artist", "title")})
    record["song"] = {k: v for k, v in play.song.items() if k != "timecode"}
    if play.sure_at is not None:
        record["sure_at_s"] = round(play.sure_at, 2)  # when a live listener would have known
    return record


@dataclass
class ScanOutcome:
    plays: int
    seconds: float  # audio read
    error: str | None = None  # the recording is damaged from `seconds` on
    stopped: bool = False


def scan_recording(
    catalog: Any,
    source: str | Path | IO[bytes],
    on_play: Callable[[dict[str, Any]], None],
    *,
    name: str | None = None,
    settings: DetectionSettings | None = None,
    describe: Callable[[Any], dict[str, Any]] = plain_song,
    on_progress: Callable[[float], None] | None = None,
    progress_every_s: float = PROGRESS_EVERY_S,
    stop: threading.Event | None = None,
) -> ScanOutcome:
    """Scan `source` (a path or a seekable file called `name`) and call `on_play` with each
    play's record as soon as it is final; `describe(match)` gives a play's song object.

    Raises RecordingError when the file cannot be read at all; damage part-way ends the scan
    with the plays before it reported and `error` set.
    """
    tracker = PlayTracker(catalog, settings, describe=describe)
    count = 0
    next_progress = progress_every_s

    def emit(changes: list[PlayChange]) -> None:
        nonlocal count
        for change in changes:
            if change.ended is not None:
                count += 1
                on_play(play_record(change.ended))

    error = None
    try:
        for at, samples in read_recording(source, name=name, stop=stop):
            emit(tracker.feed(samples, at))
            if on_progress is not None and tracker.now() >= next_progress:
                on_progress(tracker.now())
                next_progress = tracker.now() + progress_every_s
    except RecordingDamaged as exc:
        error = str(exc)
    stopped = stop is not None and stop.is_set()
    if not stopped:
        emit(tracker.finish())
    return ScanOutcome(count, tracker.now(), error, stopped)


def run_playlog(args: Namespace) -> int:
    """`radiowatch-engine playlog DB_DIR FILE`: exit 0 when the whole file was read, 1 when it
    is damaged part-way (the plays before the damage are printed), 2 when it cannot be read."""
    from radiowatch.engine.fingerprint.catalog import Catalog
    from radiowatch.engine.streams.recording import RecordingError

    db_dir = Path(args.db_dir)
    if not (db_dir / "catalog.sqlite").exists():
        print(
            f"error: {db_dir} holds no index; run `radiowatch-engine index` first", file=sys.stderr
        )
        return 2
    settings = (
        DetectionSettings(min_play_s=args.min_play_s) if args.min_play_s is not None else None
    )
    started = time.monotonic()

    def progress(seconds: float) -> None:
        rate = seconds / max(time.monotonic() - started, 1e-6)
        print(
            f"[playlog] {seconds / 60:.0f} min read ({rate:.0f}x real time)",
            file=sys.stderr,
            flush=True,
        )

    with Catalog.open(db_dir) as catalog:
        try:
            outcome = scan_recording(
                catalog,
                args.file,
                lambda record: print(json.dumps(record), flush=True),
                settings=settings,
                on_progress=progress,
            )
        except RecordingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    wall = time.monotonic() - started
    print(
        f"[playlog] {outcome.plays} play(s) in {outcome.seconds / 60:.1f} min of audio, "
        f"{wall:.1f} s ({outcome.seconds / max(wall, 1e-6):.0f}x real time)",
        file=sys.stderr,
        flush=True,
    )
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    return 0
