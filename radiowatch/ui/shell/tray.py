"""The tray icon, its menu, and where watchlist alerts appear.

- `TrayController` owns the QSystemTrayIcon and its menu (Show/Hide window, Pause monitoring,
  Mute the last alert's rule, Quit). Its icon carries a dot in the backend's state colour and
  its tooltip says the state (`set_backend_state`), so a dead engine shows with the window
  hidden too. It emits signals and never quits the app itself: the
  composition root connects `quit_requested` to its single shutdown coroutine (docs/qt-and-asyncio.md,
  rule A: calling app.quit() with coroutines pending breaks qasync).
- `TrayNotifier` implements the core's `Notifier`: a tray balloon when a tray exists, else the
  in-app `NotificationBanner` (offscreen, and desktops without a tray host, have no tray).
  Clicking the balloon opens the play; the banner has "Open play" and "Mute rule" buttons.

Wiring (app.py)::

    tray = TrayController(window, describe_rule=lambda rid: service.describe_rule(rid))
    notifier = TrayNotifier(tray, monitor_tab.banner)       # give it to MonitoringService
    tray.bind_service(service)      # pause/resume + mute the rule (or connect
                                    # pause_toggled / mute_rule_requested yourself)
    tray.open_play_requested.connect(history_tab.open_play)
    tray.quit_requested.connect(shutdown_event.set)
    tray.show()
    # closeEvent of the window: if tray.available: hide() and ignore() (monitoring goes on)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from radiowatch.ui.common.artwork import BACKEND_COLOURS, app_icon, icon_with_status_dot
from radiowatch.ui.common.tasks import spawn

log = logging.getLogger(__name__)

DEFAULT_MUTE = timedelta(hours=24)


class NotificationBanner(QFrame):
    """An alert strip inside the window, for when there is no system tray."""

    open_play_requested = Signal(int)
    mute_rule_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, visible_ms: int = 20_000) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setStyleSheet(
            "QFrame#notificationBanner { background: #eef4ff; border: 1px solid #b9cdf5;"
            " border-radius: 6px; }"
            "QLabel#bannerTitle { font-weight: 600; color: #1d2c4d; }"
            "QLabel#bannerBody { color: #3b4a6b; }"
        )
        self.play_id: int | None = None
        self.rule_id: int | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        text = QVBoxLayout()
        text.setSpacing(0)
        self.title_label = QLabel(objectName="bannerTitle")
        self.body_label = QLabel(objectName="bannerBody")
        self.body_label.setWordWrap(True)
        text.addWidget(self.title_label)
        text.addWidget(self.body_label)
        layout.addLayout(text, 1)
        self.open_button = QPushButton("Open play")
        self.mute_button = QPushButton("Mute rule")
        self.mute_button.setToolTip("Silence this watchlist rule for 24 hours")
        self.close_button = QPushButton("✕")
        self.close_button.setFlat(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFixedWidth(28)
        for button in (self.open_button, self.mute_button, self.close_button):
            layout.addWidget(button)
        self.open_button.clicked.connect(self._open)
        self.mute_button.clicked.connect(self._mute)
        self.close_button.clicked.connect(self.hide)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(visible_ms)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_alert(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        self.title_label.setText(title)
        self.body_label.setText(body)
        self.play_id, self.rule_id = play_id, rule_id
        self.open_button.setVisible(play_id is not None)
        self.mute_button.setVisible(rule_id is not None)
        self.show()
        self._timer.start()

    def _open(self) -> None:
        if self.play_id is not None:
            self.open_play_requested.emit(self.play_id)
        self.hide()

    def _mute(self) -> None:
        if self.rule_id is not None:
            self.mute_rule_requested.emit(self.rule_id)
        self.hide()


class TrayController(QObject):
    """The tray icon and menu. `available` is False where no tray host exists (offscreen)."""

    pause_toggled = Signal(bool)
    quit_requested = Signal()
    open_play_requested = Signal(int)
    mute_rule_requested = Signal(int)

    def __init__(
        self,
        window: QWidget,
        *,
        icon: QIcon | None = None,
        describe_rule: Callable[[int], str | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`describe_rule(rule_id)` names the rule in the menu's mute entry (e.g.
        `lambda rid: (r := watchlist.get(rid)) and r.describe()`); without it: "rule 3"."""
        super().__init__(parent)
        self.window = window
        self._describe_rule = describe_rule
        self.base_icon = icon or app_icon()
        self.icon = QSystemTrayIcon(self.base_icon, self)
        self.icon.setToolTip("radiowatch — monitoring")
        self.backend_state: str | None = None
        self.last_rule_id: int | None = None
        self.last_play_id: int | None = None
        self._service = None
        self._mute_for = DEFAULT_MUTE

        self.menu = QMenu()
        self.show_action = QAction("Hide window", self.menu)
        self.show_action.triggered.connect(self.toggle_window)
        self.pause_action = QAction("Pause monitoring", self.menu)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.mute_action = QAction("Mute the last alert's rule", self.menu)
        self.mute_action.setEnabled(False)
        self.mute_action.triggered.connect(self._mute_last)
        self.quit_action = QAction("Quit radiowatch", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(self.pause_action)
        self.menu.addAction(self.mute_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.menu.aboutToShow.connect(self._sync_show_text)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(self._on_message_clicked)
        self.mute_rule_requested.connect(self._after_mute)

    @property
    def available(self) -> bool:
        """A tray exists: closing the window may hide it while monitoring goes on."""
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available:
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    # -- window ----------------------------------------------------------------------------

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.show_window()
        self._sync_show_text()

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _sync_show_text(self) -> None:
        self.show_action.setText("Hide window" if self.window.isVisible() else "Show window")

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    # -- alerts ----------------------------------------------------------------------------

    def remember_alert(self, play_id: int | None, rule_id: int | None) -> None:
        self.last_play_id, self.last_rule_id = play_id, rule_id
        self.mute_action.setEnabled(rule_id is not None)
        if rule_id is None:
            return
        if self._describe_rule is not None:
            name = self._describe_rule(rule_id)
        elif self._service is not None:
            name = self._service.describe_rule(rule_id)
        else:
            name = None
        name = name or f"rule {rule_id}"
        label = name if len(name) <= 40 else name[:39] + "…"
        hours = int(self._mute_for.total_seconds() // 3600)
        self.mute_action.setText(f"Mute “{label}” for {hours} h")

    def _on_message_clicked(self) -> None:
        if self.last_play_id is not None:
            self.show_window()
            self.open_play_requested.emit(self.last_play_id)

    def _mute_last(self) -> None:
        if self.last_rule_id is not None:
            self.mute_rule_requested.emit(self.last_rule_id)

    # -- backend state ---------------------------------------------------------------------

    def set_backend_state(self, state: str, text: str) -> None:
        """Show the backend's state: a dot in its colour on the icon, `text` in the tooltip
        (e.g. "Local engine — Restarting…")."""
        if state != self.backend_state:
            self.backend_state = state
            self.icon.setIcon(icon_with_status_dot(self.base_icon, BACKEND_COLOURS[state]))
        self.icon.setToolTip(f"radiowatch\n{text}")

    # -- pause -----------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Reflect a pause made elsewhere without re-emitting `pause_toggled`."""
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.blockSignals(False)

    # -- convenience wiring ----------------------------------------------------------------

    def bind_service(self, service, *, mute_for: timedelta = DEFAULT_MUTE) -> None:
        """Pause/resume `service` from the menu and mute rules through it."""
        self._service = service
        self._mute_for = mute_for
        self.pause_toggled.connect(self._pause_service)
        self.mute_rule_requested.connect(self._mute_rule)
        self.set_paused(service.paused)

    def _pause_service(self, paused: bool) -> None:
        if self._service is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.warning("cannot pause monitoring: no event loop is running")
            return
        spawn(self._service.pause() if paused else self._service.resume(), "tray-pause")

    def _mute_rule(self, rule_id: int) -> None:
        if self._service is not None:
            self._service.mute_rule(rule_id, datetime.now(UTC) + self._mute_for)

    def _after_mute(self, rule_id: int) -> None:
        if rule_id == self.last_rule_id:
            self.mute_action.setEnabled(False)
            self.mute_action.setText("Mute the last alert's rule")


class TrayNotifier(QObject):
    """`Notifier` for the GUI: tray balloon if possible, else the in-app banner."""

    def __init__(
        self,
        tray: TrayController,
        banner: NotificationBanner | None = None,
        *,
        message_ms: int = 10_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tray = tray
        self.banner = banner
        self._message_ms = message_ms
        if banner is not None:
            banner.open_play_requested.connect(self._open_from_banner)
            banner.mute_rule_requested.connect(tray.mute_rule_requested)

    @property
    def mode(self) -> str:
        """'tray' or 'banner' (or 'none'): shown in the About box."""
        if self.tray.available and QSystemTrayIcon.supportsMessages():
            return "tray"
        return "banner" if self.banner is not None else "none"

    def notify(self, title: str, body: str, play_id: int | None, rule_id: int | None) -> None:
        self.tray.remember_alert(play_id, rule_id)
        mode = self.mode
        if mode == "tray":
            self.tray.icon.showMessage(
                title, body, QSystemTrayIcon.MessageIcon.Information, self._message_ms
            )
        elif mode == "banner":
            self.banner.show_alert(title, body, play_id, rule_id)
        else:
            log.info("alert (no tray, no banner): %s — %s", title, body)

    def _open_from_banner(self, play_id: int) -> None:
        self.tray.show_window()
        self.tray.open_play_requested.emit(play_id)


__all__ = ["NotificationBanner", "TrayController", "TrayNotifier"]
