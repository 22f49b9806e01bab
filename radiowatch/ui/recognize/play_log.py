"""Long file → Play log: an aircheck or logger recording scanned into the list of plays it holds,
the way live monitoring would have logged them (a radiowatch engine's play detection: each song
once, from its first audible second to its last).

The engine does the work over HTTP (`/playlog/`, recordings/scan_client.py); plays appear as it
finds them, with progress and Cancel. The result shows as a timeline and a table, exports like
the history (CSV, Excel, JSON) and imports into the history for a chosen station and start
time. Importing the same log twice adds nothing (history keys: station, start, song).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.cue_list_export import Cue
from radiowatch.audd.enterprise_cost import format_duration
from radiowatch.recordings.history_import import export_log, history_plays, import_plays
from radiowatch.recordings.scan_client import (
    PlayLogScanError,
    ScannedPlay,
    ScanResult,
    scan_play_log,
)
from radiowatch.ui.common.audio_files import AUDIO_FILTER
from radiowatch.ui.common.job_panel import ClientProvider, JobPanel
from radiowatch.ui.common.tasks import spawn
from radiowatch.ui.recognize.long_file import probe_duration
from radiowatch.ui.recognize.scan_widgets import (
    reset_progress,
    results_table,
    scan_controls,
    source_row,
)
from radiowatch.ui.recognize.timeline import TimelineBar

log = logging.getLogger(__name__)

HEADERS = ("Start", "End", "Length", "Artist", "Title", "Score", "Speed")
EXPORT_FILTER = "CSV (*.csv);;Excel workbook (*.xlsx);;JSON (*.json)"
NO_STATION = "— choose a station —"

StationsProvider = Callable[[], list[Any]]  # stations with .radio_id, .name


class PlayLogPanel(JobPanel):
    def __init__(self, client_provider: ClientProvider, parent: QWidget | None = None) -> None:
        super().__init__(client_provider, parent)
        self.source: Path | None = None
        self.duration_s: float | None = None
        self.plays: list[ScannedPlay] = []
        self.result: ScanResult | None = None
        self._database: Path | None = None
        self._stations: StationsProvider = list
        self._on_imported: Callable[[int], object] = lambda _n: None
        self._probe_task: asyncio.Task | None = None
        self._io_task: asyncio.Task | None = None
        self.setup_ui()
        self._refresh_actions()

    def attach_history(
        self,
        database: Path,
        stations: StationsProvider,
        on_imported: Callable[[int], object] | None = None,
    ) -> None:
        """Where "Import into history" writes, the stations to choose from, and who to tell."""
        self._database = Path(database)
        self._stations = stations
        if on_imported is not None:
            self._on_imported = on_imported
        self.reload_stations()
        self._refresh_actions()

    # --- layout ---------------------------------------------------------------------

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        row, self.source_edit, self.browse_button = source_row(
            "An aircheck or logger recording (audio or video file)",
            self._on_source_edited,
            self._on_browse,
        )
        layout.addLayout(row)

        options = QHBoxLayout()
        self.station = QComboBox()
        self.station.setMinimumWidth(220)
        self.station.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.station.setToolTip("The station the recording is of (for importing into the history)")
        self.started_at = QDateTimeEdit()
        self.started_at.setCalendarPopup(True)
        self.started_at.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.started_at.setDateTime(QDateTime.currentDateTime())
        self.started_at.setToolTip(
            "When the recording began (local time). Guessed from the file: it was last written "
            "when the recording ended."
        )
        self.min_play = QSpinBox()
        self.min_play.setRange(1, 600)
        self.min_play.setValue(15)
        self.min_play.setSuffix(" s")
        self.min_play.setToolTip("Shorter airings (teases, a song under a jingle) are not plays")
        for label, field in (
            ("Station", self.station),
            ("Recording started", self.started_at),
            ("Shortest play", self.min_play),
        ):
            caption = QLabel(label)
            caption.setBuddy(field)
            options.addWidget(caption)
            options.addWidget(field)
            options.addSpacing(12)
        options.addStretch(1)
        layout.addLayout(options)

        actions, self.scan_button, self.cancel_button, self.progress = scan_controls(
            self.scan_current, self.cancel
        )
        self.scan_button.setToolTip("Find every catalog song in the recording (radiowatch engine)")
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.timeline = TimelineBar()
        self.timeline.setToolTip("Where each play is in the recording")
        self.timeline.seek_requested.connect(self._select_at)
        layout.addWidget(self.timeline)
        self.table = results_table(HEADERS)
        header = self.table.horizontalHeader()
        for column in (3, 4):  # artist and title share the room
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the play log as CSV, Excel or JSON (like the history)")
        self.export_button.clicked.connect(self._on_export)
        self.import_button = QPushButton("Import into history")
        self.import_button.clicked.connect(self.import_into_history)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.import_button)
        layout.addLayout(bottom)

    def reload_stations(self) -> None:
        chosen = self.station.currentData()
        self.station.clear()
        self.station.addItem(NO_STATION, None)
        try:
            stations = self._stations()
        except Exception:  # noqa: BLE001 - the list is a convenience; the scan works without
            log.exception("could not read the stations")
            stations = []
        for station in stations:
            self.station.addItem(f"{station.name} (radio {station.radio_id})", station)
            if chosen is not None and station.radio_id == getattr(chosen, "radio_id", None):
                self.station.setCurrentIndex(self.station.count() - 1)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._database is not None and not self.busy:
            self.reload_stations()
        super().showEvent(event)

    # --- source ---------------------------------------------------------------------

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a recording", "", AUDIO_FILTER)
        if path:
            self.set_source(path)

    def _on_source_edited(self) -> None:
        text = self.source_edit.text().strip()
        if text and Path(text).expanduser() != self.source:
            self.set_source(text)

    def set_source(self, source: str | Path) -> asyncio.Task | None:
        """Choose the recording; its length and start time are read in a worker thread."""
        path = Path(source).expanduser()
        self.source = path
        if self.source_edit.text() != str(path):
            self.source_edit.setText(str(path))
        self.duration_s = None
        if not path.is_file():
            self.status.show_message(f"There is no file at {path}.", "error")
            return None
        self.status.show_message("Reading the recording's length…", "busy")
        self._probe_task = spawn(self._probe(path), name="probe-recording")
        return self._probe_task

    async def _probe(self, path: Path) -> None:
        duration, written = await asyncio.to_thread(_length_and_mtime, path)
        if path != self.source:
            return
        self.duration_s = duration
        if written is not None:
            began = written - timedelta(seconds=duration or 0)
            self.started_at.setDateTime(QDateTime(began.astimezone().replace(tzinfo=None)))
        length = format_duration(duration) if duration else "unknown length"
        self.status.show_message(f"{path.name}: {length}. Press Scan to list its plays.", "info")

    # --- scan -----------------------------------------------------------------------

    def scan_current(self) -> None:
        text = self.source_edit.text().strip()
        if not text:
            self.status.show_message("Choose a recording first.", "warning")
            return
        if self.source is None or Path(text).expanduser() != self.source:
            self.set_source(text)
        self.scan()

    def scan(self) -> asyncio.Task | None:
        if self.busy or self.source is None:
            return None
        if not self.source.is_file():
            self.status.show_message(f"There is no file at {self.source}.", "error")
            return None
        client = self.client()
        if client is None:
            return None
        if "audd.io" in client.base_url:
            self.status.show_message(
                "Play logs need a radiowatch engine (local or remote): the AudD cloud finds "
                "songs in long files with the Cue list mode. Change the backend in Settings.",
                "warning",
            )
            return None
        self._show([])
        self.result = None
        self.status.show_message(f"Scanning {self.source.name}…", "busy")
        self.progress.setRange(0, 0)
        return self.start_job(
            self._scan(client.base_url, client.api_token() or "", self.source), "play-log-scan"
        )

    async def _scan(self, base_url: str, token: str, path: Path) -> None:
        result = await scan_play_log(
            base_url,
            token,
            path,
            min_play_s=float(self.min_play.value()),
            on_progress=self._on_progress,
            on_play=self._on_play,
        )
        self.result = result
        self._show(result.plays)
        count = len(result.plays)
        found = f"{count} play{'s' if count != 1 else ''}"
        if result.error:
            self.status.show_message(f"{found} before the damage. {result.error}", "warning")
        elif count:
            self.status.show_message(
                f"{found} in {format_duration(result.seconds)}. Export the log or import it "
                "into the history.",
                "ok",
            )
        else:
            self.status.show_message(
                f"No plays in {format_duration(result.seconds)}: nothing in it matches the "
                "catalog for longer than the shortest play.",
                "info",
            )

    def _on_progress(self, position_s: float, duration_s: float | None) -> None:
        total = duration_s or self.duration_s
        if total:
            self.progress.setRange(0, int(total))
            self.progress.setValue(int(min(position_s, total)))
        self.progress.setFormat(
            f"{format_duration(position_s)} of {format_duration(total)}"
            if total
            else f"{format_duration(position_s)} read"
        )

    def _on_play(self, play: ScannedPlay) -> None:
        self._show([*self.plays, play])

    def set_busy(self, busy: bool) -> None:
        self.scan_button.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self.source_edit.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not busy:
            reset_progress(self.progress)
        self._refresh_actions()

    def on_cancelled(self) -> None:
        self.status.show_message(
            "Scan cancelled; the plays found so far are listed (not complete).", "info"
        )

    def on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PlayLogScanError):
            self.status.show_message(str(exc), "error")
        else:
            super().on_failed(exc)

    def _show(self, plays: list[ScannedPlay]) -> None:
        self.plays = list(plays)
        cues = [
            Cue(start_s=p.start_s, end_s=p.end_s, artist=p.artist, title=p.title, score=p.score)
            for p in self.plays
        ]
        self.timeline.set_cues(cues, self.duration_s)
        self.table.setRowCount(len(self.plays))
        for row, p in enumerate(self.plays):
            values = (
                format_duration(p.start_s),
                format_duration(p.end_s),
                format_duration(p.end_s - p.start_s),
                p.artist,
                p.title,
                "" if p.score is None else str(p.score),
                "" if p.speed is None else f"{(p.speed - 1) * 100:+.1f} %",
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (0, 1, 2, 5, 6):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        self._refresh_actions()

    def _select_at(self, seconds: float) -> None:
        for row, p in enumerate(self.plays):
            if p.start_s <= seconds <= p.end_s:
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                return

    def _refresh_actions(self) -> None:
        ready = bool(self.plays) and not self.busy
        self.export_button.setEnabled(ready)
        self.import_button.setEnabled(ready and self._database is not None)
        self.import_button.setToolTip(
            "Add these plays to the history as plays of the chosen station (once: importing "
            "again adds nothing)"
            if self._database is not None
            else "The history is not available here"
        )

    # --- export and import ----------------------------------------------------------

    def history_plays(self) -> list:
        station = self.station.currentData()
        started = self.started_at.dateTime().toPython()
        return history_plays(
            self.plays,
            recording_start=started.astimezone(UTC),  # the edit shows local time
            recording_name=self.source.name if self.source else "",
            radio_id=getattr(station, "radio_id", None),
            station_name=getattr(station, "name", "") or "",
        )

    def _on_export(self) -> None:
        stem = self.source.stem if self.source else "play-log"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the play log", f"{stem}-plays.csv", EXPORT_FILTER
        )
        if path:
            self.export(Path(path))

    def export(self, target: Path) -> asyncio.Task:
        self._io_task = spawn(self._export(target), name="play-log-export")
        return self._io_task

    async def _export(self, target: Path) -> None:
        plays = self.history_plays()
        self.status.show_message(f"Writing {target.name}…", "busy")
        try:
            result = await asyncio.to_thread(export_log, plays, target)
        except Exception as exc:  # noqa: BLE001 - ExportError and OSError say what to do
            self.status.show_message(str(exc), "error")
            return
        self.status.show_message(f"Exported {result.rows} plays to {result.path}.", "ok")

    def import_into_history(self) -> asyncio.Task | None:
        if self._database is None or not self.plays:
            return None
        if self.station.currentData() is None:
            self.status.show_message(
                "Choose the station the recording is of, then import.", "warning"
            )
            self.station.setFocus()
            return None
        self._io_task = spawn(self._import(), name="play-log-import")
        return self._io_task

    async def _import(self) -> None:
        assert self._database is not None
        plays = self.history_plays()
        self.import_button.setEnabled(False)
        self.status.show_message("Importing into the history…", "busy")
        try:
            result = await asyncio.to_thread(import_plays, self._database, plays)
        except Exception as exc:  # noqa: BLE001 - HistoryError says what to do
            self.status.show_message(f"Could not import: {exc}", "error")
            return
        finally:
            self._refresh_actions()
        station = self.station.currentText()
        if result.added:
            again = f" ({result.already} were already there)" if result.already else ""
            self.status.show_message(
                f"Imported {result.added} plays into the history as {station}{again}.", "ok"
            )
            self._on_imported(result.added)
        else:
            self.status.show_message(
                f"All {result.already} plays were already in the history: nothing added.",
                "info",
            )


def _length_and_mtime(path: Path) -> tuple[float | None, datetime | None]:
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        written = None
    return probe_duration(str(path)), written
