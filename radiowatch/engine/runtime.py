"""The engine's composition: settings, state, catalog, recognizer, streams and events.

`EngineRuntime` is what the HTTP app talks to; `serve.py` builds one per process. Tuning lives
in an optional `<data dir>/engine-settings.json` (every key optional):

    {"window_s": 8.192, "hop_s": 2.048, "confirm_windows": 2, "end_after_s": 16, "min_play_s": 15,
     "silence_notify_s": 30, "resume_grace_s": 60, "reconnect_initial_s": 2,
     "reconnect_max_s": 60, "max_streams": 100, "workers": 0,
     "recognize_mb": 10, "enterprise_mb": 1024, "upload_mb": 200,
     "demo_song_s": 30, "demo_gap_s": 6,
     "archive_enabled": true, "archive_keep_audio": true, "archive_retention_days": 7,
     "archive_peaks_retention_days": 30, "archive_station_cap_mb": 10000,
     "archive_total_cap_mb": 20000, "archive_segment_s": 300, "archive_peak_block_s": 30,
     "archive_search_new_tracks": true, "archive_settle_s": 180,
     "archive_search_retry_s": 5, "archive_search_retry_max_s": 600,
     "archive_discover_same_airing_s": 600}

Tests use it to shorten windows and timeouts; users rarely need it, except for the archive's
retention and disk caps (engine/archive/store.py), which the GUI's Settings change over HTTP
(`/archive/settings/`, written back here by `save_changes`) and show with what they cost.
`archive_discover_same_airing_s` is Discover's default for how far apart two repeats on one
station must be to count as two airings (engine/archive/discover.py); a `/archive/discover/`
request may still give its own `same_airing_s`. A failed search of new tracks is tried again
after `archive_search_retry_s`, twice as long after each further failure, at most
`archive_search_retry_max_s` apart (engine/archive/service.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from radiowatch.engine.api.auth import TokenCheck
from radiowatch.engine.api.custom_catalog import CustomCatalog
from radiowatch.engine.api.recognition import Recognizer
from radiowatch.engine.api.replies import INVALID_AUDIO, ApiError
from radiowatch.engine.api.request import MB
from radiowatch.engine.api.upload_pool import UploadPool
from radiowatch.engine.archive.discover import SAME_AIRING_S
from radiowatch.engine.archive.service import RETRY_MAX_S, RETRY_S, ArchiveService
from radiowatch.engine.archive.store import Archive, ArchiveSettings
from radiowatch.engine.store import EngineStore, StoredStream
from radiowatch.engine.streams.callbacks import CallbackSender, StreamEvents
from radiowatch.engine.streams.event_log import EventLog
from radiowatch.engine.streams.ingest import IngestOptions
from radiowatch.engine.streams.monitor import MonitorSettings, StreamMonitor
from radiowatch.engine.streams.play_detection import DetectionSettings
from radiowatch.engine.streams.registry import StreamRegistry

log = logging.getLogger(__name__)
# tracks given peak levels per turn on the catalog writer: adds wait at most one turn
_BACKFILL_BATCH = 16

SETTINGS_FILE = "engine-settings.json"
CATALOG_REFRESH_S = 5.0


# live monitoring detects plays exactly as `radiowatch-engine playlog` does unless a setting
# says otherwise (the broadcast benchmark measures these defaults)
_DETECTION = DetectionSettings()


class EngineSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    window_s: float = _DETECTION.window_s
    hop_s: float = _DETECTION.hop_s
    confirm_windows: int = _DETECTION.confirm_windows
    end_after_s: float = _DETECTION.end_after_s
    min_play_s: float = _DETECTION.min_play_s
    anchor_tolerance_s: float = _DETECTION.anchor_tolerance_s
    silence_notify_s: float = 30.0
    silence_dbfs: float = -55.0
    resume_grace_s: float = _DETECTION.resume_grace_s
    reconnect_initial_s: float = 2.0
    reconnect_max_s: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 15.0
    max_streams: int = 100
    workers: int = 0  # recognition threads and add (fingerprinting) processes; 0 = per core
    recognize_mb: int = 10
    enterprise_mb: int = 1024
    upload_mb: int = 200
    demo_song_s: float = 30.0
    demo_gap_s: float = 6.0
    archive_enabled: bool = True
    archive_keep_audio: bool = True
    archive_retention_days: float = Field(7.0, gt=0)
    archive_peaks_retention_days: float = Field(30.0, gt=0)
    archive_station_cap_mb: float = Field(10_000.0, ge=0)
    archive_total_cap_mb: float = Field(20_000.0, ge=0)
    archive_segment_s: float = Field(300.0, ge=1, le=3600)
    archive_peak_block_s: float = Field(30.0, ge=1, le=600)
    archive_search_new_tracks: bool = True
    archive_settle_s: float = Field(180.0, ge=0)  # found plays this recent belong to live
    archive_discover_same_airing_s: float = Field(SAME_AIRING_S, ge=0, le=86400)
    archive_search_retry_s: float = Field(RETRY_S, gt=0)
    archive_search_retry_max_s: float = Field(RETRY_MAX_S, gt=0)

    @classmethod
    def load(cls, data_dir: Path) -> EngineSettings:
        path = data_dir / SETTINGS_FILE
        if not path.exists():
            return cls()
        try:
            return cls.model_validate(json.loads(path.read_text("utf-8")))
        except (ValueError, ValidationError) as exc:
            raise SystemExit(
                f"{path}: invalid engine settings ({exc}); fix or delete the file"
            ) from exc

    @classmethod
    def save_changes(cls, data_dir: Path, changes: dict[str, Any]) -> EngineSettings:
        """Validate `changes` on top of the settings file and write them into it (the keys it
        has already are kept; temp file, fsync, rename). ValueError says what is wrong."""
        path = Path(data_dir) / SETTINGS_FILE
        stored: dict[str, Any] = {}
        if path.exists():
            try:
                stored = json.loads(path.read_text("utf-8"))
            except ValueError as exc:
                raise ValueError(f"{path.name} cannot be read ({exc}); fix or delete it") from exc
        merged = {**stored, **changes}
        try:
            settings = cls.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"`{name}`: {first['msg']}") from None
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(merged, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        return settings

    def archive(self) -> ArchiveSettings:
        return ArchiveSettings(
            keep_audio=self.archive_keep_audio,
            retention_days=self.archive_retention_days,
            peaks_retention_days=self.archive_peaks_retention_days,
            station_cap_mb=self.archive_station_cap_mb,
            total_cap_mb=self.archive_total_cap_mb,
            segment_s=self.archive_segment_s,
            peak_block_s=self.archive_peak_block_s,
        )

    def monitor(self) -> MonitorSettings:
        return MonitorSettings(
            silence_dbfs=self.silence_dbfs,
            silence_notify_s=self.silence_notify_s,
            reconnect_initial_s=self.reconnect_initial_s,
            reconnect_max_s=self.reconnect_max_s,
            detection=DetectionSettings(
                window_s=self.window_s,
                hop_s=self.hop_s,
                confirm_windows=self.confirm_windows,
                end_after_s=self.end_after_s,
                min_play_s=self.min_play_s,
                anchor_tolerance_s=self.anchor_tolerance_s,
                resume_grace_s=self.resume_grace_s,
            ),
            ingest=IngestOptions(
                connect_timeout_s=self.connect_timeout_s,
                read_timeout_s=self.read_timeout_s,
            ),
        )


class Limits:
    """Request size limits per endpoint (bytes). A request body may exceed the file limit by
    the multipart overhead allowance before it is cut off."""

    OVERHEAD = 1 * MB
    OTHER = 1 * MB

    def __init__(self, settings: EngineSettings) -> None:
        self.recognize_file = settings.recognize_mb * MB
        self.enterprise_file = settings.enterprise_mb * MB
        self.upload_file = settings.upload_mb * MB

    def for_method(self, method: str, enterprise: bool) -> int:
        if method == "recognize":
            return (self.enterprise_file if enterprise else self.recognize_file) + self.OVERHEAD
        if method == "upload":
            return self.upload_file + self.OVERHEAD
        return self.OTHER


def open_catalog(data_dir: Path) -> Any:
    from radiowatch.engine.fingerprint.catalog import Catalog

    return Catalog.open(catalog_dir(data_dir))


def catalog_dir(data_dir: Path) -> Path:
    return Path(data_dir)


def _set_event(event: threading.Event) -> Callable[[], Awaitable[None]]:
    async def set_it() -> None:
        event.set()

    return set_it


class EngineRuntime:
    def __init__(self, data_dir: Path, token: str, settings: EngineSettings | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings or EngineSettings.load(self.data_dir)
        self.token_check = TokenCheck(token)
        self.limits = Limits(self.settings)
        self.store = EngineStore.open(self.data_dir)
        self.catalog = open_catalog(self.data_dir)
        workers = self.settings.workers or os.cpu_count() or 2
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="recognize")
        self.catalog_writer = ThreadPoolExecutor(1, thread_name_prefix="catalog-writer")
        self.recognizer = Recognizer(self.catalog, self.store, self._pool)
        # adds decode and fingerprint on worker processes, the writer only stores
        self.uploads = UploadPool(self.settings.workers)
        self.custom_catalog = CustomCatalog(
            self.catalog, self.store, self.catalog_writer, self.uploads
        )
        self.event_log = EventLog(self.store)
        self.sender = CallbackSender()
        self.events = StreamEvents(self.store, self.event_log, self.sender)
        self.streams = StreamRegistry(
            self.store, self._monitor_for, max_streams=self.settings.max_streams
        )
        self.archive: ArchiveService | None = None
        if self.settings.archive_enabled:
            self.archive = ArchiveService(
                Archive.open(self.data_dir, self.settings.archive()),
                store=self.store,
                catalog=self.catalog,
                events=self.events,
                describe_track=self._describe_track,
                search_new_tracks=self.settings.archive_search_new_tracks,
                settle_s=self.settings.archive_settle_s,
                retry_s=self.settings.archive_search_retry_s,
                retry_max_s=self.settings.archive_search_retry_max_s,
            )
        # the catalog index upgrade (fingerprint/upgrade.py), reported on /health/
        self.index_upgrade: dict[str, Any] = {
            "state": "needed" if self.catalog.needs_upgrade else "current"
        }
        self._refresher: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self.token = token

    def _monitor_for(self, stream: StoredStream) -> StreamMonitor:
        settings = self.settings.monitor()
        if self.archive is not None:  # the archive sees what the stream's reader receives
            tap = self.archive.tap(stream.radio_id)
            settings = replace(settings, ingest=replace(settings.ingest, tap=tap))
        return StreamMonitor(
            stream,
            recognizer=self.recognizer,
            events=self.events,
            store=self.store,
            settings=settings,
        )

    def change_archive_settings(self, changes: dict[str, Any]) -> ArchiveSettings:
        """Change archive limits (`archive_*` keys) for now and later starts; ValueError if
        they are invalid. The caller has the archive apply them (`enforce_limits`)."""
        settings = EngineSettings.save_changes(self.data_dir, changes)
        self.settings = settings
        if self.archive is not None:
            current = self.archive.archive.settings
            self.archive.archive.settings = replace(
                current,
                retention_days=settings.archive_retention_days,
                peaks_retention_days=settings.archive_peaks_retention_days,
                station_cap_mb=settings.archive_station_cap_mb,
                total_cap_mb=settings.archive_total_cap_mb,
            )
            return self.archive.archive.settings
        return settings.archive()

    def _describe_track(self, track_id: str) -> dict[str, Any] | None:
        """The AudD song object of a catalog track, as live plays carry it (no timecode)."""
        track = self.catalog.get(track_id)
        if track is None:
            return None
        song = self.recognizer.song(_WholeTrack(track))
        song.pop("timecode", None)
        return song

    def scan_recording(
        self,
        source: Any,
        *,
        name: str,
        on_play: Callable[[dict[str, Any]], None],
        on_progress: Callable[[float, float | None], None],
        progress_every_s: float,
        min_play_s: float | None = None,
        stop: threading.Event | None = None,
    ) -> Any:
        """The play-log scan of a recording (api/playlog_routes.py), in the calling thread;
        ApiError when the recording cannot be read at all."""
        from radiowatch.engine.streams.playlog import scan_recording
        from radiowatch.engine.streams.recording import RecordingError, duration_s

        detection = self.settings.monitor().detection
        if min_play_s is not None:
            detection = replace(detection, min_play_s=min_play_s)
        length = duration_s(source)
        try:
            return scan_recording(
                self.catalog,
                source,
                on_play,
                name=name,
                settings=detection,
                describe=self.recognizer.song,
                on_progress=lambda position: on_progress(position, length),
                progress_every_s=progress_every_s,
                stop=stop,
            )
        except RecordingError as exc:
            raise ApiError(INVALID_AUDIO, str(exc)) from exc

    async def start(self) -> None:
        if self.archive is not None:  # first: its crash recovery must see no stream writing
            await self.archive.start(self.run_in_background)
        self.sender.start()
        self.streams.start()
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_catalog())
        if self.catalog.needs_upgrade:  # the upgrade stores every track's peaks with levels
            self.run_in_background(self._upgrade_index(), name="catalog index upgrade")
        else:
            self.run_in_background(self._backfill_levels(), name="catalog peak levels")

    async def _upgrade_index(self) -> None:
        """Rebuild an older-format index on the catalog writer (adds wait behind it); the old
        index answers queries until the upgrade swaps in the new one."""
        from radiowatch.engine.fingerprint.upgrade import upgrade_catalog

        status = self.index_upgrade
        status.update(state="running", done=0, total=len(self.catalog))
        stopping = threading.Event()
        self.on_stop(_set_event(stopping))

        def progress(done: int, total: int) -> None:
            status.update(done=done, total=total)

        def run() -> Any:
            return upgrade_catalog(
                self.catalog, jobs=1, on_progress=progress, should_stop=stopping.is_set
            )

        try:
            report = await asyncio.get_running_loop().run_in_executor(self.catalog_writer, run)
        except Exception:
            status.update(state="failed")
            raise
        status.update(
            state="current" if report.finished else "interrupted",
            missing=[{"track_id": t, "reason": r} for t, r in report.missing],
        )
        log.info(
            "catalog index upgraded: %d track(s), %d need their file again",
            report.upgraded,
            len(report.missing),
        )

    async def _backfill_levels(self) -> None:
        """Give the peaks of tracks indexed before levels were kept their levels, from their
        files (levels_backfill.py), a few tracks at a time on the catalog writer so adds do
        not wait behind it; quietly nothing when all have them."""
        from radiowatch.engine.fingerprint.levels_backfill import backfill_levels

        stopping = threading.Event()
        self.on_stop(_set_event(stopping))
        loop = asyncio.get_running_loop()
        todo = await loop.run_in_executor(self.catalog_writer, self.catalog.tracks_without_levels)
        updated, skipped = 0, 0
        for first in range(0, len(todo), _BACKFILL_BATCH):
            if stopping.is_set():
                break
            batch = todo[first : first + _BACKFILL_BATCH]
            report = await loop.run_in_executor(
                self.catalog_writer,
                lambda batch=batch: backfill_levels(
                    self.catalog, batch, should_stop=stopping.is_set
                ),
            )
            updated, skipped = updated + report.updated, skipped + len(report.skipped)
        if updated or skipped:
            log.info(
                "catalog peak levels: %d track(s) given levels, %d without (file gone or changed)",
                updated,
                skipped,
            )

    def catalog_index_status(self) -> dict[str, Any]:
        """The index upgrade's state for /health/, with every track that needs its audio file
        again (an upgrade could not read it, in this run or an earlier one or in the CLI)."""
        status = dict(self.index_upgrade)
        missing = {m["track_id"]: m["reason"] for m in status.get("missing") or []}
        missing.update(self.catalog.unindexed())
        if missing:
            status["missing"] = [{"track_id": t, "reason": r} for t, r in sorted(missing.items())]
        return status

    def begin_shutdown(self) -> None:
        """Answer waiting long polls at once so the server can close its connections."""
        self.event_log.close()

    def run_in_background(self, coro: Awaitable[None], *, name: str) -> None:
        """Run `coro` until it ends or the engine stops; failures are logged, not fatal."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._background.add(task)

        def done(t: asyncio.Task) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed", name, exc_info=t.exception())

        task.add_done_callback(done)

    def on_stop(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        self._cleanups.append(cleanup)

    async def stop(self) -> None:
        self.begin_shutdown()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                await cleanup()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.streams.stop()
        if self.archive is not None:
            await self.archive.stop()
        await self.sender.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.uploads.shutdown()
        self.catalog_writer.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.catalog.close()
        self.store.close()

    async def _refresh_catalog(self) -> None:
        """Pick up tracks added by `radiowatch-engine catalog add` in another process."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CATALOG_REFRESH_S)
            try:
                await loop.run_in_executor(self._pool, self.catalog.refresh)
            except Exception:
                log.exception("catalog refresh failed")


class _WholeTrack:
    """A match of a whole track, for Recognizer.song."""

    offset_s = 0.0

    def __init__(self, track: Any) -> None:
        self.track = track
