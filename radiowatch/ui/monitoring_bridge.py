"""Qt signals for the Qt-free MonitoringService's plain callbacks.

The service runs on the qasync loop, i.e. on the GUI thread, so the signals are delivered
directly; going through Qt still matters because widgets can then connect with Qt's usual
lifetime rules (a destroyed receiver is disconnected automatically, which a plain Python
callback would not do).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from radiowatch.monitoring.service import (
    MonitoringService,
    RecordedPlay,
    StreamStatus,
    WatchAlert,
)


class MonitoringBridge(QObject):
    play_recorded = Signal(object)  # RecordedPlay
    status_changed = Signal(object)  # StreamStatus
    alert_raised = Signal(object)  # WatchAlert

    def __init__(self, service: MonitoringService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        service.play_recorded.connect(self._on_play)
        service.status_changed.connect(self._on_status)
        service.alert_raised.connect(self._on_alert)

    @property
    def service(self) -> MonitoringService:
        return self._service

    def detach(self) -> None:
        """Stop relaying (call before the service outlives this object)."""
        self._service.play_recorded.disconnect(self._on_play)
        self._service.status_changed.disconnect(self._on_status)
        self._service.alert_raised.disconnect(self._on_alert)

    def _on_play(self, recorded: RecordedPlay) -> None:
        self.play_recorded.emit(recorded)

    def _on_status(self, status: StreamStatus) -> None:
        self.status_changed.emit(status)

    def _on_alert(self, alert: WatchAlert) -> None:
        self.alert_raised.emit(alert)
