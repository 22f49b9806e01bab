"""The History tab's exports: where to, whether to save each play's clip with it, and the run.

A plain export goes straight to the worker thread (export_runner.py). With "Save clips with
the export", the clips are saved first (clip_export.py, on the asyncio loop, with progress and
Cancel), then the play log is written with a "Clip file" column. Either way the tab's
`export_finished(ExportResult)` or `export_failed(message)` says how it ended.

`HistoryExports` is a part of the History tab (the tab inherits it), kept here so the tab's own
module stays about browsing and editing plays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.play_log_export import ExportFormat, ExportResult
from radiowatch.ui.common.tasks import TaskSlot
from radiowatch.ui.history.clip_export import clips_folder, describe_failure, save_clips
from radiowatch.ui.history.export_runner import ask_export_path

CLIPS_HELP = (
    "Saves each play's archived audio (with 5 s before and after, as broadcast) in a folder "
    "next to the export, and names the file in a “Clip file” column. Plays without kept audio "
    "get an empty cell. This can take a while: one clip per play."
)


class ExportDialog(QDialog):
    """Where to export, and whether to save the clips; `clips_reason` says why they cannot be
    (the AudD cloud keeps no audio), or is None."""

    def __init__(self, parent: QWidget, clips_reason: str | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export plays")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("plays.csv, plays.xlsx or plays.json")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        row.addWidget(QLabel("File"))
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        layout.addLayout(row)
        self.with_clips = QCheckBox("Save clips with the export")
        self.with_clips.setToolTip(clips_reason or CLIPS_HELP)
        self.with_clips.setEnabled(clips_reason is None)
        help_text = QLabel(clips_reason or CLIPS_HELP)
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color: palette(placeholder-text)")
        layout.addWidget(self.with_clips)
        layout.addWidget(help_text)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._validate)
        self._validate()

    def _choose(self) -> None:
        target = ask_export_path(self)
        if target is not None:
            self.path.setText(str(target))

    def target(self) -> Path | None:
        text = self.path.text().strip()
        if not text:
            return None
        target = Path(text).expanduser()
        if ExportFormat.from_path(target) is None:
            target = target.with_name(target.name + ".csv")
        return target

    def _validate(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.path.text().strip()))


class HistoryExports:
    """Mixed into HistoryTab: uses its model, database path, status line and signals."""

    clip_actions: Any
    export_dialog_widget: ExportDialog | None = None
    _clip_slot: TaskSlot | None = None
    _clip_progress: QProgressDialog | None = None

    def export_dialog(self) -> None:
        tab: Any = self
        reason = None
        if tab.clip_actions is None:
            reason = "Clips need the radiowatch engine's archive."
        else:
            try:
                tab.clip_actions.archive()
            except Exception as exc:  # ArchiveUnavailable: the words to show
                reason = str(exc)
        dialog = ExportDialog(tab, reason)
        dialog.accepted.connect(
            lambda: self.export_to(dialog.target(), with_clips=dialog.with_clips.isChecked())
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.export_dialog_widget = dialog
        dialog.open()  # not exec(): the monitoring's loop keeps running

    def export_to(
        self, path: Path | None, fmt: ExportFormat | None = None, *, with_clips: bool = False
    ) -> bool:
        """Export the plays matching the current filters (saving their clips first when
        asked); returns False if one is running. Emits export_finished(ExportResult) or
        export_failed(message) when done."""
        tab: Any = self
        if tab._db is None or path is None or self.export_running():
            return False
        if not with_clips:
            return tab.exports.start(tab.model.play_filter, Path(path), fmt)
        self._clip_slot = self._clip_slot or TaskSlot(
            "clips for an export", on_error=self._clips_failed
        )
        self._clip_progress = self._progress(Path(path))
        self._clip_slot.start(self._clips_then_export(Path(path), fmt))
        tab._update_actions()
        return True

    async def _clips_then_export(self, path: Path, fmt: ExportFormat | None) -> None:
        tab: Any = self
        filt = tab.model.play_filter
        saved = await save_clips(tab.clip_actions.archive, tab._db_path, filt, path, self._on_clip)
        self._close_progress()
        tab._show_status(
            f"Saved {len(saved.files):,} clips to {saved.folder}"
            + (f" ({saved.missing:,} plays without kept audio)" if saved.missing else "")
            + "; writing the play log…"
        )
        if not tab.exports.start(filt, path, fmt, clip_files=saved.files):
            tab._update_actions()

    def _progress(self, path: Path) -> QProgressDialog:
        dialog = QProgressDialog(
            f"Saving the plays' clips to “{clips_folder(path).name}”…",
            "Cancel",
            0,
            100,
            self,  # type: ignore[arg-type]
        )
        dialog.setWindowTitle("Export plays")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._cancel_clips)
        dialog.setValue(0)
        return dialog

    def _on_clip(self, done: int, total: int) -> None:
        if self._clip_progress is not None and total:
            self._clip_progress.setValue(int(done * 100 / total))
            self._clip_progress.setLabelText(f"Saving clip {min(done + 1, total):,} of {total:,}…")

    def _cancel_clips(self) -> None:
        if self._clip_slot is not None and self._clip_slot.cancel():
            self._close_progress()
            self._on_export_failed(
                "Export cancelled; the clips saved so far were kept, no play log was written."
            )

    def _clips_failed(self, exc: BaseException) -> None:
        self._close_progress()
        self._on_export_failed(describe_failure(exc))

    def _close_progress(self) -> None:
        if self._clip_progress is not None:
            self._clip_progress.canceled.disconnect(self._cancel_clips)
            self._clip_progress.close()
            self._clip_progress.deleteLater()
            self._clip_progress = None
        tab: Any = self
        tab._update_actions()

    def export_running(self) -> bool:
        tab: Any = self
        clips = self._clip_slot is not None and self._clip_slot.running()
        return clips or tab.exports.running()

    def cancel_export(self) -> None:
        tab: Any = self
        self._cancel_clips()
        tab.exports.cancel()

    def _on_export_done(self, result: ExportResult) -> None:
        tab: Any = self
        also = f" and the coverage to {result.coverage_path.name}" if result.coverage_path else ""
        tab._show_status(f"Exported {result.rows:,} plays to {result.path}{also}")
        tab.export_finished.emit(result)

    def _on_export_failed(self, message: str) -> None:
        tab: Any = self
        tab._show_status(message, error=True)
        if "cancelled" not in message:
            tab.message_box = QMessageBox(
                QMessageBox.Icon.Warning, "Export failed", message, parent=tab
            )
            tab.message_box.open()  # not exec(): never block the loop the monitoring runs on
        tab.export_failed.emit(message)
