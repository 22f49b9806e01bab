"""Long-file mode: hours-long recordings, DJ mixes and videos on the enterprise endpoint (or the
local engine's equivalent, same protocol), shown as a timeline and exported as a cue list.

Before anything is sent the panel reads the file's length (in a worker thread) and shows what
the scan will cost, live as skip/every/limit/skip_first_seconds change: AudD bills one request
per 12 s chunk scanned. The scan is one request; while it runs the panel shows the elapsed time
and can cancel it at any moment (the connection is closed, the panel is usable at once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.cue_list_export import Cue, build_cues, write_cue_csv, write_cue_json
from radiowatch.audd.enterprise_cost import (
    CHUNK_SECONDS,
    ScanPlan,
    describe_cost,
    estimated_requests,
    format_duration,
    scanned_seconds,
)
from radiowatch.ui.common.audio_files import AUDIO_FILTER
from radiowatch.ui.common.job_panel import ClientProvider, JobPanel, loaded_source
from radiowatch.ui.common.preview_player import PreviewPlayer
from radiowatch.ui.common.tasks import TaskSlot
from radiowatch.ui.recognize.scan_widgets import (
    reset_progress,
    results_table,
    scan_controls,
    source_row,
)
from radiowatch.ui.recognize.timeline import TimelineBar

log = logging.getLogger(__name__)

CUE_HEADERS = ("Start", "End", "Artist", "Title", "Album", "Score", "Song at")


def probe_duration(path: str) -> float | None:
    """The media's length in seconds from its header (fast; no decoding), or None."""
    import av

    try:
        with av.open(path) as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0] if container.streams.audio else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.FFmpegError, OSError, ValueError, IndexError):
        return None
    return None


