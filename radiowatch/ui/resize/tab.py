"""The Resize tab: fit a song to a target length (a 30 s radio edit, a 60 s ad bed), Audjust-style.

Open a file (button, drag-and-drop, or `open_track` from History's "Make a cut-down"); it is
analysed in the Resize worker process (never in the GUI process) or by the Audjust cloud when
the user has a key; candidates for the target length are listed best first; selecting one
shades its segments on the waveform, marks its seams on the similarity map and plays a rendered
preview with a moving cursor (edit_preview.py); selected candidates export as WAV or MP3.
Until a song's analysis is on screen the plots are replaced by an empty state (empty_state.py).

Each kind of work is one TaskSlot: opening another song stops the analysis still running, a
new target stops the search for the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audjust import similarity as similarity_codec
from radiowatch.audjust.cache import AnalysisCache, CachedAnalysis
from radiowatch.audjust.client import (
    DEFAULT_BASE_URL,
    DEFAULT_POLL_INTERVAL,
    WHERE_TO_SET_KEY,
    AudjustClient,
)
from radiowatch.audjust.errors import AnalysisCancelled, AudjustError
from radiowatch.audjust.models import ExportFormat, ResizeResult
from radiowatch.audjust.worker import ResizeWorker
from radiowatch.ui.common.dialogs import ask_text
from radiowatch.ui.common.elided_label import ElidedLabel
from radiowatch.ui.common.tasks import TaskSlot, spawn
from radiowatch.ui.resize.candidate_table import CandidateTable, ranked, seams
from radiowatch.ui.resize.edit_preview import EditPreview, clock
from radiowatch.ui.resize.empty_state import NoSongPage
from radiowatch.ui.resize.waveform_view import SimilarityPanel, WaveformView

BACKEND_LOCAL = "local"
BACKEND_AUDJUST = "audjust"
PRESETS = (15, 30, 60)
NO_SONG_TEXT = "No song open"
AUDIO_SUFFIXES = {
    ".mp3",
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".m4a",
    ".aac",
    ".wma",
    ".aif",
    ".aiff",
    ".mp4",
    ".webm",
}


class ResizeTab(QWidget):
    analysis_ready = Signal()
    candidates_ready = Signal()
    exported = Signal(list)  # list[Path]
    message_shown = Signal(str)

    def __init__(
        self,
        cache_dir: Path,
        audjust_key_provider: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = Path(cache_dir)
        self._key_provider = audjust_key_provider
        self.audjust_base_url = DEFAULT_BASE_URL
        self.audjust_poll_interval = DEFAULT_POLL_INTERVAL
        self.worker = ResizeWorker(self.cache_dir / "resize")
        self._cloud_cache = AnalysisCache(self.cache_dir / "resize-audjust")
        self.path: Path | None = None
        self.source_url: str | None = None
        self.entry: CachedAnalysis | None = None
        self.candidates: list[ResizeResult] = []
        self._warming = TaskSlot("resize-warm-up")
        self._analysis = TaskSlot("resize-open")
        self._search = TaskSlot("resize-candidates")
        self.setAcceptDrops(True)
        self.setup_ui()
        QTimer.singleShot(0, self._warm_up)

    # -- layout ------------------------------------------------------------------------------

    def setup_ui(self) -> None:
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a song (Ctrl+O), or drop an audio file on this tab")
        self.open_button.clicked.connect(self._on_open_clicked)
        QShortcut(
            QKeySequence.StandardKey.Open,
            self,
            self._on_open_clicked,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        # Elided: a long file name must not widen the window past the screen.
        self.file_label = ElidedLabel(NO_SONG_TEXT)
        self.backend_combo = QComboBox()
        self.backend_combo.addItem("Local (free, on this computer)", BACKEND_LOCAL)
        self.backend_combo.addItem("Audjust API (cloud, uses credits)", BACKEND_AUDJUST)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)
        self.progress.setFixedWidth(220)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)
        top.addWidget(QLabel("Backend:"))
        top.addWidget(self.backend_combo)

        self.no_song = NoSongPage()
        self.no_song.open_requested.connect(self._on_open_clicked)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.no_song)
        self.pages.addWidget(self._song_page())

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        self._refresh_backends()

    def _song_page(self) -> QWidget:
        """The waveform over the target row, the edits beside the similarity map, and the
        preview and export row, each across the whole width."""
        self.waveform = WaveformView()
        self.waveform.setMinimumHeight(150)
        self.similarity = SimilarityPanel()
        self.similarity.setMinimumWidth(240)
        self.similarity_view = self.similarity.view

        self.target_spin = QDoubleSpinBox()
        self.target_spin.setRange(1.0, 36000.0)
        self.target_spin.setDecimals(1)
        self.target_spin.setSuffix(" s")
        self.target_spin.setValue(30.0)
        self.target_spin.setToolTip(
            "Target length of the edit; candidates land within a few seconds"
        )
        self.target_spin.editingFinished.connect(self._on_target_changed)
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("Target length:"))
        target_row.addWidget(self.target_spin)
        self.preset_buttons = []
        for seconds in PRESETS:
            b = QPushButton(f"{seconds} s")
            b.setToolTip(f"Find {seconds}-second edits")
            b.clicked.connect(lambda _=False, s=seconds: self.set_target(s))
            target_row.addWidget(b)
            self.preset_buttons.append(b)
        self.find_button = QPushButton("Find cuts")
        self.find_button.clicked.connect(self._on_target_changed)
        target_row.addWidget(self.find_button)
        target_row.addStretch(1)

        self.table = CandidateTable()
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

        self.edit_preview = EditPreview(self.worker)
        self.edit_preview.cursor_moved.connect(self.waveform.set_cursor)
        self.edit_preview.failed.connect(self._show_error)
        self.play_button = self.edit_preview.play_button
        self.format_combo = QComboBox()
        for fmt in (
            ExportFormat.WAV,
            ExportFormat.MP3_320,
            ExportFormat.MP3_256,
            ExportFormat.MP3_128,
        ):
            self.format_combo.addItem(fmt.label, fmt.value)
        self.export_button = QPushButton("Export selected…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._on_export_clicked)
        bottom = QHBoxLayout()
        bottom.addWidget(self.edit_preview)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Format:"))
        bottom.addWidget(self.format_combo)
        bottom.addWidget(self.export_button)

        edits = QSplitter(Qt.Orientation.Horizontal)
        edits.setChildrenCollapsible(False)
        edits.addWidget(self.table)
        edits.addWidget(self.similarity)
        # The map is square: a third of the width is about its height at any window size.
        edits.setStretchFactor(0, 2)
        edits.setStretchFactor(1, 1)
        edits.setSizes([2000, 1000])
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(target_row)
        lower_layout.addWidget(edits, 1)
        lower_layout.addLayout(bottom)
        page = QSplitter(Qt.Orientation.Vertical)
        page.setChildrenCollapsible(False)
        page.addWidget(self.waveform)
        page.addWidget(lower)
        page.setStretchFactor(0, 2)
        page.setStretchFactor(1, 3)
        return page

    def song_shown(self) -> bool:
        """Whether the plots show an analysed song (else the empty state is up)."""
        return self.pages.currentIndex() == 1

    # -- public API --------------------------------------------------------------------------

    def open_track(
        self,
        path: str | Path,
        preset_seconds: float | None = None,
        *,
        source_url: str | None = None,
    ) -> asyncio.Task:
        """Analyse `path` and list edits (of `preset_seconds` if given). Used by "make a cut-down".

        `source_url` is a public link to the same file, for the Audjust backend (which cannot read
        local files); without it the tab asks for one when that backend is chosen.
        """
        if source_url is not None:
            self.source_url = source_url
        elif self.path is not None and Path(path) != self.path:
            self.source_url = None
        if preset_seconds is not None:
            with QSignalBlocker(self.target_spin):
                self.target_spin.setValue(float(preset_seconds))
        return self._analysis.start(self._open(Path(path)))

    def set_target(self, seconds: float) -> None:
        with QSignalBlocker(self.target_spin):
            self.target_spin.setValue(float(seconds))
        self._on_target_changed()

    def cancel(self) -> None:
        """Stop a running analysis (local: the worker stops it at its next stage; cloud: stop
        waiting)."""
        self._analysis.cancel()

    @property
    def backend(self) -> str:
        return self.backend_combo.currentData()

    def select_candidate(self, index: int) -> None:
        self.table.select_candidate(index)

    def selected_indexes(self) -> list[int]:
        return self.table.selected_indexes()

    async def export_candidates(
        self, indexes: list[int], fmt: ExportFormat, directory: Path
    ) -> list[Path]:
        """Write each candidate to `directory` ("<song> - 30s edit 1.wav"); returns the files."""
        if self.path is None or not indexes:
            return []
        picked = [self.candidates[i] for i in indexes]
        dests = [
            self._export_name(directory, r, i, fmt) for i, r in zip(indexes, picked, strict=True)
        ]
        groups = [r.segmentsSeconds for r in picked]
        self._show(f"Exporting {len(picked)} file(s)…")
        try:
            if self.backend == BACKEND_AUDJUST and self.source_url:
                async with self._client() as client:
                    outcome = await client.export(self.source_url, groups, fmt, dests)
                files = outcome.files
                cost = (
                    f" ({outcome.credit_cost} credits)" if outcome.credit_cost is not None else ""
                )
                failed = f"; {len(outcome.failures)} failed" if outcome.failures else ""
                self._show(
                    f"Exported {len(files)} file(s) via Audjust{cost}{failed} to {directory}."
                )
            else:
                files = await self.worker.export(self.path, groups, fmt, dests)
                self._show(f"Exported {len(files)} file(s) to {directory}.")
        except AudjustError as exc:
            self._show_error(str(exc))
            return []
        self.exported.emit(files)
        return files

    def shutdown(self) -> None:
        """Stop playback and the worker process, remove preview files. Call from app shutdown."""
        for job in (self._warming, self._analysis, self._search):
            job.cancel()  # before the worker closes under them
        self.edit_preview.shutdown()
        self.worker.close()

    # -- analysis ----------------------------------------------------------------------------

    def _warm_up(self) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop (e.g. constructed headless)
            self._warming.start(self.worker.warm_up())

    async def _open(self, path: Path) -> None:
        self._search.cancel()
        self.edit_preview.clear()
        self.path = path
        self.entry = None
        self.candidates = []
        self._fill_table()
        self.waveform.set_segments([])
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.no_song.show_analysing(path.name)
        self.pages.setCurrentIndex(0)
        self._refresh_backends()
        self._set_busy(True)
        try:
            if self.backend == BACKEND_AUDJUST:
                entry = await self._analyze_with_audjust(path)
                if entry is None:
                    self._show_no_song()
                    return
            else:
                self._show(f"Analysing {path.name}…")
                entry = await self.worker.analyze(path, on_progress=self._on_progress)
        except AnalysisCancelled:
            self._show("Analysis cancelled.")
            self._show_no_song()
            return
        except asyncio.CancelledError:
            self._show("Analysis cancelled.")
            self._show_no_song()
            raise
        except AudjustError as exc:
            self._show_error(str(exc))
            self._show_no_song()
            return
        finally:
            self._set_busy(False)
        self._show_analysis(entry)
        await self._search.start(self._find_candidates())

    def _show_no_song(self) -> None:
        """Back to the empty state; `path` stays, for the next Open dialog's folder."""
        self.file_label.setText(NO_SONG_TEXT)
        self.file_label.setToolTip("")
        self.no_song.show_idle()
        self.pages.setCurrentIndex(0)

    async def _analyze_with_audjust(self, path: Path) -> CachedAnalysis | None:
        cached = self._cloud_cache.get(path) if path.is_file() else None
        if cached is not None:
            self._show("Loaded the Audjust analysis from the cache (no credits used).")
            return cached
        url: str | None = self.source_url or ""
        if not url:
            url = await ask_text(
                self,
                "Public link for Audjust",
                "Audjust downloads the song from a public link (it cannot read files on this computer).\n"
                "Paste an https:// link where this file can be downloaded several times:",
            )
        if not url or not url.strip().lower().startswith(("http://", "https://")):
            self._show(
                "Audjust analysis needs a public https:// link to the file. "
                "Switch the backend to Local to work offline."
            )
            return None
        self.source_url = url.strip()
        self._show("Waiting for Audjust to analyse the song (this can take a few minutes)…")
        self.progress.setRange(0, 0)
        async with self._client() as client:
            outcome = await client.analyze(self.source_url)
        waveform = await self.worker.waveform(path)
        entry = CachedAnalysis(analysis=outcome.analysis, waveform=waveform)
        self._cloud_cache.put(path, entry)
        cost = f" ({outcome.credit_cost} credits)" if outcome.credit_cost is not None else ""
        self._show(f"Audjust analysis done{cost}.")
        return entry

    def _client(self) -> AudjustClient:
        return AudjustClient(
            self._key_provider() or "",
            base_url=self.audjust_base_url,
            poll_interval=self.audjust_poll_interval,
        )

    def _on_progress(self, fraction: float, stage: str) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(int(round(fraction * 100)))
        self.progress.setFormat(f"{stage} %p%")

    def _show_analysis(self, entry: CachedAnalysis) -> None:
        self.entry = entry
        a = entry.analysis
        self.waveform.set_waveform(entry.waveform.lo, entry.waveform.hi, entry.waveform.duration)
        self.waveform.set_beats(a.boundaries, a.barPhase)
        self.similarity_view.set_matrix(similarity_codec.decode(a.similarity))
        beats = len(a.boundaries) - 1
        self.file_label.setText(
            f"{self.path.name if self.path else ''} — {clock(a.duration)}, {a.tempo:.1f} BPM, {beats} beats"
        )
        self.pages.setCurrentIndex(1)
        self.analysis_ready.emit()

    # -- candidates --------------------------------------------------------------------------

    def _on_target_changed(self) -> None:
        if self.entry is not None:
            self._search.start(self._find_candidates())

    async def _find_candidates(self) -> None:
        if self.entry is None:
            return
        target = self.target_spin.value()
        self.edit_preview.clear()
        self._show(f"Finding edits for {target:g} s…")
        try:
            if self.backend == BACKEND_AUDJUST and self._key_provider():
                async with self._client() as client:
                    outcome = await client.resize(target, analysis=self.entry.analysis)
                results = outcome.results
                cost = (
                    f" ({outcome.credit_cost} credits)" if outcome.credit_cost is not None else ""
                )
                note = f"Audjust found {len(results)} edits{cost}."
            else:
                results = await self.worker.resize(self.entry.analysis, target)
                note = f"{len(results)} edits for {target:g} s."
        except AudjustError as exc:
            self.candidates = []
            self._fill_table()
            self._show_error(str(exc))
            return
        self.candidates = ranked(results, target)
        self._fill_table()
        self._show(
            note + " Select one to preview it." if results else "No edit found for this target."
        )
        self.candidates_ready.emit()
        if self.candidates:
            self.table.selectRow(0)

    def _fill_table(self) -> None:
        self.table.fill(self.candidates, self.entry)
        self.export_button.setEnabled(False)
        self.edit_preview.clear()

    def _on_selection_changed(self) -> None:
        picked = self.selected_indexes()
        self.export_button.setEnabled(bool(picked))
        if not picked:
            self.waveform.set_segments([])
            self.similarity_view.set_seams([])
            self.edit_preview.clear()
            return
        r = self.candidates[picked[0]]
        self.waveform.set_segments(r.segmentsSeconds)
        self.similarity_view.set_seams(seams(r))
        if self.path is not None:
            self.edit_preview.show_edit(self.path, r)

    # -- export ------------------------------------------------------------------------------

    def _on_export_clicked(self) -> None:
        picked = self.selected_indexes()
        if not picked:
            return
        start = str(self.path.parent) if self.path else ""
        directory = QFileDialog.getExistingDirectory(self, "Export edits to folder", start)
        if directory:
            fmt = ExportFormat(self.format_combo.currentData())
            spawn(self.export_candidates(picked, fmt, Path(directory)), name="resize-export")

    def _export_name(self, directory: Path, r: ResizeResult, index: int, fmt: ExportFormat) -> Path:
        stem = self.path.stem if self.path else "edit"
        return Path(directory) / f"{stem} - {r.durationSeconds:.0f}s edit {index + 1}{fmt.suffix}"

    # -- backend, state, messages --------------------------------------------------------------

    def _refresh_backends(self) -> None:
        has_key = bool(self._key_provider())
        model = self.backend_combo.model()
        if isinstance(model, QStandardItemModel):
            item = model.item(1)
            item.setEnabled(has_key)
            item.setToolTip(
                "" if has_key else f"Set an Audjust API key in {WHERE_TO_SET_KEY} to use the cloud."
            )
        if not has_key and self.backend == BACKEND_AUDJUST:
            self.backend_combo.setCurrentIndex(0)
        self.backend_combo.setToolTip(
            "Local: free and offline. Audjust API: Audjust's own algorithm, costs credits."
            if has_key
            else f"Local analysis (free, offline). For the Audjust cloud, set a key in {WHERE_TO_SET_KEY}."
        )

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._refresh_backends()
        super().showEvent(event)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.open_button.setEnabled(not busy)
        self.backend_combo.setEnabled(not busy)
        if busy:
            self.progress.setRange(0, 100)
            self.progress.setValue(0)
            self.progress.setFormat("Starting %p%")

    def _show(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)
        self.message_shown.emit(text)

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(text)
        self.message_shown.emit(text)

    def _on_open_clicked(self) -> None:
        start = str(self.path.parent) if self.path else ""
        filters = (
            "Audio files (" + " ".join(f"*{s}" for s in sorted(AUDIO_SUFFIXES)) + ");;All files (*)"
        )
        path, _ = QFileDialog.getOpenFileName(self, "Open a song to resize", start, filters)
        if path:
            self.open_track(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if _first_local_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        path = _first_local_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_track(path)


def _first_local_file(mime) -> Path | None:
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            p = Path(url.toLocalFile())
            if p.is_file():
                return p
    return None
