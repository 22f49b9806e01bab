"""Hands the monitoring's events to the GUI thread as Qt signals.

The monitoring runs on a thread of its own (radiowatch/monitoring/monitoring_thread.py).
`deliver(item)` is what it calls there, for every `RecordedPlay`, `StreamStatus` and
`WatchAlert`: it only appends to a queue and, if none is pending, emits a private signal whose
queued connection wakes this object on the GUI thread. There `_drain` re-emits each item
through `play_recorded`, `status_changed` or `alert_raised`, so every receiver (the
now-playing board, the sidebar, the notifier) runs on the GUI thread, whatever kind of
callable it is. Nothing else of the monitoring ever reaches a widget.

A burst (100 stations answering at once) arrives as one wake-up, and the drain stops after
`DRAIN_BUDGET_S` and carries on in the next event-loop pass, so the window gets to repaint in
between.

The worker thread only borrows a reference to `deliver` while calling it: the owner
(LiveMonitoring) keeps the bridge alive until the monitoring thread has been joined, so the
last reference to this QObject is never dropped off the GUI thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from radiowatch.monitoring.events import OnAirPlay, RecordedPlay, StreamStatus, WatchAlert
from radiowatch.monitoring.service import MonitoringService

DRAIN_BUDGET_S = 0.004


class MonitoringBridge(QObject):
    play_recorded = Signal(object)  # RecordedPlay
    play_on_air = Signal(object)  # OnAirPlay
    status_changed = Signal(object)  # StreamStatus
    alert_raised = Signal(object)  # WatchAlert
    _arrived = Signal()  # emitted on the monitoring thread, received on this object's thread

    def __init__(
        self, service: MonitoringService | None = None, parent: QObject | None = None
    ) -> None:
        """`service` is for a service running on the GUI's own loop (tests, tools): its
        events are relayed the same way. The app passes `deliver` to a MonitoringThread."""
        super().__init__(parent)
        self._queue: deque[object] = deque()
        self._lock = threading.Lock()
        self._wake_pending = False
        self._detached = False
        self._arrived.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._service = service
        if service is not None:
            service.play_recorded.connect(self.deliver)
            service.play_on_air.connect(self.deliver)
            service.status_changed.connect(self.deliver)
            service.alert_raised.connect(self.deliver)

    @property
    def service(self) -> MonitoringService | None:
        return self._service

    def deliver(self, item: RecordedPlay | OnAirPlay | StreamStatus | WatchAlert) -> None:
        """Thread-safe: queue one event for the GUI thread."""
        with self._lock:
            if self._detached:
                return
            self._queue.append(item)
            if self._wake_pending:
                return
            self._wake_pending = True
        self._arrived.emit()

    def detach(self) -> None:
        """Stop relaying: hand over what is already queued now, drop anything later. Call on
        the GUI thread, after the monitoring thread has ended."""
        if self._service is not None:
            self._service.play_recorded.disconnect(self.deliver)
            self._service.play_on_air.disconnect(self.deliver)
            self._service.status_changed.disconnect(self.deliver)
            self._service.alert_raised.disconnect(self.deliver)
        self._drain(budget=None)
        with self._lock:
            self._detached = True
            self._queue.clear()

    def pending(self) -> int:
        return len(self._queue)

    def _drain(self, budget: float | None = DRAIN_BUDGET_S) -> None:
        deadline = None if budget is None else time.perf_counter() + budget
        while True:
            with self._lock:
                if not self._queue:
                    self._wake_pending = False
                    return
                item = self._queue.popleft()
            self._emit(item)
            if deadline is not None and time.perf_counter() > deadline:
                break
        # Budget spent with items left: carry on in the next loop pass (the wake is still
        # pending, so the monitoring thread does not emit again meanwhile).
        QTimer.singleShot(0, self, self._drain)

    def _emit(self, item: object) -> None:
        if isinstance(item, RecordedPlay):
            self.play_recorded.emit(item)
        elif isinstance(item, OnAirPlay):
            self.play_on_air.emit(item)
        elif isinstance(item, StreamStatus):
            self.status_changed.emit(item)
        elif isinstance(item, WatchAlert):
            self.alert_raised.emit(item)
