"""The running monitoring, as the window sees it: one MonitoringService per backend session.

The now-playing board and the watchlist live as long as the window; the service is rebuilt when
the backend changes (a new client, another account's resume points). Station edits reach the
board here and the service through its own subscription to the stations list. Statuses go to the
sidebar (by `Station.id`), plays to the board, alerts to the notifier (tray balloon or the
Monitor tab's banner) unless the user turned notifications off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from radiowatch.audd import AudDClient
from radiowatch.config.settings import SettingsStore
from radiowatch.history.plays import PlayStore
from radiowatch.history.stream_events import StreamEventLog
from radiowatch.monitoring.notifier import Notifier
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.service import MonitoringService, StreamStatus
from radiowatch.monitoring.stations_source import StationStoreSource
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore
from radiowatch.stations.store import StationStore
from radiowatch.ui.monitoring_bridge import MonitoringBridge

log = logging.getLogger(__name__)


class SettingsGatedNotifier:
    """Passes alerts on only while Settings → "Show notifications" is ticked."""

    def __init__(self, settings: SettingsStore, target: Notifier | None = None) -> None:
        self.settings = settings
        self.target = target

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        if self.target is not None and self.settings.current.notifications:
            self.target.notify(title, body, play_id, rule_id)


class LiveMonitoring(QObject):
    """Owns the board, the watchlist and the current MonitoringService."""

    status_changed = Signal(object)  # StreamStatus, relayed for the sidebar
    play_recorded = Signal(object)  # RecordedPlay
    paused_changed = Signal(bool)

    def __init__(self, db, stations: StationStore, settings: SettingsStore, *,
                 on_station_status: Callable[[int, str, str], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.stations = stations
        self.source = StationStoreSource(stations)
        self.board = NowPlayingBoard()
        self.board.set_stations(self.source.stations())
        self.board.load_recent(db.conn)
        self.watchlist = WatchlistStore(db)
        self.notifier = SettingsGatedNotifier(settings)
        self.service: MonitoringService | None = None
        self.bridge: MonitoringBridge | None = None
        self._on_station_status = on_station_status
        self._paused = False
        self._unsubscribe = stations.subscribe(self._stations_changed)

    @property
    def paused(self) -> bool:
        return self._paused

    async def start(self, client: AudDClient, *, state_key: str, timestamp_tz,
                    **service_options) -> MonitoringService:
        """Monitor every enabled station through `client` (not closed here)."""
        await self.stop()
        service = MonitoringService(
            client=client, play_store=PlayStore(self.db), stations=self.source,
            state=StreamStateStore(self.db, state_key), watchlist=self.watchlist,
            notifier=self.notifier, stream_events=StreamEventLog(self.db),
            timestamp_tz=timestamp_tz, **service_options)
        self.board.attach(service)
        self.bridge = MonitoringBridge(service, self)
        self.bridge.status_changed.connect(self._relay_status)
        self.bridge.play_recorded.connect(self.play_recorded)
        self.service = service
        if self._paused:
            await service.pause()
        await service.start()
        return service

    async def stop(self) -> None:
        service, bridge = self.service, self.bridge
        self.service, self.bridge = None, None
        if bridge is not None:
            bridge.detach()
            bridge.deleteLater()
        if service is not None:
            await service.aclose()

    async def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self.service is not None:
            await (self.service.pause() if paused else self.service.resume())
        self.paused_changed.emit(paused)

    async def aclose(self) -> None:
        self._unsubscribe()
        await self.stop()

    def _stations_changed(self) -> None:
        before = set(self.board.station_ids())
        self.board.set_stations(self.source.stations())
        if set(self.board.station_ids()) - before:
            # A station back in the list (re-added, re-enabled) shows its last plays again.
            self.board.load_recent(self.db.conn)
        service = self.service
        if service is None or service.paused or self._on_station_status is None:
            return
        # A station added while monitoring runs has no status until its first event; show
        # that it is being connected rather than idle.
        for station in self.stations.list():
            if station.enabled and service.status(station.radio_id) is None:
                self._on_station_status(station.id, "connecting", "")

    def _relay_status(self, status: StreamStatus) -> None:
        self.status_changed.emit(status)
        station = self.stations.by_radio_id(status.radio_id)
        if station is not None and self._on_station_status is not None:
            self._on_station_status(station.id, status.sidebar_status(), status.message)
