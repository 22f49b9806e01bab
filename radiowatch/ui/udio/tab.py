"""The Udio tab: fetch AI-generated songs by id, look at them, preview, download, and add them
to the user's catalog tagged ``udio:<id>`` so their plays on air can be flagged.

The tab holds the ids box, the song list (song_table.py) beside the detail pane of the
selected song (detail_pane.py), and does the network work: fetching and polling, covers,
downloads (one in flight per song, shared by download, preview and add-to-catalog), catalog
import, export. All of it runs as tasks on the qasync loop through ui/common/tasks (the tab
never blocks the GUI thread; its close cancels and awaits them); the Qt-free pieces live in
``radiowatch.udio``. The tab is handed its collaborators by the app: a settings provider (base
URL, path template, auth scheme), a key provider (the token store), a downloads folder, and an
optional ``add_to_catalog`` coroutine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from radiowatch.udio.catalog_import import import_to_catalog
from radiowatch.udio.client import PollPolicy, UdioClient, check_configured
from radiowatch.udio.endpoint import endpoint_from_settings
from radiowatch.udio.errors import WHERE_TO_CONFIGURE, UdioError, UdioNotConfiguredError
from radiowatch.udio.media import download_audio, fetch_cover
from radiowatch.udio.models import SongResult, SongStatus, UdioSong
from radiowatch.udio.song_export import provenance_of, songs_to_json
from radiowatch.udio.task_ids import parse_ids
from radiowatch.ui.common.tasks import TaskSet, TaskSlot
from radiowatch.ui.udio.detail_pane import COVER_SIZE, SongDetailPane
from radiowatch.ui.udio.song_table import SongSearchProxy, SongTableModel, SongTableView

log = logging.getLogger(__name__)

AddToCatalog = Callable[[Path, dict], Awaitable[None]]


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
        self._busy_count = 0
        self._fetch = TaskSlot("udio-fetch", on_error=self._on_task_error)
        self._preview = TaskSlot("udio-preview", on_error=self._on_task_error)
        self._work = TaskSet("udio", on_error=self._on_task_error)  # covers, downloads, imports
        self._downloads: dict[str, asyncio.Task] = {}
        self._media_http: httpx.AsyncClient | None = None
        self._covers: dict[str, QPixmap | None] = {}
        self.model = SongTableModel(self)
        self.setup_ui()
        self.setAcceptDrops(True)
        self.refresh_configuration()

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

        self.proxy = SongSearchProxy(self.model, self)
        self.table = SongTableView(self.proxy)
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
        self.detail = SongDetailPane(
            self.downloads_dir, catalog_available=self._add_to_catalog is not None
        )
        self.detail.preview_requested.connect(
            lambda song_id: self._preview.start(self.preview(song_id))
        )
        self.detail.download_requested.connect(
            lambda: self._work.spawn(self.download_selected(), "download")
        )
        self.detail.catalog_requested.connect(
            lambda: self._work.spawn(self.add_selected_to_catalog(), "add-to-catalog")
        )
        self.detail.failed.connect(lambda text: self._set_status(text, error=True))
        splitter.addWidget(songs_pane)
        splitter.addWidget(self.detail)
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
        if self._fetch.running():
            return self._fetch.task
        return self._fetch.start(self.fetch_ids())

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
                    self._show_detail(result.id)
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
        self._fetch.cancel()

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
        self._preview.cancel()  # a preview still downloading was for the song before
        self.detail.show_song(row, self._covers.get(row.result.id) if row else None)
        if row and row.song and row.result.id not in self._covers:
            self._work.spawn(self._load_cover(row.song), "cover")

    def _show_detail(self, song_id: str) -> None:
        self.detail.show_song(self.model.row_for(song_id), self._covers.get(song_id))

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
            self.detail.set_cover(song.id, self._covers[song.id])
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
            # Not reported by the set: whoever awaits the download shows its failure.
            running = self._work.spawn(self._download(song_id), "download", report=False)
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
            self._show_detail(song_id)
        self.song_updated.emit(song_id)

    # -- preview -------------------------------------------------------------------------------

    async def preview(self, song_id: str) -> bool:
        """Download if needed, then play the local MP3 in the detail pane."""
        path = await self.download(song_id)
        if path is None or not self.detail.preview.available():
            return False
        self.detail.play_file(song_id, path)
        return True

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

    # -- plumbing --------------------------------------------------------------------------------

    def _on_task_error(self, exc: BaseException) -> None:
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
        await self._fetch.cancel_and_wait()
        await self._preview.cancel_and_wait()
        await self._work.cancel_and_wait()
        self.detail.release()
        if self._media_http is not None:
            await self._media_http.aclose()
            self._media_http = None
