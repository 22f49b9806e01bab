"""The Catalog tab: the user's own songs, jingles and ads in the local engine's catalog.

Add files and folders (with progress, cancel and a per-file problem list), edit metadata, remove,
search, and push selected tracks to the AudD cloud's custom catalog under the same `audio_id`
(when the AudD account has that access; a clear message when it does not).

Construction (the app wires it; plain dependencies)::

    tab = CatalogTab(catalog_provider,   # () -> CatalogClient | None (backend/catalog_client.py;
                                         #    None: the local engine is not running yet)
                     cloud_provider,     # () -> AudDClient | None for the AudD cloud (None: no
                                         #    AudD token; pushing says so)
                     found_later=watch)  # FoundLaterWatch (backend/found_later_watch.py), or None
    await tab.aclose()

Tracks added here (or by any other path) make the engine search its archive for their past
plays; the strip above the table (ui/common/found_later_strip.py) shows that search while it
runs, with Cancel, and what it found.

The engine process is the catalog's only writer; the tab only talks to it over HTTP, and every
request runs as a task on the qasync loop.

Names: the engine reads each uploaded file's tags and, for a file without tags, takes what its
name says (`Artist - Title.ext`, radiowatch/track_names.py), as it does when it indexes a
folder. A track still without a title (added by an older version) shows its file name's suggestion greyed, the editor offers
it, and Title and Artist can be edited in the table itself (double-click or F2) or beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.client import AudDClient
from radiowatch.audd.enterprise_cost import format_duration
from radiowatch.audd.errors import AudDCustomCatalogAccessError, AudDSubscriptionError
from radiowatch.backend.catalog_client import CatalogClient, CatalogTrack
from radiowatch.backend.found_later_watch import FoundLaterWatch
from radiowatch.track_names import tags_from_file_name
from radiowatch.ui.common.audio_files import AUDIO_FILTER, AUDIO_SUFFIXES
from radiowatch.ui.common.backend_messages import friendly_error
from radiowatch.ui.common.found_later_strip import FoundLaterStrip
from radiowatch.ui.common.job_panel import JobPanel

CatalogProvider = Callable[[], CatalogClient | None]
CloudProvider = Callable[[], AudDClient | None]
HEADERS = ("Title", "Artist", "Album", "ISRC", "Kind", "Length", "Catalog id", "Track id")
TITLE_COLUMN, ARTIST_COLUMN = 0, 1
EDITABLE_COLUMNS = {TITLE_COLUMN: "title", ARTIST_COLUMN: "artist"}
SUGGESTED_HINT = "Suggested from the file name: Save to keep it, or type the right one."
KINDS = ("song", "jingle", "ad")
NO_ENGINE = (
    "The local engine is not running, so the catalog cannot be shown. Start it from "
    "the status bar (or check Settings → Engine)."
)
NO_CLOUD = (
    "Pushing to AudD needs an AudD API token with custom-catalog access: add it in "
    "Settings → Accounts."
)


def audio_files_under(paths: list[Path]) -> list[Path]:
    """Files as given, plus audio/video files found in folders (recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES),
                key=lambda p: str(p).lower(),
            )
        else:
            found.append(path)
    return found


def name_suggestion(track: CatalogTrack) -> dict[str, str]:
    """What the track's file name says, for a track the catalog has no title or artist for."""
    if track.title or track.artist:
        return {}
    return tags_from_file_name(track.source_file or track.track_id)


