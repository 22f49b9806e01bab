"""What each station's now-playing panel shows, kept as plain data. No Qt.

Plays and statuses are pushed in as they happen (`apply_play`, `apply_status`, on the thread
that owns the board: the GUI thread in the app); the Monitor tab pulls `changed_since(version)`
from a fixed-rate timer and repaints only the cards that changed. A burst of 100
events therefore costs one repaint per card, not 100 repaints.

Each panel also says when the station was last not heard (`StationPanel.not_heard`, worded by
`not_heard_text`): after a restart from the coverage the history kept (history/coverage.py),
then from the statuses as they change, so a card can say "not heard 12:30–12:35" or "not heard
since 12:30" without asking the database again.

The latest play is shown as playing only while the stream is live. When the stream or the
backend is down, monitoring is paused, nothing was recognised for a while, or the app has just
started and not heard from the backend yet, nobody knows what is on air: the card then says
when the song was last heard (`current_song_line`) instead of implying it still plays.

A radiowatch engine also says which song is on air as soon as it is sure of it
(`apply_on_air`, long before the song ends and enters the history): that song
(`StationPanel.announced`) is the card's current one until its recorded play (the same airing,
with the same start) or a newer song replaces it; the plays below stay the recorded ones.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from radiowatch.audd.models import CallbackSong
from radiowatch.history.coverage import CoverageStore
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


@dataclass(frozen=True)
class NotHeard:
    """The station's latest stretch of not being heard (backend unreachable, stream down,
    monitoring paused, app not running): from `start` (None: never heard before, as far as
    the history knows) to `end` (None: still not heard)."""

    start: datetime | None
    end: datetime | None

    @property
    def ongoing(self) -> bool:
        return self.end is None


@dataclass
class StationPanel:
    radio_id: int
    name: str
    status: StreamStatus | None = None
    recent: deque[Play] = field(default_factory=lambda: deque(maxlen=9))
    version: int = 0
    not_heard: NotHeard | None = None  # None: heard without a break as far as is known
    announced: Play | None = None  # said to be on air, not recorded yet (its `id` is None)

    @property
    def current(self) -> Play | None:
        if self.announced is not None:
            return self.announced
        return self.recent[0] if self.recent else None

    @property
    def earlier(self) -> list[Play]:
        return list(self.recent) if self.announced is not None else list(self.recent)[1:]

    @property
    def on_air(self) -> bool:
        """The latest play may be shown as playing now: the stream is live (so the backend
        answers and hears it). Every other state means nobody knows what is on air."""
        return self.current is not None and self.status is not None and self.status.state == "live"

    def last_heard(self) -> datetime | None:
        """When the latest play was last heard: its end as the backend reported it (else its
        start), but never after the stream stopped being live."""
        play = self.current
        if play is None:
            return None
        heard = play.effective_end or play.start
        status = self.status
        if status is not None and status.state != "live" and status.since is not None:
            heard = max(play.start, min(heard, status.since))
        return heard


class NowPlayingBoard:
    """Panels by radio_id, each stamped with the board version of its last change."""

    # The current play and up to eight before it: what a roomy card lists (one or two
    # stations); compact cards show fewer.
    def __init__(self, recent_limit: int = 9) -> None:
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
        """Fill panels with the last plays already in the history (after an app restart),
        and, for stations with no status yet, since when they have not been heard."""
        for radio_id, panel in self._panels.items():
            if panel.status is None:
                self._load_not_heard(conn, panel)
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

    def _load_not_heard(self, conn: sqlite3.Connection, panel: StationPanel) -> None:
        """Before its first status a station counts as not heard since its last span ended
        (the app was closed or crashed then): the statuses that follow say when it is again."""
        latest = CoverageStore(conn).latest(panel.radio_id, limit=1)
        not_heard = NotHeard(latest[0].end if latest else None, None)
        if panel.not_heard != not_heard:
            panel.not_heard = not_heard
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
        if panel.announced is not None and play.start >= panel.announced.start:
            panel.announced = None  # recorded now (the same airing), or a newer song ended
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
        panel.announced = play
        self._touch(panel)

    def apply_status(self, status: StreamStatus) -> None:
        panel = self._panels.get(status.radio_id)
        if panel is None:
            return
        panel.status = status
        gap = panel.not_heard
        moment = status.since or datetime.now(UTC)
        if status.covered:
            if gap is not None and gap.ongoing:
                # Heard again: the stretch ends now. Never heard before: nothing to report.
                panel.not_heard = NotHeard(gap.start, moment) if gap.start is not None else None
        elif gap is None or not gap.ongoing:
            panel.not_heard = NotHeard(moment, None)
        self._touch(panel)

    def station_ids(self) -> list[int]:
        return list(self._order)

    def panel(self, radio_id: int) -> StationPanel | None:
        return self._panels.get(radio_id)

    def changed_since(self, version: int) -> list[StationPanel]:
        return [p for rid in self._order if (p := self._panels[rid]).version > version]


def not_heard_text(not_heard: NotHeard | None, now: datetime, tz: tzinfo | None = None) -> str:
    """The card's words for `StationPanel.not_heard`, in local time (`tz`, default the
    system's): 'Not heard 12:30–12:35', 'Not heard since 12:30', with the day when it is not
    today ('Not heard since 4 May 18:02'); '' when there is nothing to say."""
    if not_heard is None:
        return ""
    if not_heard.start is None:
        return "Not heard yet" if not_heard.ongoing else ""
    today = now.astimezone(tz).date()

    def when(moment: datetime) -> str:
        local = moment.astimezone(tz)
        return f"{local:%H:%M}" if local.date() == today else f"{local.day} {local:%b %H:%M}"

    if not_heard.end is None:
        return f"Not heard since {when(not_heard.start)}"
    start, end = not_heard.start.astimezone(tz), not_heard.end.astimezone(tz)
    if start.date() == end.date():
        return f"Not heard {when(start)}–{end:%H:%M}"
    return f"Not heard {when(start)} – {when(end)}"


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


def last_heard_text(moment: datetime, now: datetime, local_tz: tzinfo | None = None) -> str:
    """'Last heard at 14:32', with the day when it was not today: 'yesterday at 23:50',
    'on 2 May at 09:15', 'on 30 Dec 2025 at 18:00'."""
    when = moment.astimezone(local_tz)
    today = now.astimezone(local_tz).date()
    clock = when.strftime("%H:%M")
    if when.date() == today:
        return f"Last heard at {clock}"
    if when.date() == today - timedelta(days=1):
        return f"Last heard yesterday at {clock}"
    day = f"{when.day} {when.strftime('%b')}"
    if when.year != today.year:
        day += f" {when.year}"
    return f"Last heard on {day} at {clock}"


def current_song_line(panel: StationPanel, now: datetime, local_tz: tzinfo | None = None) -> str:
    """The line under the latest song on a card: score, age and length while the stream is
    live; when it is not, only when the song was last heard."""
    play = panel.current
    if play is None:
        return ""
    if not panel.on_air:
        heard = panel.last_heard()
        return last_heard_text(heard, now, local_tz) if heard is not None else ""
    parts = []
    if play.score is not None:
        parts.append(f"score {play.score}")
    parts.append(how_long_ago(play.effective_end or play.start, now) or "just now")
    if play.duration:
        minutes, seconds = divmod(int(play.duration), 60)
        parts.append(f"{minutes}:{seconds:02d}")
    return " · ".join(parts)
