"""What the monitoring service tells its listeners: stream statuses, recorded plays, alerts.

Plain frozen dataclasses, so they cross from the monitoring thread to the GUI thread as they
are (ui/monitor/monitoring_bridge.py), and the GUI needs nothing of the service to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from radiowatch.audd import NotificationEvent
from radiowatch.history.play import Play
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.monitoring.watchlist import WatchRule
from radiowatch.stations.status import StationStatus as SidebarStatus

StreamState = Literal["connecting", "live", "down", "silent", "paused", "stopped"]

# The states in which the station is being heard (history/coverage.py): the stream is running
# and the backend answers. "silent" is heard too: talk or noise, but someone is listening.
COVERED_STATES: frozenset[StreamState] = frozenset({"live", "silent"})

# AudD lifecycle notification codes (docs/protocols/audd.md §6.2).
CODE_RECOVERED = 0
CODE_CANNOT_CONNECT = 650
CODE_NO_MUSIC = 651


@dataclass(frozen=True)
class StreamStatus:
    radio_id: int
    name: str
    state: StreamState
    message: str = ""
    since: datetime | None = None
    last_play_at: datetime | None = None

    @property
    def covered(self) -> bool:
        """Whether the station is being heard in this state (counts as coverage)."""
        return self.state in COVERED_STATES

    def sidebar_status(self) -> SidebarStatus:
        """The coarser status the Stations sidebar shows (silent counts as down, with why)."""
        return {
            "connecting": SidebarStatus.CONNECTING,
            "live": SidebarStatus.LIVE,
            "down": SidebarStatus.DOWN,
            "silent": SidebarStatus.DOWN,
            "paused": SidebarStatus.IDLE,
            "stopped": SidebarStatus.IDLE,
        }[self.state]


@dataclass(frozen=True)
class RecordedPlay:
    """A play that was new to the history (replays are not announced). `play.id` is set."""

    play: Play
    station: MonitoredStation


@dataclass(frozen=True)
class OnAirPlay:
    """A play a radiowatch engine is sure is on air now (its early event, sent before the play
    ends). It is shown as the station's current song only: the history records the play once,
    when its final event arrives. `play.id` is None."""

    play: Play
    station: MonitoredStation


@dataclass(frozen=True)
class WatchAlert:
    rule: WatchRule
    play: Play
    title: str
    body: str


def notification_state(event: NotificationEvent) -> tuple[StreamState, str]:
    """Map an AudD lifecycle notification (docs/protocols/audd.md §6.2) to a stream state and a readable text."""
    code = event.notification_code
    text = event.notification_message or ""
    if code == CODE_CANNOT_CONNECT:
        return "down", text or "Cannot connect to the audio stream"
    if code == CODE_NO_MUSIC:
        return "silent", text or "Only noise or talk, no music"
    if code == CODE_RECOVERED:
        return "live", ""
    if event.stream_running is False:
        return "down", text or f"Stream stopped (code {code})"
    return "live", text


def alert_for(rule: WatchRule, play: Play, local_tz: tzinfo | None) -> WatchAlert:
    when = play.start.astimezone(local_tz).strftime("%H:%M")
    song = " — ".join(part for part in (play.artist, play.title) if part) or "Unknown track"
    station = play.station_name or f"station {play.radio_id}"
    return WatchAlert(
        rule=rule,
        play=play,
        title=f"{song} on {station}",
        body=f"{station} at {when} · matched “{rule.describe()}”",
    )
