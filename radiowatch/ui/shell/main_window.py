"""The main window: stations on the left, the work tabs in the middle, backend state below.

Later panels replace the placeholder tabs with `set_tab(key, widget)`; the monitoring reports
per-station status with `set_station_status` and the backend's with `set_backend_state`. The
window never quits the application itself: Quit (and closing it when no tray keeps the app
alive) emits `quit_requested`, and the composition root runs the one shutdown.
"""

from __future__ import annotations

import contextlib
import html
import sqlite3
import sys
from base64 import b64decode, b64encode
from collections.abc import Callable

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from radiowatch import __version__
from radiowatch.config.paths import ProfileDirs
from radiowatch.config.secrets import TokenStore
from radiowatch.config.settings import Settings, SettingsStore
from radiowatch.stations.status import StationStatus
from radiowatch.stations.store import Station, StationStore
from radiowatch.ui.common.artwork import app_icon
from radiowatch.ui.shell.accounts_dialog import AccountsDialog
from radiowatch.ui.shell.placeholder_tab import TAB_KEYS, TABS, PlaceholderTab
from radiowatch.ui.shell.settings_dialog import SettingsDialog
from radiowatch.ui.shell.station_dialog import StationDialog
from radiowatch.ui.shell.stations_sidebar import StationsSidebar
from radiowatch.ui.shell.status_bar import MainStatusBar

STATION_WATCH_MS = 2000


