"""The Resize tab: fit a song to a target length (a 30 s radio edit, a 60 s ad bed), Audjust-style.

Open a file (button, drag-and-drop, or `open_track` from History/Catalog's "make a cut-down");
it is analysed in the Resize worker process (never in the GUI process) or by the Audjust cloud
when the user has a key; candidates for the target length are listed best first; selecting one
shades its segments on the waveform, marks its seams on the similarity map and plays a rendered
preview with a moving cursor; selected candidates export as WAV or MP3.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
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
from radiowatch.ui.common import media_control
from radiowatch.ui.common.tasks import spawn
from radiowatch.ui.resize.waveform_view import SimilarityView, WaveformView

BACKEND_LOCAL = "local"
BACKEND_AUDJUST = "audjust"
PRESETS = (15, 30, 60)
CURSOR_HZ = 30
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
COLUMNS = ("#", "Length", "Cuts", "Worst seam", "Score", "Segments")


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
        self.task: asyncio.Task | None = None
        self._resize_task: asyncio.Task | None = None
        self._preview_task: asyncio.Task | None = None
        self._preview_dir = Path(tempfile.mkdtemp(prefix="radiowatch-resize-"))
        self._preview_segments: list[tuple[float, float]] = []
        self._player = None
        self._audio_out = None
        self._preview_error: str | None = None
        self.setAcceptDrops(True)
        self.setup_ui()
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setInterval(1000 // CURSOR_HZ)
        self._cursor_timer.timeout.connect(self._on_cursor_tick)
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
        self.file_label = QLabel("No song open. Drop an audio file here or click Open….")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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

        self.waveform = WaveformView()
        self.waveform.setMinimumHeight(170)
        self.similarity_view = SimilarityView()
        self.similarity_view.setMinimumWidth(260)

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

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.setToolTip(
            "Edits for the target length, best first. Select one to preview it; "
            "select several to export them together."
        )

        self.play_button = QPushButton("▶ Play")
        self.play_button.clicked.connect(self.toggle_playback)
        self.play_button.setEnabled(False)
        self.position_label = QLabel("")
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
        bottom.addWidget(self.play_button)
        bottom.addWidget(self.position_label)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Format:"))
        bottom.addWidget(self.format_combo)
        bottom.addWidget(self.export_button)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(target_row)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(bottom)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(left)
        lower.addWidget(self.similarity_view)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.waveform)
        main.addWidget(lower)
        main.setStretchFactor(0, 2)
        main.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(main, 1)
        layout.addWidget(self.status)
        self._refresh_backends()

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
        previous = self.task
        self.cancel()
        self.task = spawn(self._open(Path(path), previous), name="resize-open")
        return self.task

    def set_target(self, seconds: float) -> None:
        with QSignalBlocker(self.target_spin):
            self.target_spin.setValue(float(seconds))
        self._on_target_changed()

    def cancel(self) -> None:
        """Stop a running analysis (local: at its next stage; cloud: stop waiting)."""
        if self.task is not None and not self.task.done():
            self.worker.cancel()
            if self.backend == BACKEND_AUDJUST:
                self.task.cancel()

    @property
    def backend(self) -> str:
        return self.backend_combo.currentData()

    def select_candidate(self, index: int) -> None:
        self.table.selectRow(self._row_of(index))

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
        self._cursor_timer.stop()
        for task in (self.task, self._resize_task, self._preview_task):
            if task is not None and not task.done():
                task.cancel()
        if self._player is not None:
            media_control.unload(self._player)
        self.worker.close()
        shutil.rmtree(self._preview_dir, ignore_errors=True)

    # -- analysis ----------------------------------------------------------------------------

    def _warm_up(self) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop (e.g. constructed headless)
            spawn(self.worker.warm_up(), name="resize-warm-up")

    async def _open(self, path: Path, previous: asyncio.Task | None = None) -> None:
        if previous is not None and not previous.done():
            # Let the cancelled analysis stop first, or the next one would clear its cancel flag.
            await asyncio.wait([previous])
        self._stop_playback()
        self.path = path
        self.entry = None
        self.candidates = []
        self._fill_table()
        self.waveform.set_segments([])
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self._refresh_backends()
        self._set_busy(True)
        try:
            if self.backend == BACKEND_AUDJUST:
                entry = await self._analyze_with_audjust(path)
                if entry is None:
                    return
            else:
                self._show(f"Analysing {path.name}…")
                entry = await self.worker.analyze(path, on_progress=self._on_progress)
        except AnalysisCancelled:
            self._show("Analysis cancelled.")
            return
        except asyncio.CancelledError:
            self._show("Analysis cancelled.")
            raise
        except AudjustError as exc:
            self._show_error(str(exc))
            return
        finally:
            self._set_busy(False)
        self._show_analysis(entry)
        await self._find_candidates()

    async def _analyze_with_audjust(self, path: Path) -> CachedAnalysis | None:
        cached = self._cloud_cache.get(path) if path.is_file() else None
        if cached is not None:
            self._show("Loaded the Audjust analysis from the cache (no credits used).")
            return cached
        url, ok = self.source_url or "", True
        if not url:
            url, ok = QInputDialog.getText(
                self,
                "Public link for Audjust",
                "Audjust downloads the song from a public link (it cannot read files on this computer).\n"
                "Paste an https:// link where this file can be downloaded several times:",
            )
        if not ok or not url.strip().lower().startswith(("http://", "https://")):
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
            f"{self.path.name if self.path else ''} — {_clock(a.duration)}, {a.tempo:.1f} BPM, {beats} beats"
        )
        self.analysis_ready.emit()

    # -- candidates --------------------------------------------------------------------------

    def _on_target_changed(self) -> None:
        if self.entry is None:
            return
        if self._resize_task is not None and not self._resize_task.done():
            self._resize_task.cancel()
        self._resize_task = spawn(self._find_candidates(), name="resize-candidates")

    async def _find_candidates(self) -> None:
        if self.entry is None:
            return
        target = self.target_spin.value()
        self._stop_playback()
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
        self.candidates = _ranked(results, target)
        self._fill_table()
        self._show(
            note + " Select one to preview it." if results else "No edit found for this target."
        )
        self.candidates_ready.emit()
        if self.candidates:
            self.table.selectRow(0)

    def _fill_table(self) -> None:
        with QSignalBlocker(self.table):
            self.table.setSortingEnabled(False)
            self.table.setRowCount(len(self.candidates))
            for row, r in enumerate(self.candidates):
                worst = r.worstSeam if r.worstSeam is not None else _worst_seam(r, self.entry)
                cells = [
                    (row + 1, f"{row + 1}"),
                    (r.durationSeconds, _clock(r.durationSeconds)),
                    (r.cut_count, str(r.cut_count)),
                    (worst, f"{worst:.2f}"),
                    (r.blendedScore, f"{r.blendedScore:.2f}"),
                    (None, "  ".join(f"{_clock(s)}–{_clock(e)}" for s, e in r.segmentsSeconds)),
                ]
                for col, (value, text) in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if value is not None:
                        item.setData(Qt.ItemDataRole.UserRole + 1, value)
                    item.setData(Qt.ItemDataRole.UserRole, row)
                    if col < 5:
                        item.setTextAlignment(
                            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                        )
                    self.table.setItem(row, col, item)
            self.table.clearSelection()
        self.export_button.setEnabled(False)
        self.play_button.setEnabled(False)

    def _row_of(self, index: int) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == index:
                return row
        return -1

    def selected_indexes(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]

    def _on_selection_changed(self) -> None:
        picked = self.selected_indexes()
        self.export_button.setEnabled(bool(picked))
        if not picked:
            self.waveform.set_segments([])
            self.similarity_view.set_seams([])
            self.play_button.setEnabled(False)
            return
        r = self.candidates[picked[0]]
        self.waveform.set_segments(r.segmentsSeconds)
        self.similarity_view.set_seams(_seams(r))
        if self._preview_task is not None and not self._preview_task.done():
            self._preview_task.cancel()
        self._preview_task = spawn(self._preview(r), name="resize-preview")

    # -- preview -----------------------------------------------------------------------------

    async def _preview(self, r: ResizeResult) -> None:
        self._stop_playback()
        if self.path is None:
            return
        player = self._ensure_player()
        if player is None:
            self.play_button.setEnabled(False)
            self.play_button.setToolTip(self._preview_error or "Audio preview is unavailable")
            return
        dest = self._preview_dir / f"preview-{abs(hash(tuple(r.segmentsSeconds))):x}.wav"
        try:
            if not dest.exists():
                await self.worker.export(self.path, [r.segmentsSeconds], ExportFormat.WAV, [dest])
        except AudjustError as exc:
            self._show_error(f"Preview failed: {exc}")
            return
        self._preview_segments = [tuple(s) for s in r.segmentsSeconds]
        media_control.load(player, QUrl.fromLocalFile(str(dest)))
        self.play_button.setEnabled(True)
        media_control.play(player)
        self._cursor_timer.start()

    def _ensure_player(self):
        if self._player is not None or self._preview_error is not None:
            return self._player
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError as exc:  # QtMultimedia missing, or libpulse not installed
            self._preview_error = f"Audio preview is unavailable: {exc}"
            return None
        self._audio_out = QAudioOutput(self)
        self._player = QMediaPlayer(self)
        self._player.setAudioOutput(self._audio_out)
        self._player.playbackStateChanged.connect(self._on_playback_state)
        return self._player

    def toggle_playback(self) -> None:
        if self._player is None:
            return
        from PySide6.QtMultimedia import QMediaPlayer

        if self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            media_control.pause(self._player)
        else:
            media_control.play(self._player)
            self._cursor_timer.start()

    def _on_playback_state(self, state) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")
        if state == QMediaPlayer.PlaybackState.StoppedState:
            self._cursor_timer.stop()
            self.waveform.set_cursor(None)

    def _stop_playback(self) -> None:
        self._cursor_timer.stop()
        self.waveform.set_cursor(None)
        self.position_label.setText("")
        if self._player is not None:
            media_control.stop(self._player)

    def _on_cursor_tick(self) -> None:
        """Fixed-rate repaint: map the preview's position back onto the source waveform."""
        if self._player is None:
            return
        out_seconds = self._player.position() / 1000.0
        self.waveform.set_cursor(source_time(self._preview_segments, out_seconds))
        total = sum(e - s for s, e in self._preview_segments)
        self.position_label.setText(f"{_clock(out_seconds)} / {_clock(total)}")

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