class LongFilePanel(JobPanel):
    def __init__(self, client_provider: ClientProvider, parent: QWidget | None = None) -> None:
        super().__init__(client_provider, parent)
        self.duration_s: float | None = None
        self.cues: list[Cue] = []
        self.source: str | None = None
        self.last_seek_s: float | None = None
        self.preview = PreviewPlayer(self)
        self.preview.position_changed.connect(self._on_position)
        self.preview.playing_changed.connect(self._on_playing_changed)
        self.preview.failed.connect(
            lambda reason: self.position_label.setText(f"Playback failed: {reason}.")
        )
        self._started = 0.0
        self._probe = TaskSlot("probe-duration")
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)
        self.setup_ui()
        self._update_cost()

    # --- layout ---------------------------------------------------------------------

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        row, self.source_edit, self.browse_button = source_row(
            "A long recording, DJ mix or video (file or link)",
            self._on_source_edited,
            self._on_browse,
        )
        layout.addLayout(row)

        options = QHBoxLayout()
        form_left, form_right = QFormLayout(), QFormLayout()
        self.skip = self._spin(
            0,
            10000,
            0,
            "12 s chunks left out after each scanned group (4 = scan 12 s of every minute)",
        )
        self.every = self._spin(1, 10000, 1, "12 s chunks scanned in a row before skipping")
        self.limit = self._spin(0, 1_000_000, 0, "Stop after this many chunks (0 = no limit)")
        self.limit.setSpecialValueText("no limit")
        self.skip_first = self._spin(0, 24 * 3600, 0, "Seconds to leave out at the start")
        self.skip_first.setSuffix(" s")
        self.accurate = QCheckBox("Accurate offsets")
        self.accurate.setChecked(True)
        self.accurate.setToolTip("Ask for the exact start and end of each match in its chunk")
        form_left.addRow("Skip", self.skip)
        form_left.addRow("Every", self.every)
        form_right.addRow("Limit", self.limit)
        form_right.addRow("Skip first", self.skip_first)
        options.addLayout(form_left)
        options.addLayout(form_right)
        options.addWidget(self.accurate)
        options.addStretch(1)
        layout.addLayout(options)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("costLabel")
        self.cost_label.setWordWrap(True)
        layout.addWidget(self.cost_label)

        actions, self.scan_button, self.cancel_button, self.progress = scan_controls(
            self.scan_current, self.cancel
        )
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.timeline = TimelineBar()
        self.timeline.seek_requested.connect(self.play_at)
        layout.addWidget(self.timeline)
        self.table = results_table(CUE_HEADERS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.play_at(self.cues[r].start_s))
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self._on_play_pause)
        self.position_label = QLabel("")
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_json_button = QPushButton("Export JSON…")
        for button, suffix in ((self.export_csv_button, "csv"), (self.export_json_button, "json")):
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, s=suffix: self._on_export(s))
        bottom.addWidget(self.play_button)
        bottom.addWidget(self.position_label, 1)
        bottom.addWidget(self.export_csv_button)
        bottom.addWidget(self.export_json_button)
        layout.addLayout(bottom)

    def _spin(self, low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setToolTip(tip)
        spin.valueChanged.connect(self._update_cost)
        return spin

    # --- plan and cost --------------------------------------------------------------

    def plan(self) -> ScanPlan:
        return ScanPlan(
            skip=self.skip.value(),
            every=self.every.value(),
            limit=self.limit.value() or None,
            skip_first_seconds=self.skip_first.value(),
            accurate_offsets=self.accurate.isChecked(),
        )

    def estimated_requests(self) -> int | None:
        if self.duration_s is None:
            return None
        return estimated_requests(self.duration_s, self.plan())

    def _update_cost(self) -> None:
        self.cost_label.setText("Cost: " + describe_cost(self.duration_s, self.plan()))

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a long recording", "", AUDIO_FILTER)
        if path:
            self.set_source(path)

    def _on_source_edited(self) -> None:
        text = self.source_edit.text().strip()
        if text and text != self.source:
            self.set_source(text)

    def set_source(self, source: str) -> asyncio.Task | None:
        """Choose what to scan; for a local file, read its length for the cost estimate."""
        self.source = source.strip()
        if self.source_edit.text() != self.source:
            self.source_edit.setText(self.source)
        self.duration_s = None
        self._update_cost()
        if self.source.startswith(("http://", "https://")):
            return None
        path = Path(self.source).expanduser()
        if not path.is_file():
            self.status.show_message(f"There is no file at {path}.", "error")
            return None
        self.status.show_message("Reading the file's length…", "busy")
        return self._probe.start(self._read_duration(str(path)))

    async def _read_duration(self, path: str) -> None:
        duration = await asyncio.to_thread(probe_duration, path)
        if path != self._local_path():
            return
        self.duration_s = duration
        self._update_cost()
        if duration is None:
            self.status.show_message(
                "The file's length could not be read; it may not be audio (the scan will say).",
                "warning",
            )
        else:
            self.status.show_message(
                f"{Path(path).name}: {format_duration(duration)} long.", "info"
            )

    def _local_path(self) -> str | None:
        if not self.source or self.source.startswith(("http://", "https://")):
            return None
        return str(Path(self.source).expanduser())

    # --- scan -----------------------------------------------------------------------

    def scan_current(self) -> None:
        text = self.source_edit.text().strip()
        if not text:
            self.status.show_message("Choose a file or paste a link first.", "warning")
            return
        if text != self.source:
            self.set_source(text)
        self.scan()

    def scan(self) -> None:
        if self.busy or not self.source:
            return
        local = self._local_path()
        if local is not None and not Path(local).is_file():
            self.status.show_message(f"There is no file at {local}.", "error")
            return
        client = self.client()
        if client is None:
            return
        plan = self.plan()
        self._show_cues([])
        requests = self.estimated_requests()
        cost = f" (≈ {requests} requests)" if requests is not None else ""
        self.status.show_message(f"Scanning{cost}…", "busy")
        self._started = time.monotonic()
        self.progress.setRange(0, 0)  # busy: one request, its progress is not reported
        self._tick.start()
        self.start_job(self._scan(client, local or self.source, plan), "recognize-long-file")

    async def _scan(self, client, source: str, plan: ScanPlan) -> None:
        result = await client.recognize_enterprise(
            await loaded_source(source), **plan.request_params()
        )
        gap = CHUNK_SECONDS * (plan.skip + 1) + 1.0
        cues = build_cues(result, gap_s=gap, file_duration_s=self.duration_s)
        self._show_cues(cues)
        took = format_duration(time.monotonic() - self._started)
        if cues:
            self.status.show_message(
                f"Found {len(cues)} song{'s' if len(cues) != 1 else ''} in "
                f"{self._length_text()} (took {took}). Click the bar to listen there.",
                "ok",
            )
        else:
            partial = bool(plan.skip or plan.limit or plan.skip_first_seconds)
            where = f"{self._length_text()} of audio"
            if partial and self.duration_s:
                where = (
                    f"the {format_duration(scanned_seconds(self.duration_s, plan))} "
                    f"scanned of this {self._length_text()} recording"
                )
            hint = " Lower “Skip” or raise “Limit” to scan more of it." if partial else ""
            self.status.show_message(
                f"No songs found in {where}: nothing in it matches the catalog (silence, talk "
                f"or unknown music).{hint}",
                "info",
            )

    def _length_text(self) -> str:
        return format_duration(self.duration_s) if self.duration_s else "the recording"

    def _on_tick(self) -> None:
        if self.busy:
            self.progress.setFormat(
                f"Scanning… {format_duration(time.monotonic() - self._started)} elapsed"
            )

    def set_busy(self, busy: bool) -> None:
        self.scan_button.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not busy:
            self._tick.stop()
            reset_progress(self.progress)
        has = bool(self.cues) and not busy
        self.export_csv_button.setEnabled(has)
        self.export_json_button.setEnabled(has)

    def on_cancelled(self) -> None:
        self.status.show_message(
            "Scan cancelled. Nothing was kept; change the options or start again.", "info"
        )

    def _show_cues(self, cues: list[Cue]) -> None:
        self.cues = cues
        self.timeline.set_cues(cues, self.duration_s)
        self.table.setRowCount(len(cues))
        for row, cue in enumerate(cues):
            values = (
                format_duration(cue.start_s),
                format_duration(cue.end_s),
                cue.artist or "",
                cue.title or cue.name,
                cue.album or "",
                "" if cue.score is None else str(cue.score),
                cue.song_timecode or "",
            )
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.play_button.setEnabled(bool(cues) and self.preview.available())
        self.play_button.setToolTip(PreviewPlayer.unavailable_reason() or "")

    # --- listening ------------------------------------------------------------------

    def play_at(self, seconds: float) -> None:
        """Listen to the scanned file from ``seconds``."""
        self.last_seek_s = seconds
        self.timeline.set_playhead(seconds)
        problem = PreviewPlayer.unavailable_reason()
        if problem or not self.source:
            self.position_label.setText(problem or "")
            return
        local = self._local_path()
        self.preview.load(QUrl.fromLocalFile(local) if local else QUrl(self.source))
        self.preview.seek(seconds)
        self.preview.play()
        cue = self.timeline.cue_at(seconds)
        where = f" — {cue.name}" if cue else ""
        self.position_label.setText(f"Playing from {format_duration(seconds)}{where}")

    def _on_play_pause(self) -> None:
        if self.preview.is_playing():
            self.preview.pause()
        else:
            self.play_at(
                self.last_seek_s
                if self.last_seek_s is not None
                else (self.cues[0].start_s if self.cues else 0.0)
            )

    def _on_position(self, seconds: float) -> None:
        self.timeline.set_playhead(seconds)

    def _on_playing_changed(self, playing: bool) -> None:
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")

    # --- export ---------------------------------------------------------------------

    def _on_export(self, suffix: str) -> None:
        stem = Path(self._local_path() or "cue-list").stem
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export cue list",
            f"{stem}-cues.{suffix}",
            "CSV (*.csv)" if suffix == "csv" else "JSON (*.json)",
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> Path | None:
        try:
            if path.suffix.lower() == ".json":
                written = write_cue_json(
                    path, self.cues, source=self._export_source(), duration_s=self.duration_s
                )
            else:
                written = write_cue_csv(path, self.cues)
        except OSError as exc:
            self.status.show_message(f"Could not write {path}: {exc.strerror or exc}", "error")
            return None
        self.status.show_message(f"Exported {len(self.cues)} cues to {written}.", "ok")
        return written

    def _export_source(self) -> str | None:
        local = self._local_path()
        return Path(local).name if local else self.source

    async def aclose(self) -> None:
        self._probe.cancel()
        self.preview.release()
        await super().aclose()
