"""The History tab: every recorded play, searchable and filterable, with corrections, charts
and play-log exports.

The tab opens its own SQLite connection (the history is in WAL mode, so it reads while the
monitoring writes). That connection lives on the GUI thread, so it waits only a quarter of a
second for another writer's lock: an edit that meets a busy history says so and can be tried
again, instead of freezing the window for SQLite's default 5 s.

The parts live next to it: the page shown when the file cannot be opened (error_page.py), the
filter bar (filter_bar.py), the command buttons (action_bar.py), the paged table
(table_model.py), exports (tab_exports.py, export_runner.py, clip_export.py), the edit and
"around" dialogs, the charts, the archive search (archive_search_dialog.py) and Discover
(discover_view.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMenu,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.database import DatabaseError, open_database
from radiowatch.history.errors import (
    HistoryError,
    describe_history_error,
)
from radiowatch.history.play import Play
from radiowatch.history.play_log_export import ExportFormat
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter, PlayQueries, SortKey, StationRef
from radiowatch.ui.history.action_bar import HistoryActionBar, HistoryCommands
from radiowatch.ui.history.archive_search_dialog import ArchiveSearchDialog
from radiowatch.ui.history.around_dialog import AroundDialog
from radiowatch.ui.history.charts_view import ChartsView
from radiowatch.ui.history.coverage_view import CoverageView
from radiowatch.ui.history.discover_view import DiscoverView
from radiowatch.ui.history.error_page import HistoryErrorPage
from radiowatch.ui.history.filter_bar import HistoryFilterBar
from radiowatch.ui.history.play_edit_dialog import PlayEditDialog
from radiowatch.ui.history.tab_exports import HistoryExports
from radiowatch.ui.history.table_model import (
    PLAY_ID_ROLE,
    HistoryTableModel,
    plays_table_view,
)

POLL_MS = 5000
# As for the app's main connection (radiowatch.app.GUI_BUSY_TIMEOUT_MS): short, because the
# GUI thread is the one that waits.
GUI_BUSY_TIMEOUT_MS = 250


class HistoryTab(QWidget):
    """Public API: refresh(), show_play(play_id) (alias open_play), export_to(path),
    around(radio_id, moment), close_database(); the signal cut_down_requested(Play) for the
    Resize tab."""

    cut_down_requested = Signal(object)
    export_finished = Signal(object)  # ExportResult
    export_failed = Signal(str)

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self.error_message: str | None = None
        self.exports = HistoryExports(
            self._db_path,
            GUI_BUSY_TIMEOUT_MS,
            self,
            play_filter=lambda: self.model.play_filter,
            say=lambda text, error: self._show_status(text, error=error),
        )
        self.exports.finished.connect(self.export_finished)
        self.exports.failed.connect(self.export_failed)
        self.exports.running_changed.connect(lambda _running: self._update_actions())
        self.edit_dialog: PlayEditDialog | None = None
        self.write_error: str | None = None  # why the last edit was not saved, if it was not
        self.clip_actions = None  # "Listen" / "Save clip…" (ui/common/clip_actions.py), if set
        self.catalog_provider = None  # the engine's catalog, for the archive search's tracks
        self.archive_search: ArchiveSearchDialog | None = None
        self._db = None
        self._open()
        self.setup_ui()
        if self._db is not None:
            self._start()

    def _open(self) -> None:
        try:
            self._db = open_database(self._db_path, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
            self.error_message = None
        except DatabaseError as exc:
            self.error_message = describe_history_error(exc)

    def _start(self) -> None:
        self.refresh()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll)
        self._poll.start()

    def retry_open(self) -> bool:
        """Try again to open a history that was busy (or missing) when the tab was built."""
        if self._db is not None:
            return True
        self._open()
        self.error_page.show_error(self.error_message)
        if self._db is None:
            return False
        self._build_history_ui()
        self.stack.setCurrentWidget(self.tabs)
        self._start()
        return True

    # -- construction ---------------------------------------------------------------------------

    def setup_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self.error_page = HistoryErrorPage(self.retry_open)
        self.error_page.show_error(self.error_message)
        self.stack.addWidget(self.error_page)
        if self._db is not None:
            self._build_history_ui()

    def _build_history_ui(self) -> None:
        self.store = PlayStore(self._db)
        self.queries = PlayQueries(self._db.conn)
        self.model = HistoryTableModel(self._db.conn, self)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.stack.addWidget(self.tabs)
        self.stack.setCurrentWidget(self.tabs)
        plays = QWidget()
        layout = QVBoxLayout(plays)
        self.filters = HistoryFilterBar()
        self.filters.changed.connect(self.apply_filters)
        # The filter widgets, under the names callers and tests use.
        self.search = self.filters.search
        self.station = self.filters.station
        self.date_from, self.date_to = self.filters.date_from, self.filters.date_to
        self.daypart = self.filters.daypart
        self.ai_only, self.show_deleted = self.filters.ai_only, self.filters.show_deleted
        layout.addWidget(self.filters)
        self.commands = HistoryActionBar(
            self,
            HistoryCommands(
                add=self.add_play_dialog,
                edit=self.edit_selected,
                false_positive=self.toggle_false_positive,
                delete=self.delete_selected,
                around=self.around_dialog,
                cut_down=self.request_cut_down,
                search_archive=self.search_archive_dialog,
                export=self.exports.open_dialog,
            ),
        )
        layout.addLayout(self.commands)
        self.coverage = CoverageView(self._db_path)
        layout.addWidget(self.coverage)
        self.view = self._table()
        layout.addWidget(self.view, 1)
        self.status = QLabel()
        self.status.setObjectName("history-status")
        layout.addWidget(self.status)
        self.tabs.addTab(plays, "Plays")
        # The charts (pyqtgraph) take longer to build than the whole Plays view: built on first visit.
        self.charts: ChartsView | None = None
        self.tabs.addTab(QWidget(), "Charts")
        self._charts_stale = True
        self.tabs.currentChanged.connect(self._on_subtab_changed)

    def _table(self) -> QTableView:
        view = plays_table_view(self.model)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.doubleClicked.connect(lambda _index: self.edit_selected())
        view.selectionModel().selectionChanged.connect(self._update_actions)
        view.addActions(self.commands.table_actions)
        return view

    # -- filters and refresh --------------------------------------------------------------------

    def current_filter(self) -> PlayFilter:
        old = self.model.play_filter
        return self.filters.play_filter(sort=old.sort, descending=old.descending)

    def apply_filters(self) -> None:
        if self._db is None:
            return
        self.filters.flush()
        filt = self.current_filter()
        if filt != self.model.play_filter:
            self.model.set_filter(filt)
            self._after_reload()

    def refresh(self) -> None:
        """Reload the station list, the plays and (when shown) the charts."""
        if self._db is None:
            return
        self._reload_stations()
        self.model.refresh()
        self._after_reload()
        self._charts_stale = True
        if self.tabs.currentIndex() == 1:
            self._refresh_charts()

    def _reload_stations(self) -> None:
        try:
            stations = self.queries.stations()
        except HistoryError as exc:
            self._show_status(str(exc), error=True)
            return
        self.filters.set_stations(stations)
        self._stations = stations

    def stations_now(self) -> list[StationRef]:
        """The stations as the history knows them now, one added since the last refresh too
        (the dialogs and Discover name stations with it)."""
        try:
            return self.queries.stations()
        except HistoryError:
            return getattr(self, "_stations", [])

    def _after_reload(self) -> None:
        self.coverage.show_filter(self.model.play_filter)
        if self.model.last_error:
            self._show_status(self.model.last_error, error=True)
        else:
            total = self.model.rowCount()
            filtered = self.model.play_filter != PlayFilter(
                sort=self.model.play_filter.sort, descending=self.model.play_filter.descending
            )
            noun = "play" if total == 1 else "plays"
            self._show_status(f"{total:,} {noun}" + (" match the filters" if filtered else ""))
        self._update_actions()

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020" if error else "")

    def _on_poll(self) -> None:
        """New plays arrive while the tab is open; show them without losing the scroll."""
        if self._db is None or self.model.last_error:
            return
        try:
            total = self.queries.count(self.model.play_filter)
        except HistoryError:
            return
        if total != self.model.rowCount():
            selected = self.selected_play_id()
            self.model.refresh()
            self._after_reload()
            self._charts_stale = True
            if selected is not None:
                self._select_play(selected)

    def _on_subtab_changed(self, index: int) -> None:
        if index == 1 and self._charts_stale:
            self._refresh_charts()

    def _refresh_charts(self) -> None:
        if self.charts is None:
            self.charts = ChartsView(self._db_path)
            self.tabs.blockSignals(True)
            placeholder = self.tabs.widget(1)
            self.tabs.removeTab(1)
            placeholder.deleteLater()
            self.tabs.insertTab(1, self.charts, "Charts")
            self.tabs.setCurrentIndex(1)
            self.tabs.blockSignals(False)
        self.charts.refresh()
        self._charts_stale = False

    # -- selection ------------------------------------------------------------------------------

    def selected_play_id(self) -> int | None:
        if self._db is None:
            return None
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.data(rows[0], PLAY_ID_ROLE)

    def _selected_play(self) -> Play | None:
        play_id = self.selected_play_id()
        if play_id is None:
            return None
        try:
            return self.store.get(play_id)
        except HistoryError as exc:
            self._show_status(str(exc), error=True)
            return None

    def _update_actions(self, *_args) -> None:
        self.commands.enable(
            play_selected=self.selected_play_id() is not None,
            can_export=self.model.rowCount() > 0 and not self.export_running(),
            has_archive=self.clip_actions is not None,
        )

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.selectionModel().clearSelection()
        self.view.selectRow(row)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._update_actions()

    def _select_play(self, play_id: int) -> bool:
        row = self.model.row_for_play(play_id)
        if row is None:
            play = self.store.get(play_id)
            if play is None or self.model.play_filter.sort != SortKey.START:
                return False
            first = self.model.row_near(play.start + timedelta(seconds=1))
            for candidate in range(max(0, first - 5), min(self.model.rowCount(), first + 200)):
                if self.model.play_id(candidate) == play_id:
                    row = candidate
                    break
        if row is None:
            return False
        self._select_row(row)
        return True

    def _context_menu(self, position: QPoint) -> None:
        if self.selected_play_id() is None:
            return
        menu = QMenu(self)
        menu.addAction("Edit…", self.edit_selected)
        menu.addAction("Mark / unmark false positive", self.toggle_false_positive)
        menu.addAction("Delete", self.delete_selected)
        menu.addSeparator()
        menu.addAction("What played around this time", self.around_selected)
        menu.addAction("Make a cut-down", self.request_cut_down)
        play = self._selected_play() if self.clip_actions is not None else None
        if play is not None:
            menu.addSeparator()
            self.clip_actions.add_to_menu(menu, play)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def set_clip_actions(self, actions) -> None:
        """Offer "Listen" and "Save clip…" for plays (the engine's archived audio)."""
        self.clip_actions = self.exports.clip_actions = actions
        actions.status.connect(self._show_status)
        if self._db is not None:  # Discover: unknown audio heard again and again (the archive)
            self.discover = DiscoverView(actions, self.stations_now)
            self.tabs.addTab(self.discover, "Discover")
            self._update_actions()

    # -- public entry points --------------------------------------------------------------------

    def show_play(self, play_id: int) -> bool:
        """Bring a play into view and select it (the tray's "open the play"). Filters that
        would hide it are cleared; returns False if the play does not exist."""
        if self._db is None:
            return False
        play = self.store.get(play_id)
        if play is None:
            self._show_status(f"Play {play_id} is no longer in the history.", error=True)
            return False
        self.tabs.setCurrentIndex(0)
        self._reset_filters(radio_id=None, include_deleted=play.deleted)
        if self.model.play_filter.sort != SortKey.START or not self.model.play_filter.descending:
            self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        return self._select_play(play_id)

    def open_play(self, play_id: int) -> bool:
        """The tray's name for show_play (radiowatch/ui/shell/tray.py wires `open_play`)."""
        return self.show_play(play_id)

    def _reset_filters(self, radio_id: int | None, include_deleted: bool = False) -> None:
        self.filters.reset(radio_id, include_deleted)
        self.model.set_filter(self.current_filter())
        self._after_reload()

    def around(self, radio_id: int, moment: datetime) -> Play | None:
        """Show station `radio_id`'s plays scrolled to `moment`; returns the play on air then."""
        if self._db is None:
            return None
        self.tabs.setCurrentIndex(0)
        self._reset_filters(radio_id=radio_id)
        if self.model.play_filter.sort != SortKey.START or not self.model.play_filter.descending:
            self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        try:
            on_air = self.queries.on_air(radio_id, moment)
            nearby = self.queries.around(radio_id, moment, before=1, after=0)
        except HistoryError as exc:
            self._show_status(str(exc), error=True)
            return None
        when = moment.astimezone().strftime("%Y-%m-%d %H:%M")
        if nearby and self._select_play(nearby[-1].id):
            pass
        elif self.model.rowCount():
            self._select_row(self.model.row_near(moment))
        if on_air is not None:
            self._show_status(f"On air at {when}: {on_air.artist} – {on_air.title}")
        elif nearby:
            self._show_status(
                f"Nothing recognised on air at {when}; the play before it is selected."
            )
        else:
            self._show_status(f"No plays on this station before {when}.")
        return on_air

    # -- actions --------------------------------------------------------------------------------

    def around_selected(self) -> None:
        play = self._selected_play()
        if play is not None and play.radio_id is not None:
            self.around(play.radio_id, play.start)

    def around_dialog(self) -> None:
        stations = self.stations_now()
        if not stations:
            self._show_status("There are no stations yet.", error=True)
            return
        play = self._selected_play()
        dialog = AroundDialog(
            stations,
            play.radio_id if play else self.station.currentData(),
            play.start if play else datetime.now(UTC),
            self,
        )
        # open(), not exec(): the monitoring's loop keeps running while the dialog is open.
        dialog.accepted.connect(lambda: self.around(*dialog.choice()))
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        dialog.open()

    def add_play_dialog(self) -> None:
        self._open_edit_dialog(
            PlayEditDialog(
                None,
                self.stations_now(),
                self,
                default_station=self.station.currentData(),
                on_save=lambda d: (
                    None if self.add_manual_play(d.manual_play()) else self.write_error
                ),
            )
        )

    def add_manual_play(self, play: Play) -> Play | None:
        """Add a play typed by hand; None (and write_error says why) if it could not be saved."""
        try:
            added = self.store.add_manual(play)
        except HistoryError as exc:
            self._report_write_error(exc)
            return None
        self.write_error = None
        self.refresh()
        self.show_play(added.id)
        return added

    def edit_selected(self) -> None:
        play = self._selected_play()
        if play is None:
            return
        self._open_edit_dialog(
            PlayEditDialog(
                play,
                self.stations_now(),
                self,
                on_save=lambda d: (
                    None
                    if self.apply_edit(play.id, d.corrections(), d.is_false_positive())
                    else self.write_error
                ),
                clip_actions=self.clip_actions,
            )
        )

    def _open_edit_dialog(self, dialog: PlayEditDialog) -> None:
        """Window-modal but not exec(): the monitoring's loop keeps running while it is open.
        The dialog saves through its on_save and stays open, with what was typed, if that fails."""
        self.edit_dialog = dialog
        dialog.finished.connect(lambda _result: self._on_edit_dialog_closed(dialog))
        dialog.open()

    def _on_edit_dialog_closed(self, dialog: PlayEditDialog) -> None:
        if self.edit_dialog is dialog:
            self.edit_dialog = None
        dialog.deleteLater()

    def apply_edit(
        self, play_id: int, corrections: dict, false_positive: bool | None = None
    ) -> bool:
        """Save corrections and/or the false-positive mark, together or not at all; False
        (write_error says why) if the history refused. A retry is always safe."""
        try:
            self.store.edit(play_id, corrections, false_positive)
        except HistoryError as exc:
            self._report_write_error(exc)
            return False
        self.write_error = None
        self._reload_keeping(play_id)
        return True

    def toggle_false_positive(self) -> None:
        play = self._selected_play()
        if play is not None:
            self.apply_edit(play.id, {}, not play.false_positive)

    def delete_selected(self) -> None:
        play = self._selected_play()
        if play is None:
            return
        row = self.view.selectionModel().selectedRows()[0].row()
        try:
            if play.deleted:
                self.store.restore(play.id)
            else:
                self.store.delete(play.id)
        except HistoryError as exc:
            self._report_write_error(exc)  # the play stays selected: pressing Delete again retries
            return
        self.write_error = None
        self.model.refresh()
        self._after_reload()
        if self.model.rowCount():
            self._select_row(min(row, self.model.rowCount() - 1))
        verb = "Restored" if play.deleted else "Deleted"
        self._show_status(f"{verb} {play.artist} – {play.title}. {self.status.text()}")

    def _report_write_error(self, exc: HistoryError) -> None:
        self.write_error = describe_history_error(exc)
        self._show_status(self.write_error, error=True)

    def _reload_keeping(self, play_id: int) -> None:
        self.model.refresh()
        self._after_reload()
        self._select_play(play_id)
        self._charts_stale = True

    def request_cut_down(self) -> None:
        play = self._selected_play()
        if play is not None:
            self.cut_down_requested.emit(play)

    # -- exports (tab_exports.py) ---------------------------------------------------------------

    def export_to(
        self, path: Path | None, fmt: ExportFormat | None = None, *, with_clips: bool = False
    ) -> bool:
        """Export the plays matching the current filters (saving their clips first when
        asked); False if one is running. export_finished(ExportResult) or
        export_failed(message) says how it ended."""
        return self._db is not None and self.exports.start(path, fmt, with_clips=with_clips)

    def export_running(self) -> bool:
        return self.exports.running()

    # -- the archive ----------------------------------------------------------------------------

    def search_archive_dialog(self) -> ArchiveSearchDialog | None:
        """ "Search the archive again…" for the stations shown (the engine's found-later search)."""
        if self.clip_actions is None:
            return None
        dialog = ArchiveSearchDialog(
            self.clip_actions.archive,
            self.stations_now(),
            self,
            catalog=self.catalog_provider,
            selected_station=self.station.currentData(),
        )
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.archive_search = dialog
        dialog.open()
        return dialog

    # -- shutdown -------------------------------------------------------------------------------

    def close_database(self) -> None:
        """Cancel any export and close the connection (the app's shutdown calls this)."""
        self.exports.shutdown()
        if self._db is not None:
            if hasattr(self, "_poll"):
                self._poll.stop()
            self._db.close()
            self._db = None
