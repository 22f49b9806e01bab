"""The archive: what every monitored station sent, kept as received, with its peaks.

Layout, in `<engine data dir>/archive/`:

    archive.sqlite                  the index (database.py)
    audio/<radio_id>/<YYYY-MM-DD>/<connection>-<n>.mp3|.aac|.ogg|.flac
                                    segment files, bytes as received

Writing happens on each station's reader thread through its `StationRecorder` (recorder.py).
A segment's file is written with plain appends (no buffering in the process), so a killed
engine loses nothing the kernel already has; its row is in the index from its first second,
marked open. `recover()`, run when the engine starts, closes such rows by measuring their files
(so the audio of the segment being written at the crash stays readable; a FLAC file that ends
inside a frame is first cut back to its last whole one), finds their missing peaks by decoding
them (`recover_peaks`), deletes files the index does not know (a crash between creating a file
and its row) and rows whose file is gone.

Limits (`enforce_limits`, after segments close and on the runtime's timer): audio older than
`retention_days` and peaks older than `peaks_retention_days` go; then, while a station uses
more than `station_cap_mb` or all stations more than `total_cap_mb`, the oldest closed audio
segment goes (a station's peaks only once it has no audio left, as they are a few MB a day).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive import media
from radiowatch.engine.archive.database import DB_NAME, ArchiveDatabase, SegmentRow
from radiowatch.engine.archive.recorder import StationRecorder

log = logging.getLogger(__name__)

MB = 1_000_000
DAY_S = 86400.0
_ENFORCE_EVERY_S = 10.0


@dataclass(frozen=True)
class ArchiveSettings:
    """From engine-settings.json (`archive_*` keys, see engine/runtime.py)."""

    keep_audio: bool = True
    retention_days: float = 7.0
    peaks_retention_days: float = 30.0
    station_cap_mb: float = 10_000.0
    total_cap_mb: float = 20_000.0
    segment_s: float = 300.0
    peak_block_s: float = 30.0
    # a gap in monitoring longer than this is "not monitored"; shorter ones are reconnects
    span_join_s: float = 180.0


class Archive:
    def __init__(
        self, root: Path, settings: ArchiveSettings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.root = Path(root)
        self.audio_dir = self.root / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.clock = clock
        self.db = ArchiveDatabase(self.root / DB_NAME)
        self._recorders: dict[int, StationRecorder] = {}
        self._lock = threading.Lock()
        self._limits_lock = threading.Lock()
        self._last_enforced = 0.0

    @classmethod
    def open(cls, data_dir: Path, settings: ArchiveSettings) -> Archive:
        return cls(Path(data_dir) / "archive", settings)

    def close(self) -> None:
        self.db.close()

    # -- writing (reader threads) --------------------------------------------------------------
    def recorder(self, radio_id: int) -> StationRecorder:
        """The ingest tap of a station (one per station, reused across its connections)."""
        with self._lock:
            if radio_id not in self._recorders:
                self._recorders[radio_id] = StationRecorder(self, radio_id)
            return self._recorders[radio_id]

    def segment_path(self, radio_id: int, name: str, fmt: str) -> tuple[str, Path]:
        day = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d")
        rel = f"audio/{radio_id}/{day}/{name}{media.ARCHIVABLE[fmt][2]}"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return rel, path

    def path_of(self, row: SegmentRow) -> Path:
        return self.root / row.path

    def add_peaks(
        self,
        radio_id: int,
        start_s: float,
        end_s: float,
        frames: np.ndarray,
        half_bands: np.ndarray,
    ) -> None:
        blob = fp.encode_block(frames, half_bands)
        self.db.add_peak_block(
            radio_id, start_s, end_s, fp.PEAKS_VERSION, int(np.size(frames)), blob
        )
        self.touch_span(radio_id)

    def touch_span(self, radio_id: int) -> None:
        self.db.touch_span(radio_id, self.clock(), join_within_s=self.settings.span_join_s)

    def segment_closed(self, radio_id: int) -> None:
        self.touch_span(radio_id)
        if self.clock() - self._last_enforced >= _ENFORCE_EVERY_S:
            self.enforce_limits()

    # -- after a crash ------------------------------------------------------------------------
    def recover(self) -> list[SegmentRow]:
        """Close segments a killed engine left open, drop files without rows and rows without
        files. Returns the segments closed, whose peaks `recover_peaks` should fill in."""
        recovered: list[SegmentRow] = []
        for row in self.db.open_segments():
            path = self.path_of(row)
            try:
                if path.exists():
                    media.trim_partial_frame(path, row.format)
                duration = media.measure(path, row.format) if path.exists() else 0.0
            except media.MediaError:
                duration = 0.0
            if duration <= 0:
                self.db.delete_segments([row.id])
                path.unlink(missing_ok=True)
                continue
            size = path.stat().st_size
            self.db.close_segment(row.id, row.start_s, row.start_s + duration, size)
            recovered.append(
                SegmentRow(
                    row.id,
                    row.radio_id,
                    row.path,
                    row.format,
                    row.connection,
                    row.start_s,
                    row.start_s + duration,
                    size,
                )
            )
            log.info(
                "archive: kept %.0f s of stream %s written before the engine stopped",
                duration,
                row.radio_id,
            )
        known = self.db.segment_paths()
        for path in self.audio_dir.rglob("*"):
            if path.is_file() and path.relative_to(self.root).as_posix() not in known:
                path.unlink(missing_ok=True)
        missing = [r.id for r in self.db.segments() if not self.path_of(r).exists()]
        if missing:
            self.db.delete_segments(missing)
        return recovered

    def recover_peaks(self, rows: list[SegmentRow]) -> None:
        """Find the peaks of recovered segments' audio that no stored block covers (the block
        in progress at the crash): decoded from the archived bytes."""
        for row in rows:
            assert row.end_s is not None
            last = self.db.last_peak_end(row.radio_id) or row.start_s
            if last >= row.end_s - 1.0:
                continue
            from_s = max(last, row.start_s)
            try:
                samples = media.decode_mono(
                    self.path_of(row).read_bytes(), row.format, fp.SAMPLE_RATE
                )
            except OSError:
                continue
            first = int((from_s - row.start_s) * fp.SAMPLE_RATE)
            back = min(first, fp.EDGE_SAMPLES)
            back -= back % fp.HOP_SAMPLES
            piece = samples[first - back :]
            if piece.size - back < fp.SAMPLE_RATE:
                continue
            frames, half_bands = fp.stream_peaks(piece)
            shift = back // fp.HOP_SAMPLES
            keep = frames >= shift
            end_s = from_s + (piece.size - back) / fp.SAMPLE_RATE
            self.add_peaks(row.radio_id, from_s, end_s, frames[keep] - shift, half_bands[keep])

    # -- limits ---------------------------------------------------------------------------------
    def enforce_limits(self, now: float | None = None) -> int:
        """Apply retention and caps; returns the number of bytes freed."""
        with self._limits_lock:
            now = self.clock() if now is None else now
            self._last_enforced = now
            s = self.settings
            freed = self._drop(
                self.db.query(
                    "SELECT id, path, bytes FROM segments WHERE end_s IS NOT NULL AND end_s < ?",
                    (now - s.retention_days * DAY_S,),
                )
            )
            with self.db.transaction() as db:
                db.execute(
                    "DELETE FROM peak_blocks WHERE end_s < ?",
                    (now - s.peaks_retention_days * DAY_S,),
                )
            usage = self._bytes_by_station()
            for radio_id, used in usage.items():
                if used > s.station_cap_mb * MB:
                    freed += self._shrink(radio_id, used - s.station_cap_mb * MB)
            total = sum(self._bytes_by_station().values())
            if total > s.total_cap_mb * MB:
                freed += self._shrink(None, total - s.total_cap_mb * MB)
            return freed

    def _bytes_by_station(self) -> dict[int, int]:
        usage: dict[int, int] = {}
        for radio_id, used in self.db.query(
            "SELECT radio_id, SUM(bytes) FROM segments GROUP BY radio_id"
        ):
            usage[int(radio_id)] = int(used or 0)
        for radio_id, used in self.db.query(
            "SELECT radio_id, SUM(LENGTH(peaks)) FROM peak_blocks GROUP BY radio_id"
        ):
            usage[int(radio_id)] = usage.get(int(radio_id), 0) + int(used or 0)
        return usage

    def _shrink(self, radio_id: int | None, excess: float) -> int:
        """Free at least `excess` bytes of one station (None: of all), oldest first."""
        where = "end_s IS NOT NULL" + ("" if radio_id is None else " AND radio_id = ?")
        args: tuple[Any, ...] = () if radio_id is None else (radio_id,)
        victims, planned = [], 0
        for row in self.db.query(
            f"SELECT id, path, bytes FROM segments WHERE {where} ORDER BY start_s", args
        ):
            if planned >= excess:
                break
            victims.append(row)
            planned += int(row[2])
        freed = self._drop(victims)
        if freed < excess:
            freed += self._drop_peaks(radio_id, excess - freed)
        return freed

    def _drop(self, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        self.db.delete_segments([int(r[0]) for r in rows])
        for _id, rel, _size in rows:
            path = self.root / rel
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the day's folder, once empty
        return sum(int(r[2]) for r in rows)

    def _drop_peaks(self, radio_id: int | None, excess: float) -> int:
        where = "" if radio_id is None else "WHERE radio_id = ?"
        args: tuple[Any, ...] = () if radio_id is None else (radio_id,)
        victims, planned = [], 0
        for rid, start_s, size in self.db.query(
            f"SELECT radio_id, start_s, LENGTH(peaks) FROM peak_blocks {where} ORDER BY start_s",
            args,
        ):
            if planned >= excess:
                break
            victims.append((rid, start_s))
            planned += int(size)
        with self.db.transaction() as db:
            db.executemany("DELETE FROM peak_blocks WHERE radio_id = ? AND start_s = ?", victims)
        return planned

    # -- what it costs --------------------------------------------------------------------------
    def usage(self) -> dict[str, Any]:
        """Per station and in total: bytes kept, seconds covered, MB per station-day."""
        stations: dict[int, dict[str, Any]] = {}

        def entry(radio_id: int) -> dict[str, Any]:
            return stations.setdefault(
                radio_id,
                {
                    "radio_id": radio_id,
                    "audio_bytes": 0,
                    "audio_seconds": 0.0,
                    "segments": 0,
                    "audio_from": None,
                    "audio_to": None,
                    "peaks_bytes": 0,
                    "peaks_seconds": 0.0,
                    "peaks_from": None,
                    "peaks_to": None,
                },
            )

        now = self.clock()
        for radio_id, size, seconds, count, first, last in self.db.query(
            "SELECT radio_id, SUM(bytes), SUM(COALESCE(end_s, ?) - start_s), COUNT(*), "
            "MIN(start_s), MAX(COALESCE(end_s, ?)) FROM segments GROUP BY radio_id",
            (now, now),
        ):
            e = entry(int(radio_id))
            e.update(
                audio_bytes=int(size or 0),
                audio_seconds=round(float(seconds or 0), 1),
                segments=int(count),
                audio_from=first,
                audio_to=last,
            )
        for radio_id, size, seconds, first, last in self.db.query(
            "SELECT radio_id, SUM(LENGTH(peaks)), SUM(end_s - start_s), MIN(start_s), "
            "MAX(end_s) FROM peak_blocks GROUP BY radio_id"
        ):
            e = entry(int(radio_id))
            e.update(
                peaks_bytes=int(size or 0),
                peaks_seconds=round(float(seconds or 0), 1),
                peaks_from=first,
                peaks_to=last,
            )
        # the rate from closed segments where there are any: an open segment's bytes are
        # saved only when it closes, while its seconds run on
        closed: dict[int, tuple[int, float]] = {
            int(radio_id): (int(size or 0), float(seconds or 0))
            for radio_id, size, seconds in self.db.query(
                "SELECT radio_id, SUM(bytes), SUM(end_s - start_s) FROM segments "
                "WHERE end_s IS NOT NULL GROUP BY radio_id"
            )
        }
        for radio_id, e in stations.items():
            size, seconds = closed.get(radio_id, (0, 0.0))
            if seconds <= 0:
                size, seconds = e["audio_bytes"], e["audio_seconds"]
            e["audio_mb_per_day"] = _per_day(size, seconds)
            e["peaks_mb_per_day"] = _per_day(e["peaks_bytes"], e["peaks_seconds"])
        listed = [stations[k] for k in sorted(stations)]
        total_audio = sum(e["audio_bytes"] for e in listed)
        total_peaks = sum(e["peaks_bytes"] for e in listed)
        try:
            free = shutil.disk_usage(self.root).free
        except OSError:
            free = None
        return {
            "settings": asdict(self.settings),
            "stations": listed,
            "total": {
                "audio_bytes": total_audio,
                "peaks_bytes": total_peaks,
                "bytes": total_audio + total_peaks,
                "disk_free_bytes": free,
            },
        }


def _per_day(size: int, seconds: float) -> float | None:
    if seconds < 1:
        return None
    return round(size / seconds * DAY_S / MB, 2)
