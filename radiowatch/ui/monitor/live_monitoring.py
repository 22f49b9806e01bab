"""The running monitoring, as the window sees it: one MonitoringThread per backend session.

The now-playing board and the watchlist live as long as the window; the monitoring is rebuilt
when the backend changes (a new client, another account's resume points). It runs on a thread
of its own with its own database connection and AudD client (monitoring/monitoring_thread.py),
so what happens here, on the GUI thread, is only:

- commands in: start/stop, pause/resume, the stations list after each edit, "the watchlist
  changed" after each rule edit or mute (the GUI's `WatchlistStore` writes the rules on the
  GUI's connection; the thread re-reads them);
- events out, through the `MonitoringBridge` (already on the GUI thread when they arrive):
  statuses to the board and the sidebar (by `Station.id`), plays to the board, alerts to the
  notifier (tray balloon or the Monitor tab's banner) unless the user turned notifications off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from radiowatch.audd import AudDClient
from radiowatch.config.settings import SettingsStore
from radiowatch.monitoring.client_recipe import ClientRecipe
from radiowatch.monitoring.events import StreamStatus, WatchAlert
from radiowatch.monitoring.monitoring_thread import MonitoringThread
from radiowatch.monitoring.notifier import Notifier
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.stations_source import StationStoreSource
from radiowatch.monitoring.watchlist import WatchlistStore
from radiowatch.stations.store import StationStore
from radiowatch.ui.monitor.monitoring_bridge import MonitoringBridge

log = logging.getLogger(__name__)


class SettingsGatedNotifier:
    """Passes alerts on only while Settings → "Show notifications" is ticked."""

    def __init__(self, settings: SettingsStore, target: Notifier | None = None) -> None:
        self.settings = settings
        self.target = target

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        if self.target is not None and self.settings.current.notifications:
            self.target.notify(title, body, play_id, rule_id)


def database_file(db) -> Path:
    """The file behind a `sqlite_utils.Database`, for the monitoring thread to open again."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    raise ValueError("the monitoring needs a database file, not an in-memory database")


class LiveMonitoring(QObject):
    """Owns the board, the watchlist and the current MonitoringThread (`service`)."""

    status_changed = Signal(object)  # StreamStatus, relayed for the sidebar
    play_recorded = Signal(object)  # RecordedPlay
    paused_changed = Signal(bool)

    def __init__(
        self,
        db,
        stations: StationStore,
        settings: SettingsStore,
        *,
        on_station_status: Callable[[int, str, str], None] | None = None,
        database_path: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.database_path = database_path or database_file(db)
        self.stations = stations
        self.source = StationStoreSource(stations)
        self.board = NowPlayingBoard()
        self.board.set_stations(self.source.stations())
        self.board.load_recent(db.conn)
        self.watchlist = WatchlistStore(db)
        self.notifier = SettingsGatedNotifier(settings)
        self.service: MonitoringThread | None = None
        self.bridge: MonitoringBridge | None = None
        self._on_station_status = on_station_status
        self._sidebar_shown: dict[int, tuple[str, str]] = {}  # radio_id -> (status, message)
        self._paused = False
        self._unsubscribe = stations.subscribe(self._stations_changed)
        self._unsubscribe_watchlist = self.watchlist.subscribe(self._watchlist_changed)

    @property
    def paused(self) -> bool:
        return self._paused

    async def start(
        self, client: AudDClient, *, state_key: str, timestamp_tz, **service_options
    ) -> MonitoringThread:
        """Monitor every enabled station on the backend `client` speaks to.

        `client` (the GUI loop's, shared with the tabs) is not used by the monitoring: its
        thread builds a sibling from the same settings (ClientRecipe)."""
        await self.stop()
        self._sidebar_shown.clear()
        bridge = MonitoringBridge(parent=self)
        bridge.status_changed.connect(self._relay_status)
        bridge.play_recorded.connect(self._relay_play)
        bridge.play_on_air.connect(self.board.apply_on_air)
        bridge.alert_raised.connect(self._relay_alert)
        service = MonitoringThread(
            database=self.database_path,
            state_key=state_key,
            client=ClientRecipe.of(client),
            stations=self.source.stations(),
            deliver=bridge.deliver,
            timestamp_tz=timestamp_tz,
            paused=self._paused,
            **service_options,
        )
        self.bridge, self.service = bridge, service
        try:
            await service.start()
        except BaseException:
            if self.service is service:
                await self.stop()
            raise
        return service

    async def stop(self) -> None:
        """Stop the monitoring thread and wait for it; events it sent before are still shown."""
        service, bridge = self.service, self.bridge
        self.service, self.bridge = None, None
        if service is not None:
            await service.aclose()
        if bridge is not None:
            # Only now, with the thread joined, may the bridge go (see monitoring_bridge.py).
            bridge.detach()
            bridge.deleteLater()

    async def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self.service is not None:
            await (self.service.pause() if paused else self.service.resume())
        self.paused_changed.emit(paused)

    async def aclose(self) -> None:
        self._unsubscribe()
        self._unsubscribe_watchlist()
        await self.stop()

    def _stations_changed(self) -> None:
        stations = self.source.stations()
        known = {s.radio_id for s in stations if s.enabled}
        self._sidebar_shown = {k: v for k, v in self._sidebar_shown.items() if k in known}
        before = set(self.board.station_ids())
        self.board.set_stations(stations)
        if set(self.board.station_ids()) - before:
            # A station back in the list (re-added, re-enabled) shows its last plays again.
            self.board.load_recent(self.db.conn)
        if self.service is not None:
            # The service re-registers, and shows a new station as connecting by itself.
            self.service.stations_changed(stations)

    def _watchlist_changed(self) -> None:
        if self.service is not None:
            self.service.watchlist_changed()

    def _relay_status(self, status: StreamStatus) -> None:
        self.board.apply_status(status)
        self.status_changed.emit(status)
        if self._on_station_status is None:
            return
        # A status comes with every play (its last_play_at moves); the sidebar shows only the
        # state and the message, and repainting it 100 times in a burst cost the GUI thread
        # more than everything else together (bench/monitoring/RESULTS.md).
        shown = (status.sidebar_status(), status.message)
        if self._sidebar_shown.get(status.radio_id) == shown:
            return
        station = self.stations.by_radio_id(status.radio_id)
        if station is not None:
            self._sidebar_shown[status.radio_id] = shown
            self._on_station_status(station.id, *shown)

    def _relay_play(self, recorded) -> None:
        self.board.apply_play(recorded)
        self.play_recorded.emit(recorded)

    def _relay_alert(self, alert: WatchAlert) -> None:
        try:
            self.notifier.notify(alert.title, alert.body, alert.play.id, alert.rule.id)
        except Exception:
            log.exception("the notifier failed for rule %s", alert.rule.id)
