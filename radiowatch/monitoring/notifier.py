"""Where watchlist alerts go: a `Notifier` the monitoring calls without knowing the platform.

The core only knows this protocol: the Qt shell supplies a tray or in-app
banner implementation, tests supply `RecordingNotifier` and assert on what it received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Notifier(Protocol):
    """Shows one alert. `play_id` lets the user open the play; `rule_id` lets them mute the rule.

    Must not block. In the app it is called on the GUI thread (ui/monitor/live_monitoring.py passes
    the alerts the monitoring thread delivers), never on the monitoring thread: a tray balloon
    may only be shown from the GUI thread.
    """

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None: ...


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    play_id: int | None
    rule_id: int | None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class RecordingNotifier:
    """Keeps every alert in `sent`, in order: for tests and for a headless run's log."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        self.sent.append(Notification(title, body, play_id, rule_id))


class NullNotifier:
    """Drops alerts: monitoring without a notification channel (e.g. a headless export job)."""

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        return None