def source_time(segments: list[tuple[float, float]], out_seconds: float) -> float | None:
    """Where in the source the preview is at `out_seconds` of output."""
    elapsed = 0.0
    for start, end in segments:
        length = end - start
        if out_seconds < elapsed + length:
            return start + (out_seconds - elapsed)
        elapsed += length
    return segments[-1][1] if segments else None


def _ranked(results: list[ResizeResult], target: float) -> list[ResizeResult]:
    """Best first: Audjust's blended score, ties broken by closeness to target, cuts, worst seam."""
    return sorted(
        results,
        key=lambda r: (
            -r.blendedScore,
            abs(r.durationSeconds - target),
            r.cut_count,
            r.worstSeam or 0.0,
        ),
    )


def _seams(r: ResizeResult) -> list[tuple[int, int]]:
    return [(e, j) for (_, e), (j, _) in zip(r.segmentsBeats, r.segmentsBeats[1:], strict=False)]


def _worst_seam(r: ResizeResult, entry: CachedAnalysis | None) -> float:
    """Audjust's results carry no worst seam; compute it from the similarity matrix."""
    if entry is None or not r.segmentsBeats[1:]:
        return 0.0
    flat = similarity_codec.decode_flat(entry.analysis.similarity)
    n = len(entry.analysis.boundaries)
    costs = [
        1.0 - float(flat[similarity_codec.diag_index(min(e, n - 1), min(j, n - 1))])
        for e, j in _seams(r)
    ]
    return max(costs, default=0.0)


def _clock(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


def _first_local_file(mime) -> Path | None:
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            p = Path(url.toLocalFile())
            if p.is_file():
                return p
    return None
