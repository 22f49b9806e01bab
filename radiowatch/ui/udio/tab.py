"""The Udio tab: fetch AI-generated songs by id, look at them, preview, download, and add them
to the user's catalog tagged ``udio:<id>`` so their plays on air can be flagged.

All network work runs as tasks on the qasync loop (the tab never blocks the GUI thread);
the Qt-free pieces live in ``radiowatch.udio``. The tab is handed its collaborators by the
app: a settings provider (base URL, path template, auth scheme), a key provider (the token
store), a downloads folder, and an optional ``add_to_catalog`` coroutine.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from radiowatch.udio.catalog_import import import_to_catalog
from radiowatch.udio.client import PollPolicy, UdioClient, check_configured
from radiowatch.udio.endpoint import endpoint_from_settings
from radiowatch.udio.errors import WHERE_TO_CONFIGURE, UdioError, UdioNotConfiguredError
from radiowatch.udio.lyrics import parse_lyrics
from radiowatch.udio.media import download_audio, fetch_cover
from radiowatch.udio.models import SongResult, SongStatus, UdioSong
from radiowatch.udio.song_export import provenance_of, songs_to_json
from radiowatch.udio.task_ids import parse_ids
from radiowatch.ui.common import media_control

try:  # QtMultimedia is an add-on; without it (or libpulse) preview is disabled, not fatal.
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    MULTIMEDIA_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the installation
    QAudioOutput = QMediaPlayer = None  # type: ignore[assignment,misc]
    MULTIMEDIA_ERROR = f"Audio preview is unavailable: QtMultimedia could not load ({exc})."

log = logging.getLogger(__name__)

AddToCatalog = Callable[[Path, dict], Awaitable[None]]
STATUS_COLOURS = {
    SongStatus.PENDING: "#b7791f",
    SongStatus.FINISHED: "#22863a",
    SongStatus.FAILED: "#c53030",
}
COVER_SIZE = 160
NO_CATALOG_TIP = (
    "Adding to the catalog needs the local engine, which is not connected to this tab yet."
)


@dataclass
class SongRow:
    """One requested id in the table, plus what the tab has done with it locally."""

    result: SongResult
    audio_path: Path | None = None
    audio_error: str | None = None
    in_catalog: bool = False

    @property
    def song(self) -> UdioSong | None:
        return self.result.song


def format_duration(seconds: float | None) -> str:
    if not seconds or seconds <= 0:
        return ""
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


class SongTableModel(QAbstractTableModel):
    """Rows of ``SongRow`` keyed by id, in the order the ids were first requested."""

    COLUMNS = ("Status", "Title", "Creator", "Duration", "Tags")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SongRow] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor(STATUS_COLOURS[row.result.status])
        if role == Qt.ItemDataRole.UserRole:
            return row.result.id
        return None

    def _display(self, row: SongRow, column: int) -> str:
        song = row.song
        if column == 0:
            text = row.result.status.value
            if row.result.status is SongStatus.FAILED and row.result.message:
                text += f": {row.result.message}"
            elif row.audio_error:
                text += " · no audio"
            elif row.in_catalog:
                text += " · in catalog"
            return text
        if song is None:
            return row.result.id if column == 1 else ""
        if column == 1:
            return song.title or ("(generating…)" if not song.finished else song.display_title)
        if column == 2:
            return song.artist or ""
        if column == 3:
            return format_duration(song.duration)
        return ", ".join(song.tags)

    def _tooltip(self, row: SongRow, column: int) -> str | None:
        if column == 0:
            parts = [row.result.message, row.audio_error]
            return "\n".join(p for p in parts if p) or None
        if column == 4 and row.song:
            return ", ".join(row.song.tags)
        return row.result.id if column == 1 else None

    # -- updates ------------------------------------------------------------------------

    def ids(self) -> list[str]:
        return [r.result.id for r in self._rows]

    def row_for(self, song_id: str) -> SongRow | None:
        i = self._index.get(song_id)
        return None if i is None else self._rows[i]

    def row_at(self, row: int) -> SongRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def upsert(self, result: SongResult) -> None:
        """Add or update the row for ``result.id``; a re-fetch keeps the local state
        (downloaded file, catalog flag) and the previous song if the new reply has none."""
        i = self._index.get(result.id)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._index[result.id] = len(self._rows)
            self._rows.append(SongRow(result))
            self.endInsertRows()
            return
        row = self._rows[i]
        if result.song is None and row.song is not None and result.status is SongStatus.PENDING:
            result = result.model_copy(update={"song": row.song})
        row.result = result
        self.refresh(result.id)

    def refresh(self, song_id: str) -> None:
        i = self._index[song_id]
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def songs(self) -> list[UdioSong]:
        return [r.song for r in self._rows if r.song is not None]


class SongSearchProxy(QSortFilterProxyModel):
    """Filters rows by words found in title, creator, tags, prompt or lyrics (all words must
    match, case-insensitive): the spec's "search over prompt/tags/lyrics"."""

    def __init__(self, source: SongTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self._words: list[str] = []

    def set_query(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter is deprecated
            self.beginFilterChange()
            self._words = text.lower().split()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older PySide6
            self._words = text.lower().split()
            self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:  # noqa: N802
        if not self._words:
            return True
        row = self.sourceModel().row_at(source_row)
        if row is None:
            return False
        haystack = _searchable_text(row)
        return all(word in haystack for word in self._words)


def _searchable_text(row: SongRow) -> str:
    song = row.song
    if song is None:
        return row.result.id
    fields = [song.id, song.title, song.artist, song.prompt, song.lyrics, " ".join(song.tags)]
    return " ".join(f for f in fields if f).lower()


class UdioTab(QWidget):
    """See the module docstring. ``busy_changed`` tells the window to show activity."""

    busy_changed = Signal(bool)
    song_updated = Signal(str)  # a song id whose row or detail changed

    def __init__(
        self,
        settings_provider: Callable[[], Any],
        key_provider: Callable[[], str | None],
        downloads_dir: Path,
        add_to_catalog: AddToCatalog | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings_provider = settings_provider
        self._key_provider = key_provider
        self.downloads_dir = Path(downloads_dir)
        self._add_to_catalog = add_to_catalog
        self.poll_policy = PollPolicy()
        self._tasks: set[asyncio.Task] = set()
        self._busy_count = 0
        self._downloads: dict[str, asyncio.Future] = {}
        self._fetch_task: asyncio.Task | None = None
        self._media_http: httpx.AsyncClient | None = None
        self._covers: dict[str, QPixmap | None] = {}
        self._player: Any = None
        self._audio_output: Any = None
        self._playing_id: str | None = None
        self.model = SongTableModel(self)
        self.setup_ui()
        self.setAcceptDrops(True)
        self.refresh_configuration()
        self._show_detail(None)

    # -- layout ---------------------------------------------------------------------------

    def setup_ui(self) -> None:
        self.config_banner = QLabel(wordWrap=True)
        self.config_banner.setObjectName("udioConfigBanner")
        self.config_banner.setStyleSheet(
            "QLabel#udioConfigBanner { background: #fff4d6; border: 1px solid #e8c66a;"
            " border-radius: 4px; padding: 6px; color: #5a4500; }"
        )
        self.config_banner.hide()

        self.ids_edit = QPlainTextEdit()
        self.ids_edit.setPlaceholderText(
            "Paste Udio song or task ids (UUIDs), or udio.com song links: one per line or "
            "comma-separated. Drop a text file here to load it."
        )
        self.ids_edit.setFixedHeight(64)
        self.load_button = QPushButton("Load file…")
        self.load_button.setToolTip("Read ids from a text or CSV file (Ctrl+O)")
        self.fetch_button = QPushButton("Fetch")
        self.fetch_button.setDefault(True)
        self.fetch_button.setToolTip("Fetch the songs for these ids (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        buttons = QVBoxLayout()
        for b in (self.fetch_button, self.load_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.ids_edit, 1)
        top.addLayout(buttons)

        self.table = QTableView()
        self.proxy = SongSearchProxy(self.model, self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((170, 160, 120, 64)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search title, creator, tags, prompt and lyrics")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self.proxy.set_query)
        songs_pane = QWidget()
        songs_layout = QVBoxLayout(songs_pane)
        songs_layout.setContentsMargins(0, 0, 0, 0)
        songs_layout.addWidget(self.search_edit)
        songs_layout.addWidget(self.table, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(songs_pane)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([640, 440])
        self.splitter = splitter

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.status_label = QLabel(wordWrap=True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.include_personal = QCheckBox("Include creator images and user ids")
        self.include_personal.setToolTip(
            "Off by default: profile photos and account ids are personal data a play log "
            "does not need."
        )
        self.export_button = QPushButton("Export JSON…")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.include_personal)
        bottom.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.config_banner)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self.fetch_button.clicked.connect(self.start_fetch)
        self.load_button.clicked.connect(self._choose_ids_file)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self._choose_export_file)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.start_fetch)
        QShortcut(QKeySequence("Ctrl+O"), self, activated=self._choose_ids_file)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search_edit.setFocus)

    def _build_detail(self) -> QWidget:
        pane = QFrame()
        pane.setFrameShape(QFrame.Shape.StyledPanel)
        pane.setMinimumWidth(380)
        self.cover_label = QLabel()
        self.cover_label.setFixedSize(COVER_SIZE, COVER_SIZE)
        self.cover_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(wordWrap=True)
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.creator_label = QLabel(wordWrap=True)
        self.prompt_label = QLabel(wordWrap=True)
        self.tags_label = QLabel(wordWrap=True)
        self.song_message = QLabel(wordWrap=True)
        self.song_message.setStyleSheet("color: #c53030;")
        for label in (
            self.title_label,
            self.creator_label,
            self.prompt_label,
            self.tags_label,
            self.song_message,
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        facts = QVBoxLayout()
        for w in (self.title_label, self.creator_label, self.prompt_label, self.tags_label):
            facts.addWidget(w)
        facts.addStretch(1)
        head = QHBoxLayout()
        head.addWidget(self.cover_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(facts, 1)

        self.play_button = QPushButton("▶ Preview")
        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.setRange(0, 0)
        self.time_label = QLabel("0:00 / 0:00")
        player_row = QHBoxLayout()
        player_row.addWidget(self.play_button)
        player_row.addWidget(self.position_slider, 1)
        player_row.addWidget(self.time_label)
        if MULTIMEDIA_ERROR:
            self.play_button.setToolTip(MULTIMEDIA_ERROR)

        self.download_button = QPushButton("Download MP3")
        self.catalog_button = QPushButton("Add to catalog")
        actions = QHBoxLayout()
        actions.addWidget(self.download_button)
        actions.addWidget(self.catalog_button)
        actions.addStretch(1)
        self.provenance_label = QLabel()
        self.provenance_label.setStyleSheet("color: #6b7280;")
        self.provenance_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provenance_label.setToolTip(
            "The tag a catalog track from this song carries; plays of it on air are flagged "
            "as AI-generated."
        )

        self.lyrics_view = QTextBrowser()
        self.lyrics_view.setOpenLinks(False)
        self.lyrics_view.setPlaceholderText("No lyrics")

        layout = QVBoxLayout(pane)
        layout.addLayout(head)
        layout.addLayout(player_row)
        layout.addLayout(actions)
        layout.addWidget(self.provenance_label)
        layout.addWidget(self.song_message)
        layout.addWidget(self.lyrics_view, 1)

        self.play_button.clicked.connect(self.toggle_preview)
        self.position_slider.sliderMoved.connect(self._on_slider_moved)
        self.download_button.clicked.connect(lambda: self._spawn(self.download_selected()))
        self.catalog_button.clicked.connect(lambda: self._spawn(self.add_selected_to_catalog()))
        return pane

    # -- configuration ----------------------------------------------------------------------

    def configuration_problem(self) -> str | None:
        """Why nothing can be fetched yet (no base URL, no key), or None."""
        try:
            self._make_client_config()
        except UdioNotConfiguredError as exc:
            return exc.message
        return None

    def refresh_configuration(self) -> None:
        """Re-read settings and key (call after the Accounts & tokens dialog closes)."""
        problem = self.configuration_problem()
        self.config_banner.setText(problem or "")
        self.config_banner.setVisible(problem is not None)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.refresh_configuration()
        super().showEvent(event)

    def _make_client_config(self) -> tuple[Any, str]:
        endpoint = endpoint_from_settings(self._settings_provider())
        try:
            key = self._key_provider()
        except Exception as exc:  # the token store's own error never holds the value
            raise UdioNotConfiguredError(
                f"Could not read the Udio API key: {exc}. Check it in {WHERE_TO_CONFIGURE}."
            ) from None
        check_configured(endpoint, key)
        assert key is not None
        return endpoint, key

    def _make_client(self) -> UdioClient:
        endpoint, key = self._make_client_config()
        return UdioClient(endpoint, key)

    def _media(self) -> httpx.AsyncClient:
        """A connection pool for covers and MP3s; carries no API key (other hosts)."""
        if self._media_http is None:
            self._media_http = httpx.AsyncClient(timeout=60.0, follow_redirects=True)
        return self._media_http

    # -- ids --------------------------------------------------------------------------------

    def load_ids_file(self, path: Path) -> int:
        """Append the ids found in a text/CSV file to the box; returns how many were found."""
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._set_status(
                f"Could not read {Path(path).name}: {exc.strerror or exc}.", error=True
            )
            return 0
        parsed = parse_ids(text)
        if not parsed.ids:
            self._set_status(f"No Udio ids (UUIDs) found in {Path(path).name}.", error=True)
            return 0
        existing = self.ids_edit.toPlainText().strip()
        self.ids_edit.setPlainText("\n".join(filter(None, [existing, *parsed.ids])))
        self._set_status(f"Loaded {len(parsed.ids)} ids from {Path(path).name}.")
        return len(parsed.ids)

    def _choose_ids_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Load Udio ids", str(Path.home()), "Text files (*.txt *.csv *.tsv);;All files (*)"
        )
        if name:
            self.load_ids_file(Path(name))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        for file in files:
            self.load_ids_file(file)
        if not files and mime.hasText():
            self.ids_edit.appendPlainText(mime.text())
        event.acceptProposedAction()

    # -- fetching ---------------------------------------------------------------------------

    def start_fetch(self) -> asyncio.Task | None:
        """Fetch (and keep polling) the ids in the box, as a task on the qasync loop."""
        if self._fetch_task and not self._fetch_task.done():
            return self._fetch_task
        self._fetch_task = self._spawn(self.fetch_ids())
        return self._fetch_task

    async def fetch_ids(self) -> None:
        parsed = parse_ids(self.ids_edit.toPlainText())
        if not parsed.ids:
            hint = (
                f" ({', '.join(parsed.rejected[:3])} are not Udio ids)" if parsed.rejected else ""
            )
            self._set_status(
                "Paste at least one Udio id (a UUID such as "
                f"4f6532fa-ef6f-495b-a7fe-98b58453c9bc){hint}.",
                error=True,
            )
            return
        try:
            client = self._make_client()
        except UdioNotConfiguredError as exc:
            self.refresh_configuration()
            self._set_status(exc.message, error=True)
            return
        self.config_banner.hide()
        for song_id in parsed.ids:
            if (
                self.model.row_for(song_id) is None
                or self.model.row_for(song_id).result.status is not SongStatus.FINISHED
            ):
                self.model.upsert(
                    SongResult(id=song_id, status=SongStatus.PENDING, message="Waiting for Udio…")
                )
        if self.current_id() is None:
            self.select_song(parsed.ids[0])
        total = len(parsed.ids)
        self._set_fetching(True)
        self._busy(True, f"Fetching {total} song{'s' if total != 1 else ''}…", total)
        done: set[str] = set()

        def on_update(results: list[SongResult]) -> None:
            for result in results:
                self.model.upsert(result)
                if result.status is not SongStatus.PENDING:
                    done.add(result.id)
                self.song_updated.emit(result.id)
                if result.id == self.current_id():
                    self._show_detail(self.model.row_for(result.id))
            self.progress.setValue(len(done))
            self._set_status(
                f"{len(done)} of {total} ready; {total - len(done)} still generating…"
                if len(done) < total
                else f"Fetched {total} of {total}."
            )

        try:
            async with client:
                results = await client.poll(
                    parsed.ids, policy=self.poll_policy, on_update=on_update
                )
        except asyncio.CancelledError:
            self._fail_pending(parsed.ids, "Cancelled before Udio answered.", SongStatus.PENDING)
            self._set_status("Fetch cancelled.")
            raise
        except UdioError as exc:
            self._fail_pending(parsed.ids, exc.message, SongStatus.FAILED)
            self._set_status(exc.message, error=True)
            if isinstance(exc, UdioNotConfiguredError):
                self.refresh_configuration()
            return
        finally:
            self._busy(False)
            self._set_fetching(False)
        self._set_status(self._summary(results))

    def _set_fetching(self, fetching: bool) -> None:
        self.fetch_button.setEnabled(not fetching)
        self.cancel_button.setEnabled(fetching)

    def _fail_pending(self, ids: list[str], message: str, status: SongStatus) -> None:
        for song_id in ids:
            row = self.model.row_for(song_id)
            if row and row.result.status is SongStatus.PENDING:
                self.model.upsert(
                    row.result.model_copy(update={"status": status, "message": message})
                )

    @staticmethod
    def _summary(results: list[SongResult]) -> str:
        counts = {s: sum(r.status is s for r in results) for s in SongStatus}
        parts = [f"{counts[SongStatus.FINISHED]} finished"]
        if counts[SongStatus.PENDING]:
            parts.append(f"{counts[SongStatus.PENDING]} still generating (fetch again later)")
        if counts[SongStatus.FAILED]:
            parts.append(f"{counts[SongStatus.FAILED]} failed (hover the status for why)")
        return "Fetched: " + ", ".join(parts) + "."

    def cancel(self) -> None:
        if self._fetch_task and not self._fetch_task.done():
            self._fetch_task.cancel()

    # -- selection and detail ----------------------------------------------------------------

    def current_id(self) -> str | None:
        index = self.proxy.mapToSource(self.table.currentIndex())
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row.result.id if row else None

    def select_song(self, song_id: str) -> None:
        source = self.model.index(self.model.ids().index(song_id), 0)
        index = self.proxy.mapFromSource(source)
        if not index.isValid():  # hidden by the search box: clear the search to show it
            self.search_edit.clear()
            index = self.proxy.mapFromSource(source)
        self.table.selectRow(index.row())

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        source = self.proxy.mapToSource(current)
        row = self.model.row_at(source.row()) if source.isValid() else None
        if self._playing_id and (row is None or row.result.id != self._playing_id):
            self._stop_preview()  # the preview belongs to the song on show
        self._show_detail(row)
        if row and row.song and row.result.id not in self._covers:
            self._spawn(self._load_cover(row.song))

    def _show_detail(self, row: SongRow | None) -> None:
        song = row.song if row else None
        cover = self._covers.get(row.result.id) if row else None
        self.cover_label.setPixmap(cover or _placeholder_cover())
        if row is None:
            self.title_label.setText("No song selected")
            self.creator_label.setText("Fetch ids above, then pick a song to see its details.")
            for w in (self.prompt_label, self.tags_label, self.song_message):
                w.clear()
            self.lyrics_view.clear()
        elif song is None:
            self.title_label.setText(row.result.id)
            self.creator_label.setText(row.result.status.value)
            self.prompt_label.clear()
            self.tags_label.clear()
            self.lyrics_view.clear()
        else:
            self.title_label.setText(
                song.title or ("Generating…" if not song.finished else song.display_title)
            )
            duration = format_duration(song.duration)
            self.creator_label.setText(
                f"by <b>{html.escape(song.artist or 'unknown creator')}</b>"
                + (f" · {duration}" if duration else "")
            )
            self.prompt_label.setText(
                f"<i>Prompt:</i> {html.escape(song.prompt)}" if song.prompt else ""
            )
            self.tags_label.setText(_tag_chips(song.tags))
            self.lyrics_view.setHtml(lyrics_html(song.lyrics))
        self.provenance_label.setText(
            f"Catalog provenance: {provenance_of(row.result.id)}" if song is not None else ""
        )
        self.provenance_label.setVisible(song is not None)
        messages = [
            m
            for m in ((row.result.message if row else None), (row.audio_error if row else None))
            if m
        ]
        if row and row.in_catalog:
            messages.append(f"In your catalog as {provenance_of(row.result.id)}.")
        self.song_message.setText("\n".join(messages))
        self.song_message.setVisible(bool(messages))
        self.song_message.setStyleSheet(
            "color: #c53030;"
            if row and (row.audio_error or row.result.status is SongStatus.FAILED)
            else "color: #4a5568;"
        )
        self._update_actions(row)
        if self._playing_id is None or self._playing_id != (row.result.id if row else None):
            self._reset_position(song.duration if song else None)

    def _update_actions(self, row: SongRow | None) -> None:
        playable = bool(row and row.song and (row.audio_path or row.song.audio_url))
        self.play_button.setEnabled(playable and MULTIMEDIA_ERROR is None)
        self.download_button.setEnabled(playable)
        if row and row.audio_path:
            self.download_button.setText("Downloaded ✓")
            self.download_button.setToolTip(str(row.audio_path))
        else:
            self.download_button.setText("Download MP3")
            self.download_button.setToolTip(f"Save the MP3 to {self.downloads_dir}")
        if self._add_to_catalog is None:
            self.catalog_button.setEnabled(False)
            self.catalog_button.setToolTip(NO_CATALOG_TIP)
        else:
            self.catalog_button.setEnabled(playable and not (row and row.in_catalog))
            self.catalog_button.setToolTip(
                "Fingerprint this song into your catalog, tagged as AI-generated "
                "(so plays on monitored stations are flagged)."
            )

    async def _load_cover(self, song: UdioSong) -> None:
        self._covers[song.id] = None  # only one attempt per song
        data = await fetch_cover(self._media(), song)
        pixmap = QPixmap()
        if data and pixmap.loadFromData(data):
            self._covers[song.id] = pixmap.scaled(
                COVER_SIZE,
                COVER_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            if self.current_id() == song.id:
                self.cover_label.setPixmap(self._covers[song.id])
            self.song_updated.emit(song.id)

    def cover_loaded(self, song_id: str) -> bool:
        return self._covers.get(song_id) is not None

    # -- download, catalog ----------------------------------------------------------------------

    async def download_selected(self) -> Path | None:
        song_id = self.current_id()
        return await self.download(song_id) if song_id else None

    async def download(self, song_id: str) -> Path | None:
        """Download one song's MP3 (once); errors become the song's message, never raise.
        Download, preview and add-to-catalog share one in-flight download per song."""
        running = self._downloads.get(song_id)
        if running is None:
            running = asyncio.ensure_future(self._download(song_id))
            self._downloads[song_id] = running
            running.add_done_callback(lambda _: self._downloads.pop(song_id, None))
        return await asyncio.shield(running)

    async def _download(self, song_id: str) -> Path | None:
        row = self.model.row_for(song_id)
        if row is None or row.song is None:
            return None
        if row.audio_path and row.audio_path.exists():
            return row.audio_path
        self._busy(True, f"Downloading “{row.song.display_title}”…", 0)

        def on_progress(done: int, total: int | None) -> None:
            if total:
                self.progress.setRange(0, total)
                self.progress.setValue(done)

        try:
            row.audio_path = await download_audio(
                self._media(), row.song, self.downloads_dir, on_progress=on_progress
            )
            row.audio_error = None
            self._set_status(f"Saved {row.audio_path.name} to {self.downloads_dir}.")
        except UdioError as exc:
            row.audio_error = exc.message
            self._set_status(exc.message, error=True)
        except OSError as exc:
            row.audio_error = (
                f"Could not save the MP3 in {self.downloads_dir}: {exc.strerror or exc}."
            )
            self._set_status(row.audio_error, error=True)
        finally:
            self._busy(False)
        self._song_changed(song_id)
        return row.audio_path

    async def add_selected_to_catalog(self) -> bool:
        song_id = self.current_id()
        return await self.add_to_catalog(song_id) if song_id else False

    async def add_to_catalog(self, song_id: str) -> bool:
        """Download if needed, then hand the file and ``udio:<id>`` metadata to the app."""
        row = self.model.row_for(song_id)
        if self._add_to_catalog is None or row is None or row.song is None:
            return False
        path = await self.download(song_id)
        if path is None:
            return False
        self._busy(True, f"Adding “{row.song.display_title}” to the catalog…", 0)
        try:
            await import_to_catalog(path, row.song, self._add_to_catalog)
        except UdioError as exc:
            self._set_status(exc.message, error=True)
            return False
        except Exception as exc:  # the app's uploader: show, don't crash the tab
            log.exception("adding %s to the catalog failed", song_id)
            self._set_status(
                f"Could not add “{row.song.display_title}” to the catalog: {exc}", error=True
            )
            return False
        finally:
            self._busy(False)
        row.in_catalog = True
        self._set_status(
            f"Added “{row.song.display_title}” to the catalog as {provenance_of(song_id)}."
        )
        self._song_changed(song_id)
        return True

    def _song_changed(self, song_id: str) -> None:
        self.model.refresh(song_id)
        if self.current_id() == song_id:
            self._show_detail(self.model.row_for(song_id))
        self.song_updated.emit(song_id)

    # -- export -----------------------------------------------------------------------------

    def export_json(self, path: Path) -> int:
        """Write the fetched songs (personal fields only if the box is ticked)."""
        songs = self.model.songs()
        Path(path).write_text(
            songs_to_json(songs, include_personal=self.include_personal.isChecked()),
            encoding="utf-8",
        )
        self._set_status(f"Exported {len(songs)} songs to {Path(path).name}.")
        return len(songs)

    def _choose_export_file(self) -> None:
        if not self.model.songs():
            self._set_status("Nothing to export yet: fetch some songs first.", error=True)
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export Udio songs", str(self.downloads_dir / "udio-songs.json"), "JSON (*.json)"
        )
        if name:
            try:
                self.export_json(Path(name))
            except OSError as exc:
                self._set_status(f"Could not write {name}: {exc.strerror or exc}.", error=True)

    # -- preview player ----------------------------------------------------------------------

    def player(self) -> Any:
        """The QMediaPlayer, created on first use (None when QtMultimedia is missing)."""
        if self._player is None and QMediaPlayer is not None:
            self._player = QMediaPlayer(self)
            self._audio_output = QAudioOutput(self)
            self._player.setAudioOutput(self._audio_output)
            self._player.durationChanged.connect(self._on_duration_changed)
            self._player.positionChanged.connect(self._on_position_changed)
            self._player.playbackStateChanged.connect(self._on_playback_state_changed)
            self._player.errorOccurred.connect(self._on_player_error)
        return self._player

    def toggle_preview(self) -> None:
        player = self.player()
        song_id = self.current_id()
        if player is None or song_id is None:
            return
        if (
            self._playing_id == song_id
            and player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        ):
            media_control.pause(player)
            return
        if (
            self._playing_id == song_id
            and player.playbackState() == QMediaPlayer.PlaybackState.PausedState
        ):
            media_control.play(player)
            return
        self._spawn(self.preview(song_id))

    async def preview(self, song_id: str) -> bool:
        """Download if needed, then play the local MP3."""
        path = await self.download(song_id)
        player = self.player()
        if path is None or player is None:
            return False
        self._playing_id = song_id
        media_control.load(player, QUrl.fromLocalFile(str(path)))
        media_control.play(player)
        return True

    def _stop_preview(self) -> None:
        if self._player is not None:
            media_control.stop(self._player)
        self._playing_id = None

    def _reset_position(self, duration_s: float | None) -> None:
        self.position_slider.setRange(0, 0)
        self.time_label.setText(f"0:00 / {format_duration(duration_s) or '0:00'}")

    def _on_duration_changed(self, ms: int) -> None:
        self.position_slider.setRange(0, max(0, ms))
        self._update_time_label()

    def _on_position_changed(self, ms: int) -> None:
        if not self.position_slider.isSliderDown():
            self.position_slider.setValue(ms)
        self._update_time_label()

    def _on_slider_moved(self, ms: int) -> None:
        if self._player is not None:
            media_control.seek(self._player, ms)

    def _on_playback_state_changed(self, state) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText("⏸ Pause" if playing else "▶ Preview")

    def _on_player_error(self, _error, message: str) -> None:
        self._set_status(
            f"Preview failed: {message or 'the file could not be played'}.", error=True
        )

    def _update_time_label(self) -> None:
        position = self.position_slider.value() / 1000
        duration = self.position_slider.maximum() / 1000
        self.time_label.setText(
            f"{format_duration(position) or '0:00'} / {format_duration(duration) or '0:00'}"
        )

    # -- plumbing --------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("Udio tab task failed", exc_info=exc)
            self._set_status(f"Something went wrong: {exc}", error=True)

    def _busy(self, busy: bool, text: str = "", total: int = 0) -> None:
        """Show progress while any operation runs; ``total`` 0 means indeterminate."""
        self._busy_count = max(0, self._busy_count + (1 if busy else -1))
        if busy:
            self.progress.setRange(0, total)
            self.progress.setValue(0)
            self.progress.show()
            self._set_status(text)
        elif self._busy_count == 0:
            self.progress.hide()
        self.busy_changed.emit(self._busy_count > 0)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #c53030;" if error else "")

    async def aclose(self) -> None:
        """Cancel work, stop playback and close connections (from the app's shutdown)."""
        pending = [*self._tasks, *self._downloads.values()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._player is not None:
            media_control.unload(self._player)
        if self._media_http is not None:
            await self._media_http.aclose()
            self._media_http = None


def lyrics_html(text: str | None) -> str:
    """Lyrics as clean sections: a small heading per section, stanzas as paragraphs."""
    sections = parse_lyrics(text)
    if not sections:
        return "<p style='color:#6b7280'><i>No lyrics (instrumental, or not written yet).</i></p>"
    parts = []
    for section in sections:
        if section.name:
            parts.append(
                "<p style='margin-top:10px; margin-bottom:2px; color:#4a5568; font-weight:600;"
                f" font-size:small; letter-spacing:1px'>{html.escape(section.name.upper())}</p>"
            )
        stanza: list[str] = []
        for line in [*section.lines, ""]:
            if line:
                stanza.append(html.escape(line))
            elif stanza:
                parts.append("<p style='margin-top:0'>" + "<br>".join(stanza) + "</p>")
                stanza = []
    return "".join(parts)


def _tag_chips(tags: list[str]) -> str:
    if not tags:
        return ""
    chips = " ".join(
        f"<span style='background:#e8eefc; color:#2a4a8a'>&nbsp;{html.escape(t)}&nbsp;</span>"
        for t in tags
    )
    return f"<span style='line-height:160%'>{chips}</span>"


def _placeholder_cover() -> QPixmap:
    pixmap = QPixmap(QSize(COVER_SIZE, COVER_SIZE))
    pixmap.fill(QColor("#e2e8f0"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#94a3b8"))
    font = QFont(painter.font())
    font.setPointSize(40)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, COVER_SIZE, COVER_SIZE), Qt.AlignmentFlag.AlignCenter, "♪")
    painter.end()
    return pixmap