class MainWindow(QMainWindow):
    quit_requested = Signal()
    hidden_to_tray = Signal()
    station_saved = Signal(object)  # Station, after the station dialog wrote it
    station_removed = Signal(int)
    tokens_changed = Signal(list)

    def __init__(
        self,
        *,
        dirs: ProfileDirs,
        settings: SettingsStore,
        stations: StationStore,
        tokens: TokenStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.dirs = dirs
        self.settings = settings
        self.stations = stations
        self.tokens = tokens
        self.hides_on_close = False  # set by the app when a tray icon keeps it running
        # The app adds lines to the About box (notifier, engine) through this callable.
        self.about_rows: Callable[[], list[tuple[str, str]]] = lambda: []
        self._closing = False
        self._dialogs: dict[str, QWidget] = {}
        # the engine's archive client factory, for Settings → Archive: set by the app next to
        # the window (app.py), whatever tabs were built; None: the box says the engine is needed
        self.archive_provider = None
        self.setObjectName("MainWindow")
        self.setWindowTitle("radiowatch")
        self.setWindowIcon(app_icon())
        self.setup_ui()
        self.setup_menus()
        self._unsubscribe = [
            stations.subscribe(self.refresh_stations),
            settings.subscribe(self._on_settings_changed),
        ]
        self.refresh_stations()
        # Stations added or changed by another process (`radiowatch stations ...`) show up
        # here, and reach the monitoring through the same change signal, within seconds.
        self._notice_station_changes()
        self.station_watch = QTimer(self)
        self.station_watch.setInterval(STATION_WATCH_MS)
        self.station_watch.timeout.connect(self._notice_station_changes)
        self.station_watch.start()
        self.set_backend(settings.current.backend_description())
        self.restore_layout()

    # -- construction --------------------------------------------------------------------------
    def setup_ui(self) -> None:
        self.sidebar = StationsSidebar(self)
        self.sidebar.add_requested.connect(self.open_station_dialog)
        self.sidebar.source_dropped.connect(lambda source: self.open_station_dialog(source=source))
        self.sidebar.edit_requested.connect(self._edit_station_by_id)
        self.sidebar.remove_requested.connect(self.confirm_remove_station)
        self.sidebar.enabled_toggled.connect(lambda sid, on: self.stations.update(sid, enabled=on))
        self.sidebar.list.currentItemChanged.connect(lambda *_: self._update_station_actions())

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("MainTabs")
        self.tabs.setDocumentMode(True)
        icon = app_icon()
        for number, info in enumerate(TABS, start=1):
            index = self.tabs.addTab(PlaceholderTab(info, icon, self.tabs), info.title)
            self.tabs.setTabToolTip(index, f"{info.heading} (Alt+{number})")
            shortcut = QShortcut(QKeySequence(f"Alt+{number}"), self)
            shortcut.activated.connect(lambda i=index: self.tabs.setCurrentIndex(i))

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("MainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([240, 760])
        # The window's pages: the stations and tabs, or a page over all of them (first run).
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

        self.status = MainStatusBar(self)
        self.setStatusBar(self.status)
        self.resize(1100, 700)

    def setup_menus(self) -> None:
        def action(text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = ""):
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            if tip:
                act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        self.add_station_action = action(
            "&Add station…", lambda: self.open_station_dialog(), "Ctrl+N", "Monitor a new stream"
        )
        self.settings_action = action(
            "&Settings…", self.open_settings_dialog, "Ctrl+,", "Backend and window options"
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.accounts_action = action(
            "Accounts && &tokens…",
            self.open_accounts_dialog,
            None,
            "AudD, Audjust and Udio credentials",
        )
        self.quit_action = action(
            "&Quit", self.quit_requested.emit, "Ctrl+Q", "Stop monitoring and quit"
        )
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.edit_station_action = action(
            "&Edit station…", self._edit_selected_station, "Ctrl+E", "Change the selected station"
        )
        self.remove_station_action = action(
            "&Remove station…",
            self._remove_selected_station,
            QKeySequence.StandardKey.Delete,
            "Remove the selected station",
        )
        self.remove_station_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.sidebar.addAction(self.remove_station_action)
        self.about_action = action("&About radiowatch", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.add_station_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.accounts_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        stations_menu = bar.addMenu("&Stations")
        stations_menu.addAction(self.add_station_action)
        stations_menu.addAction(self.edit_station_action)
        stations_menu.addAction(self.remove_station_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        self._update_station_actions()

    # -- API for the app and the panels ---------------------------------------------------------
    def set_tab(self, key: str, widget: QWidget) -> None:
        """Replace the tab `key` (monitor, history, recognize, catalog, resize, udio)."""
        index = self._tab_index(key)
        was_current = self.tabs.currentIndex() == index
        old = self.tabs.widget(index)
        title = self.tabs.tabText(index)
        tip = self.tabs.tabToolTip(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, title)
        self.tabs.setTabToolTip(index, tip)
        widget.setObjectName(widget.objectName() or f"tab_{key}")
        if old is not None and old is not widget:
            old.deleteLater()
        if was_current:
            self.tabs.setCurrentIndex(index)

    def show_first_run(self, page: QWidget) -> None:
        """Show `page` in place of the stations and tabs until it emits `finished`."""
        self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)
        page.finished.connect(lambda _result: self.close_first_run(page))

    def close_first_run(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(self.splitter)
        if self.pages.indexOf(page) >= 0:
            self.pages.removeWidget(page)
            page.deleteLater()

    def tab(self, key: str) -> QWidget:
        return self.tabs.widget(self._tab_index(key))

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(self._tab_index(key))

    def set_station_status(
        self, station_id: int, status: StationStatus | str, detail: str = ""
    ) -> None:
        """Show a station's monitoring status; `station_id` is `Station.id` (not radio_id)."""
        self.sidebar.set_station_status(station_id, status, detail)
        self._update_summary()

    def set_backend(self, description: str) -> None:
        self.status.backend.set_backend(description)

    def set_backend_state(self, state: str, detail: str = "") -> None:
        """state: connected | connecting | idle | offline | needs_token | error."""
        self.status.backend.set_state(state, detail)

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        self.status.showMessage(text, timeout_ms)

    def _notice_station_changes(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # the file is busy: look at the next tick
            self.stations.notice_outside_changes()

    def refresh_stations(self) -> None:
        self.sidebar.set_stations(self.stations.list())
        self._update_summary()
        self._update_station_actions()

    # -- dialogs --------------------------------------------------------------------------------
    def open_station_dialog(
        self, station: Station | None = None, *, source: str = ""
    ) -> StationDialog:
        """Add (or, given `station`, edit) a station; `source` pre-fills the stream field."""
        dialog = StationDialog(self.stations, station, self)
        if source and station is None:
            dialog.source_edit.setText(source)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._on_station_saved)
        self._dialogs["station"] = dialog
        dialog.open()
        return dialog

    def open_settings_dialog(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self, archive=self.archive_provider)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs["settings"] = dialog
        dialog.open()
        return dialog

    def open_accounts_dialog(self) -> AccountsDialog:
        dialog = AccountsDialog(self.tokens, self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.tokens_changed.connect(self.tokens_changed)
        dialog.tokens_changed.connect(lambda names: self.show_message("Accounts & tokens saved."))
        self._dialogs["accounts"] = dialog
        dialog.open()
        return dialog

    def confirm_remove_station(self, station_id: int) -> QMessageBox | None:
        station = self.stations.get(station_id)
        if station is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove station",
            f"Stop monitoring “{station.name}” and remove it?\n\nIts plays stay in the history.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes:
                self.remove_station(station_id)

        box.finished.connect(finished)
        self._dialogs["remove"] = box
        box.open()
        return box

    def remove_station(self, station_id: int) -> None:
        station = self.stations.get(station_id)
        if station is not None and self.stations.remove(station_id):
            self.show_message(f"Removed “{station.name}”.")
            self.station_removed.emit(station_id)

    def about_text(self) -> str:
        rows = "".join(
            f"<tr><td>{label}:&nbsp;</td><td>{html.escape(str(path))}</td></tr>"
            for label, path in self.dirs.describe()
        )
        extra = "".join(
            f"<tr><td>{html.escape(label)}:&nbsp;</td><td>{html.escape(value)}</td></tr>"
            for label, value in self.about_rows()
        )
        return (
            f"<h3>radiowatch {__version__}</h3>"
            "<p>Know what music plays on the radio: monitor streams, recognise songs, keep and "
            "export a play history.</p>"
            f"<table>{rows}"
            f"<tr><td>Tokens:&nbsp;</td><td>{html.escape(self.tokens.description)}</td></tr>"
            f"<tr><td>Backend:&nbsp;</td>"
            f"<td>{html.escape(self.settings.current.backend_description())}</td></tr>"
            f"{extra}</table>"
            f"<p style='color:#6b7280'>Python {sys.version.split()[0]} · Qt {qVersion()}"
            f" · PySide6 {pyside_version} · GPL-3.0-or-later</p>"
        )

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setWindowTitle("About radiowatch")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs["about"] = box
        box.open()
        return box

    # -- layout memory -------------------------------------------------------------------------
    def save_layout(self) -> None:
        extras = dict(self.settings.current.extras)
        extras["splitter"] = _b64(self.splitter.saveState())
        self.settings.update(
            window_geometry=_b64(self.saveGeometry()),
            window_state=_b64(self.saveState()),
            current_tab=TAB_KEYS[self.tabs.currentIndex()]
            if 0 <= self.tabs.currentIndex() < len(TAB_KEYS)
            else "monitor",
            extras=extras,
        )

    def restore_layout(self) -> None:
        current = self.settings.current
        if current.window_geometry:
            self.restoreGeometry(_unb64(current.window_geometry))
        if current.window_state:
            self.restoreState(_unb64(current.window_state))
        splitter = current.extras.get("splitter")
        if isinstance(splitter, str) and splitter:
            self.splitter.restoreState(_unb64(splitter))
        if current.current_tab in TAB_KEYS:
            self.show_tab(current.current_tab)

    # -- closing --------------------------------------------------------------------------------
    def allow_close(self) -> None:
        """Called by the shutdown: from now on closing really closes."""
        self._closing = True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            self.station_watch.stop()
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            event.accept()
            return
        event.ignore()
        if self.hides_on_close:
            self.hide()
            self.hidden_to_tray.emit()
        else:
            self.quit_requested.emit()

    # -- internals -------------------------------------------------------------------------------
    def _tab_index(self, key: str) -> int:
        if key not in TAB_KEYS:
            raise KeyError(f"unknown tab {key!r}; one of {', '.join(TAB_KEYS)}")
        return TAB_KEYS.index(key)

    def _on_station_saved(self, station: Station) -> None:
        self.sidebar.select_station(station.id)
        dialog = self._dialogs.get("station")
        note = getattr(dialog, "result_note", "") if dialog is not None else ""
        self.show_message(f"Saved “{station.name}”." + (f" {note}" if note else ""))
        self.station_saved.emit(station)

    def _edit_station_by_id(self, station_id: int) -> None:
        station = self.stations.get(station_id)
        if station is not None:
            self.open_station_dialog(station)

    def _edit_selected_station(self) -> None:
        station_id = self.sidebar.selected_station_id()
        if station_id is not None:
            self._edit_station_by_id(station_id)

    def _remove_selected_station(self) -> None:
        station_id = self.sidebar.selected_station_id()
        if station_id is not None:
            self.confirm_remove_station(station_id)

    def _update_station_actions(self) -> None:
        has = self.sidebar.selected_station_id() is not None
        self.edit_station_action.setEnabled(has)
        self.remove_station_action.setEnabled(has)

    def _update_summary(self) -> None:
        counts = self.sidebar.counts()
        total = sum(counts.values())
        if not total:
            self.status.set_station_summary("No stations")
            return
        parts = [f"{total} station{'s' if total != 1 else ''}"]
        for status, word in ((StationStatus.LIVE, "live"), (StationStatus.DOWN, "down")):
            if counts[status]:
                parts.append(f"{counts[status]} {word}")
        self.status.set_station_summary(" · ".join(parts))

    def _on_settings_changed(self, settings: Settings) -> None:
        self.set_backend(settings.backend_description())


def _b64(data: QByteArray) -> str:
    return b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: str) -> QByteArray:
    try:
        return QByteArray(b64decode(text.encode("ascii")))
    except ValueError:
        return QByteArray()
