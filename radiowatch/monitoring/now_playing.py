"""What each station's now-playing panel shows, kept as plain data. No Qt.

Plays and statuses are pushed in as they happen (`apply_play`, `apply_status`, on the thread
that owns the board: the GUI thread in the app); the Monitor tab pulls `changed_since(version)`
from a fixed-rate timer and repaints only the cards that changed. A burst of 100
events therefore costs one repaint per card, not 100 repaints.

A radiowatch engine also says which song is on air as soon as it is sure of it
(`apply_on_air`, long before the song ends and enters the history): that song is the card's
current one until its recorded play (the same airing, with the same start) or a newer song
replaces it; the plays below stay the recorded ones.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from radiowatch.audd.models import CallbackSong
from radiowatch.history.errors import friendly_errors
from radiowatch.history.play import Play
from radiowatch.history.plays import PLAY_COLUMNS, play_from_row
from radiowatch.monitoring.events import OnAirPlay, RecordedPlay, StreamStatus
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation


def cover_art_url(play: Play, size: int = 300) -> str | None:
    """The best cover image the backend sent with the play (needs `return=apple_music,...`)."""
    raw = play.raw_event or {}
    songs = raw.get("results")
    if not isinstance(songs, list) or not songs or not isinstance(songs[0], dict):
        return None
    try:
        return CallbackSong.model_validate(songs[0]).cover_art_url(size)
    except ValueError:
        return None


@dataclass
class StationPanel:
    radio_id: int
    name: str
    status: StreamStatus | None = None
    recent: deque[Play] = field(default_factory=lambda: deque(maxlen=6))
    version: int = 0
    on_air: Play | None = None  # announced, not recorded yet (its `id` is None)

    @property
    def current(self) -> Play | None:
        if self.on_air is not None:
            return self.on_air
        return self.recent[0] if self.recent else None

    @property
    def earlier(self) -> list[Play]:
        return list(self.recent) if self.on_air is not None else list(self.recent)[1:]


class NowPlayingBoard:
    """Panels by radio_id, each stamped with the board version of its last change."""

    def __init__(self, recent_limit: int = 6) -> None:
        self._recent_limit = recent_limit
        self._panels: dict[int, StationPanel] = {}
        self._order: list[int] = []
        self.version = 0

    def _touch(self, panel: StationPanel) -> None:
        self.version += 1
        panel.version = self.version

    def attach(self, service: MonitoringService) -> None:
        """Follow a service that runs on this thread's loop (tests, tools). The app's
        monitoring runs on its own thread: there the GUI side calls `apply_play` and
        `apply_status` itself, as the events arrive on the GUI thread."""
        service.play_recorded.connect(self.apply_play)
        service.play_on_air.connect(self.apply_on_air)
        service.status_changed.connect(self.apply_status)
        for status in service.statuses().values():
            self.apply_status(status)

    def set_stations(self, stations: list[MonitoredStation]) -> None:
        """Show exactly these (enabled) stations, in this order; keeps known panels' data."""
        enabled = [s for s in stations if s.enabled]
        self._order = [s.radio_id for s in enabled]
        for station in enabled:
            panel = self._panels.get(station.radio_id)
            if panel is None:
                panel = StationPanel(
                    station.radio_id, station.name, recent=deque(maxlen=self._recent_limit)
                )
                self._panels[station.radio_id] = panel
                self._touch(panel)
            elif panel.name != station.name:
                panel.name = station.name
                self._touch(panel)
        for radio_id in set(self._panels) - set(self._order):
            del self._panels[radio_id]
        self.version += 1  # the set of panels changed: the view re-lays out

    def load_recent(self, conn: sqlite3.Connection) -> None:
        """Fill panels with the last plays already in the history (after an app restart)."""
        for radio_id, panel in self._panels.items():
            with friendly_errors("read the latest plays"):
                rows = conn.execute(
                    f"SELECT {PLAY_COLUMNS} FROM plays WHERE radio_id = ? AND deleted = 0 "
                    "ORDER BY start_ts DESC LIMIT ?",
                    (radio_id, self._recent_limit),
                ).fetchall()
            if rows:
                panel.recent.clear()
                panel.recent.extend(play_from_row(r) for r in rows)
                self._touch(panel)

    def apply_play(self, recorded: RecordedPlay) -> None:
        panel = self._panels.get(recorded.station.radio_id)
        if panel is None:
            return
        play = recorded.play
        # Catch-up after a restart can deliver plays out of order relative to what is shown.
        # Newest first; on equal start times the play that arrived last wins (sort is stable).
        plays = sorted([play, *panel.recent], key=lambda p: p.start, reverse=True)
        panel.recent.clear()
        panel.recent.extend(plays[: self._recent_limit])
        if panel.on_air is not None and play.start >= panel.on_air.start:
            panel.on_air = None  # recorded now (the same airing), or a newer song ended
        self._touch(panel)

    def apply_on_air(self, announced: OnAirPlay) -> None:
        """A song is on air now (an engine's early event): the card's current song."""
        panel = self._panels.get(announced.station.radio_id)
        if panel is None:
            return
        play = announced.play
        newest = panel.recent[0].start if panel.recent else None
        if newest is not None and play.start <= newest:
            return  # a replay from before a play already recorded
        panel.on_air = play
        self._touch(panel)

    def apply_status(self, status: StreamStatus) -> None:
        panel = self._panels.get(status.radio_id)
        if panel is None:
            return
        panel.status = status
        self._touch(panel)

    def station_ids(self) -> list[int]:
        return list(self._order)

    def panel(self, radio_id: int) -> StationPanel | None:
        return self._panels.get(radio_id)

    def changed_since(self, version: int) -> list[StationPanel]:
        return [p for rid in self._order if (p := self._panels[rid]).version > version]


def how_long_ago(moment: datetime | None, now: datetime) -> str:
    """Short relative time for a card: 'just now', '4 min ago', '2 h ago', 'yesterday'."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 45:
        return "just now"
    if seconds < 90:
        return "1 min ago"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        hours = seconds / 3600
        return f"{hours:.0f} h ago" if hours >= 2 else f"{round(seconds / 60)} min ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"
