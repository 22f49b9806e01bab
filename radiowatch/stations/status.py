"""A station's monitoring status as the sidebar shows it. No Qt: monitoring reports these."""

from __future__ import annotations

from enum import StrEnum


class StationStatus(StrEnum):
    IDLE = "idle"  # not being monitored (yet)
    CONNECTING = "connecting"
    LIVE = "live"  # audio arriving, recognition running
    DOWN = "down"  # stream unreachable or silent; detail says why
    DISABLED = "disabled"  # the user switched monitoring off for this station


STATUS_LABELS = {
    StationStatus.IDLE: "Idle",
    StationStatus.CONNECTING: "Connecting…",
    StationStatus.LIVE: "Live",
    StationStatus.DOWN: "Down",
    StationStatus.DISABLED: "Off",
}
