"""Batch mode: a folder of clips (a recorder's output) through one WebSocket session.

Every clip is sent as soon as it is read, without waiting for earlier replies (docs/protocols/audd.md §9), so a
folder of 200 clips costs one connection and finishes at the server's pace, not at one round
trip per file. Replies come back in order and fill the table row by row; the table exports to
CSV (formula-safe, opens in Excel and LibreOffice).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.cue_list_export import write_csv
from radiowatch.ui.common.audio_files import AUDIO_SUFFIXES
from radiowatch.ui.common.backend_messages import CLIP_MAX_BYTES, friendly_error
from radiowatch.ui.common.job_panel import ClientProvider, JobPanel
from radiowatch.ui.recognize.result_card import ProviderOptions

COLUMNS = ("file", "status", "artist", "title", "album", "timecode", "audio_id", "song_link")
HEADERS = ("File", "Result", "Artist", "Title", "Album", "Timecode", "Catalog id", "Song link")


def clips_in(folder: Path) -> list[Path]:
    """Audio/video files directly in ``folder`` (not subfolders), in name order."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES),
        key=lambda p: p.name.lower(),
    )


class BatchPanel(JobPanel):
    def __init__(
        self,
        client_provider: ClientProvider,
        options: ProviderOptions,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(client_provider, parent)
        self.options = options
        self.rows: list[dict[str, str]] = []
        self.setup_ui()

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Recognise every clip in a folder (e.g. a logger's or recorder's output). "
            "Clips are sent over one connection without waiting for each answer."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("Folder of clips")
        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.clicked.connect(self._on_choose)
        self.run_button = QPushButton("Recognise all")
        self.run_button.clicked.connect(self.run_current)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        for w in (self.choose_button, self.run_button, self.cancel_button):
            row.addWidget(w)
        row.insertWidget(0, self.folder_edit, 1)
        layout.addLayout(row)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m clips")
        progress_row.addWidget(self.progress, 1)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._on_export)
        progress_row.addWidget(self.export_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)

    def _on_choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of clips")
        if folder:
            self.folder_edit.setText(folder)
            self.run_current()

    def run_current(self) -> None:
        text = self.folder_edit.text().strip()
        if not text:
            self.status.show_message("Choose a folder first.", "warning")
            return
        self.run_folder(Path(text).expanduser())

    def run_folder(self, folder: Path) -> None:
        if self.busy:
            return
        if not folder.is_dir():
            self.status.show_message(f"There is no folder at {folder}.", "error")
            return
        files = clips_in(folder)
        if not files:
            self.status.show_message(
                f"No audio or video files in {folder} (looked for "
                f"{', '.join(sorted(AUDIO_SUFFIXES)[:6])}, …).",
                "warning",
            )
            return
        client = self.client()
        if client is None:
            return
        self.rows = [{"file": p.name, "status": "waiting"} for p in files]
        self.table.setRowCount(len(files))
        for i in range(len(files)):
            self._show_row(i)
        self.progress.setRange(0, len(files))
        self.progress.setValue(0)
        self.status.show_message(f"Recognising {len(files)} clips…", "busy")
        self.start_job(self._run(client, files), "recognize-batch")

    async def _run(self, client, files: list[Path]) -> None:
        async with client.websocket(return_metadata=self.options.providers()) as ws:
            sent: list[tuple[int, asyncio.Future]] = []
            for i, path in enumerate(files):
                try:
                    if path.stat().st_size > CLIP_MAX_BYTES:
                        self._finish_row(i, status="too large for a clip: use Long file mode")
                        continue
                    data = await asyncio.to_thread(path.read_bytes)
                except OSError as exc:
                    self._finish_row(i, status=friendly_error(exc))
                    continue
                sent.append((i, await ws.send(data)))
                self._set_row(i, status="sent")
            for i, reply in sent:
                try:
                    result = await reply
                except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the batch
                    self._finish_row(i, status=friendly_error(exc))
                    continue
                if result is None:
                    self._finish_row(i, status="no match")
                else:
                    self._finish_row(
                        i,
                        status="match",
                        artist=result.artist or "",
                        title=result.title or "",
                        album=result.album or "",
                        timecode=result.timecode or "",
                        audio_id="" if result.audio_id is None else str(result.audio_id),
                        song_link=result.song_link or "",
                    )
        matched = sum(r["status"] == "match" for r in self.rows)
        self.status.show_message(f"Done: {matched} of {len(self.rows)} clips recognised.", "ok")

    def _set_row(self, i: int, **fields: str) -> None:
        self.rows[i].update(fields)
        self._show_row(i)

    def _finish_row(self, i: int, **fields: str) -> None:
        self._set_row(i, **fields)
        self.progress.setValue(self.progress.value() + 1)

    def _show_row(self, i: int) -> None:
        for col, key in enumerate(COLUMNS):
            item = QTableWidgetItem(self.rows[i].get(key, ""))
            item.setToolTip(self.rows[i].get(key, ""))
            self.table.setItem(i, col, item)

    def set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.choose_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.export_button.setEnabled(not busy and bool(self.rows))

    def on_cancelled(self) -> None:
        done = sum(r["status"] not in ("waiting", "sent") for r in self.rows)
        self.status.show_message(
            f"Cancelled after {done} of {len(self.rows)} clips; the table "
            "keeps what was recognised.",
            "info",
        )

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export results", "recognitions.csv", "CSV (*.csv)"
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> Path | None:
        try:
            written = write_csv(path, self.rows, COLUMNS)
        except OSError as exc:
            self.status.show_message(f"Could not write {path}: {exc.strerror or exc}", "error")
            return None
        self.status.show_message(f"Exported {len(self.rows)} rows to {written}.", "ok")
        return written