class CatalogTab(JobPanel):
    def __init__(
        self,
        catalog_provider: CatalogProvider,
        cloud_provider: CloudProvider | None = None,
        parent: QWidget | None = None,
        *,
        found_later: FoundLaterWatch | None = None,
    ) -> None:
        super().__init__(cloud_provider or (lambda: None), parent)
        self._catalog_provider = catalog_provider
        self._found_later = found_later
        self.tracks: list[CatalogTrack] = []
        self.problems_seen: list[str] = []
        self.confirm: Callable[[str], bool] = self._ask
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.reload)
        self.setup_ui()

    # --- layout ---------------------------------------------------------------------

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, artist, album, ISRC…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.clicked.connect(self._on_add_files)
        self.add_folder_button = QPushButton("Add folder…")
        self.add_folder_button.clicked.connect(self._on_add_folder)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setShortcut("Del")
        self.remove_button.clicked.connect(self.remove_selected)
        self.push_button = QPushButton("Push to AudD…")
        self.push_button.setToolTip(
            "Upload the selected tracks to your AudD custom catalog, under the same catalog ids"
        )
        self.push_button.clicked.connect(self.push_selected)
        top.addWidget(self.search, 1)
        for button in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.push_button,
        ):
            top.addWidget(button)
        layout.addLayout(top)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        self.found_later_strip: FoundLaterStrip | None = None
        if self._found_later is not None:
            self.found_later_strip = FoundLaterStrip(self._found_later)
            layout.addWidget(self.found_later_strip)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        # Title and Artist are edited in place (double-click, F2); the other columns beside it.
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.itemChanged.connect(self._on_item_edited)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The title takes the spare width (none to spare: it narrows before anything scrolls).
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(False)
        self.table.itemSelectionChanged.connect(self._on_selection)
        split.addWidget(self.table)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        editor = QGroupBox("Selected track")
        self.editor = editor
        form = QFormLayout(editor)
        self.title_edit, self.artist_edit = QLineEdit(), QLineEdit()
        self.album_edit, self.isrc_edit = QLineEdit(), QLineEdit()
        self.isrc_edit.setPlaceholderText("e.g. GBUM71403885")
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(KINDS)
        form.addRow("Title", self.title_edit)
        form.addRow("Artist", self.artist_edit)
        form.addRow("Album", self.album_edit)
        form.addRow("ISRC", self.isrc_edit)
        form.addRow("Kind", self.kind_combo)
        self.suggestion_hint = QLabel(SUGGESTED_HINT)
        self.suggestion_hint.setObjectName("DialogHint")
        self.suggestion_hint.setWordWrap(True)
        self.suggestion_hint.hide()
        form.addRow(self.suggestion_hint)
        for edit in (self.title_edit, self.artist_edit, self.album_edit, self.isrc_edit):
            edit.returnPressed.connect(self.save_selected)
        self.save_button = QPushButton("Save changes")
        self.save_button.clicked.connect(self.save_selected)
        form.addRow(self.save_button)
        side_layout.addWidget(editor)
        self.problems_label = QLabel("Problems")
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        side_layout.addWidget(self.problems_label)
        side_layout.addWidget(self.problems, 1)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self._set_problems_visible(False)
        self._on_selection()

    def _set_problems_visible(self, visible: bool) -> None:
        self.problems_label.setVisible(visible)
        self.problems.setVisible(visible)

    def add_problem(self, text: str) -> None:
        self.problems_seen.append(text)
        self.problems.addItem(text)
        self._set_problems_visible(True)

    # --- helpers --------------------------------------------------------------------

    def catalog(self) -> CatalogClient | None:
        try:
            catalog = self._catalog_provider()
        except Exception as exc:  # noqa: BLE001
            self.status.show_message(friendly_error(exc), "error")
            return None
        if catalog is None:
            self.status.show_message(NO_ENGINE, "warning")
        return catalog

    def selected_tracks(self) -> list[CatalogTrack]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.tracks[r] for r in rows if r < len(self.tracks)]

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Catalog", text)
        return answer == QMessageBox.StandardButton.Yes

    def _start(self, coro, name: str, *, total: int | None = None) -> None:
        if total is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, max(1, total))
            self.progress.setValue(0)
            self.progress.setFormat("%v of %m")
        self.start_job(coro, name)

    def set_busy(self, busy: bool) -> None:
        for button in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.push_button,
            self.save_button,
        ):
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not busy:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")
            self._on_selection()

    # --- list and search ------------------------------------------------------------

    def reload(self) -> None:
        if self.busy:
            self._search_timer.start()  # try again once the running job is done
            return
        catalog = self.catalog()
        if catalog is None:
            return
        self._start(self._reload(catalog), "catalog-reload")

    async def _reload(self, catalog: CatalogClient, message: str | None = None) -> None:
        query = self.search.text().strip()
        upgrade = await catalog.index_status()
        self.show_tracks(await catalog.tracks(query))
        for missing in upgrade.get("missing") or []:
            text = (
                f"{missing.get('track_id')}: needs its audio file again to be recognised "
                f"({missing.get('reason')})"
            )
            if text not in self.problems_seen:
                self.add_problem(text)
        if upgrade.get("state") == "running":
            self.status.show_message(
                f"Upgrading the catalog's index: {upgrade.get('done', 0)} of "
                f"{upgrade.get('total', 0)} tracks. Recognition keeps working meanwhile.",
                "busy",
            )
            QTimer.singleShot(2000, self, self.reload)  # not after the tab is gone
        elif message:
            self.status.show_message(message, "ok")
        elif query:
            self.status.show_message(f"{_tracks(len(self.tracks))} match “{query}”.", "info")
        else:
            self.status.show_message(f"{_tracks(len(self.tracks))} in the catalog.", "info")

    def show_tracks(self, tracks: list[CatalogTrack]) -> None:
        self.tracks = list(tracks)
        self.table.blockSignals(True)  # filling the table is not the user editing it
        self.table.setRowCount(len(self.tracks))
        for row, t in enumerate(self.tracks):
            values = (
                t.title or "",
                t.artist or "",
                t.album or "",
                t.isrc or "",
                t.kind,
                format_duration(t.duration_s),
                "" if t.audio_id is None else str(t.audio_id),
                t.track_id,
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col not in EDITABLE_COLUMNS:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if col == 5:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
            self._show_suggestion(row, t)
        self.table.blockSignals(False)
        for col in range(1, len(HEADERS)):  # the title stretches over the rest
            self.table.resizeColumnToContents(col)
        self._on_selection()

    def _show_suggestion(self, row: int, track: CatalogTrack) -> None:
        """An untitled track (added before names came from files) shows its file name's
        suggestion, greyed and in italics: visible, but clearly not saved yet."""
        suggestion = name_suggestion(track)
        for col, field in EDITABLE_COLUMNS.items():
            if field not in suggestion:
                continue
            item = self.table.item(row, col)
            item.setText(suggestion[field])
            item.setData(Qt.ItemDataRole.UserRole, "suggested")
            item.setForeground(QColor("#8a93a3"))
            font = QFont(item.font())
            font.setItalic(True)
            item.setFont(font)
            item.setToolTip(f"Not in the catalog yet. {SUGGESTED_HINT}")

    def _on_selection(self) -> None:
        selected = self.selected_tracks() if self.table.selectionModel() else []
        one = selected[0] if len(selected) == 1 else None
        suggestion = name_suggestion(one) if one else {}
        self.suggestion_hint.setVisible(bool(suggestion))
        for edit, value in (
            (self.title_edit, (one.title or suggestion.get("title")) if one else ""),
            (self.artist_edit, (one.artist or suggestion.get("artist")) if one else ""),
            (self.album_edit, one.album if one else ""),
            (self.isrc_edit, one.isrc if one else ""),
        ):
            edit.setText(value or "")
            edit.setEnabled(one is not None)
        self.kind_combo.setCurrentText(one.kind if one else "song")
        self.editor.setTitle(
            "Selected track"
            if one or not selected
            else f"{len(selected)} tracks selected: select one to edit it"
        )
        self.kind_combo.setEnabled(one is not None)
        idle = not self.busy
        self.save_button.setEnabled(one is not None and idle)
        self.remove_button.setEnabled(bool(selected) and idle)
        self.push_button.setEnabled(bool(selected) and idle)

    # --- add ------------------------------------------------------------------------

    def _on_add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add songs to the catalog", "", AUDIO_FILTER)
        if paths:
            self.add_paths([Path(p) for p in paths])

    def _on_add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of songs")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path], *, kind: str = "song") -> None:
        if self.busy:
            return
        files = audio_files_under(paths)
        if not files:
            self.status.show_message("No audio or video files there.", "warning")
            return
        catalog = self.catalog()
        if catalog is None:
            return
        self.problems.clear()
        self.problems_seen.clear()
        self._set_problems_visible(False)
        self.status.show_message(f"Adding {len(files)} files…", "busy")
        self._start(self._add(catalog, files, kind), "catalog-add", total=len(files))

    async def _add(self, catalog: CatalogClient, files: list[Path], kind: str) -> None:
        # One upload more than the engine has fingerprinting processes keeps every one of them
        # busy while a finished file is being stored; each file is its own request, so a bad
        # file is one problem and Cancel keeps what was already added.
        in_flight = await catalog.add_workers() + 1
        todo = iter(files)
        done = added = 0

        async def add_next() -> None:
            nonlocal done, added
            for path in todo:
                try:
                    await catalog.add_file(path, kind=kind)  # the engine reads the tags
                    added += 1
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest
                    self.add_problem(f"{path.name}: {friendly_error(exc)}")
                done += 1
                self.progress.setValue(done)
                self.status.show_message(f"Adding files: {done} of {len(files)} done…", "busy")

        async with asyncio.TaskGroup() as group:
            for _ in range(min(in_flight, len(files))):
                group.create_task(add_next())
        failed = len(files) - added
        if added and self._found_later is not None:
            self._found_later.poke()  # the engine looks for their past plays in a moment
        summary = f"Added {added} of {len(files)} files."
        if failed:
            summary += f" {failed} could not be added: see Problems."
        await self._reload(catalog, summary)
        if failed:
            self.status.show_message(summary, "warning")

    def on_cancelled(self) -> None:
        self.status.show_message("Stopped. Files already added stay in the catalog.", "info")
        if self._found_later is not None:
            self._found_later.poke()
        self.reload_later()

    async def aclose(self) -> None:
        if self.found_later_strip is not None:
            await self.found_later_strip.aclose()
        await super().aclose()

    def reload_later(self) -> None:
        QTimer.singleShot(0, self, self.reload)

    # --- edit and remove ------------------------------------------------------------

    def save_selected(self) -> None:
        selected = self.selected_tracks()
        if len(selected) != 1 or self.busy:
            return
        catalog = self.catalog()
        if catalog is None:
            return
        fields = {
            "title": self.title_edit.text().strip(),
            "artist": self.artist_edit.text().strip(),
            "album": self.album_edit.text().strip(),
            "isrc": self.isrc_edit.text().strip().upper().replace("-", ""),
            "kind": self.kind_combo.currentText(),
        }
        self._start(self._save(catalog, selected[0].track_id, fields), "catalog-save")

    def _on_item_edited(self, item: QTableWidgetItem) -> None:
        """Title or Artist typed in the table: save that one field at once."""
        field = EDITABLE_COLUMNS.get(item.column())
        row = item.row()
        if field is None or row >= len(self.tracks):
            return
        track = self.tracks[row]
        text = item.text().strip()
        unchanged = text == (getattr(track, field) or "")
        if unchanged and item.data(Qt.ItemDataRole.UserRole) != "suggested":
            return
        catalog = self.catalog()
        if catalog is None or self.busy:
            self.reload_later()  # show what is really stored
            return
        self._start(self._save(catalog, track.track_id, {field: text}), "catalog-save")

    async def _save(self, catalog: CatalogClient, track_id: str, fields: dict) -> None:
        track = await catalog.update(track_id, **fields)
        await self._reload(catalog, f"Saved “{track.title or track.track_id}”.")
        self._select_track(track.track_id)

    def _select_track(self, track_id: str) -> None:
        for row, t in enumerate(self.tracks):
            if t.track_id == track_id:
                self.table.selectRow(row)
                return

    def remove_selected(self) -> None:
        selected = self.selected_tracks()
        if not selected or self.busy:
            return
        names = ", ".join(f"“{t.title or t.track_id}”" for t in selected[:3])
        more = f" and {len(selected) - 3} more" if len(selected) > 3 else ""
        if not self.confirm(
            f"Remove {names}{more} from the catalog? Plays already in the "
            "history stay; future recognitions will not find them."
        ):
            return
        catalog = self.catalog()
        if catalog is None:
            return
        self._start(self._remove(catalog, selected), "catalog-remove", total=len(selected))

    async def _remove(self, catalog: CatalogClient, tracks: list[CatalogTrack]) -> None:
        for i, track in enumerate(tracks):
            await catalog.remove(track.track_id)
            self.progress.setValue(i + 1)
        await self._reload(catalog, f"Removed {len(tracks)} track(s).")

    # --- push to the AudD cloud -----------------------------------------------------

    def push_selected(self) -> None:
        selected = self.selected_tracks()
        if not selected or self.busy:
            return
        try:
            cloud = self._client_provider()
        except Exception:  # noqa: BLE001
            cloud = None
        if cloud is None:
            self.status.show_message(NO_CLOUD, "warning")
            return
        self.problems.clear()
        self.problems_seen.clear()
        self._set_problems_visible(False)
        self.status.show_message(f"Uploading {len(selected)} track(s) to AudD…", "busy")
        self._start(self._push(cloud, selected), "catalog-push", total=len(selected))

    async def _push(self, cloud: AudDClient, tracks: list[CatalogTrack]) -> None:
        pushed = 0
        for i, track in enumerate(tracks):
            name = track.title or track.track_id
            source = Path(track.source_file) if track.source_file else None
            if track.audio_id is None:
                self.add_problem(f"{name}: has no catalog id; re-add it from its file.")
            elif source is None or not source.is_file():
                where = f" at {source}" if source else ""
                self.add_problem(
                    f"{name}: the original file is no longer{where}; add it "
                    "again from where it is now."
                )
            else:
                try:
                    await cloud.upload(track.audio_id, source)
                    pushed += 1
                except (AudDCustomCatalogAccessError, AudDSubscriptionError) as exc:
                    self.status.show_message(friendly_error(exc), "error")
                    return
                except Exception as exc:  # noqa: BLE001
                    self.add_problem(f"{name}: {friendly_error(exc)}")
            self.progress.setValue(i + 1)
        kind = "ok" if pushed == len(tracks) else "warning"
        self.status.show_message(
            f"Pushed {pushed} of {len(tracks)} track(s) to your AudD custom catalog "
            "(same catalog ids).",
            kind,
        )

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self.tracks and not self.busy:
            self.reload()


def _tracks(count: int) -> str:
    return f"{count} track" if count == 1 else f"{count} tracks"
