"""The History tab's exports: where to, whether to save each play's clip with it, and the run.

A plain export goes straight to the worker thread (export_runner.py). With "Save clips with
the export", the clips are saved first (clip_export.py, on the asyncio loop, with progress and
Cancel), then the play log is written with a "Clip file" column. Either way `finished
(ExportResult)` or `failed(message)` says how it ended.

`HistoryExports` knows only what it is given: the history file, the widget its dialogs belong
to, the filter of the plays to export, where to say how it went, and the clip actions (None
until the app sets them); never the tab's table or widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
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
from radiowatch.history.queries import PlayFilter
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.common.tasks import TaskSlot
from radiowatch.ui.history.clip_export import clips_folder, describe_failure, save_clips
from radiowatch.ui.history.export_runner import PlayExportRunner, ask_export_path

CLIPS_HELP = (
    "Saves each play's archived audio (with 5 s before and after, as broadcast) in a folder "
    "next to the export, and names the file in a “Clip file” column. Plays without kept audio "
    "get an empty cell. This can take a while: one clip per play."
)

NO_ARCHIVE = "Clips need the radiowatch engine's archive."


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


class HistoryExports(QObject):
    """`open_dialog()` or `start(path, fmt, with_clips=...)`; then `finished(ExportResult)` or
    `failed(message)`. `running_changed(bool)` when an export starts or ends."""

    finished = Signal(object)  # ExportResult
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(
        self,
        db_path: Path,
        busy_timeout_ms: int,
        owner: QWidget,
        play_filter: Callable[[], PlayFilter],
        say: Callable[[str, bool], None],
    ) -> None:
        super().__init__(owner)
        self._db_path = Path(db_path)
        self._owner = owner
        self._play_filter = play_filter
        self._say = say
        self.clip_actions: ClipActions | None = None
        self.dialog: ExportDialog | None = None
        self.message_box: QMessageBox | None = None  # the last failure, if it was one
        self._runner = PlayExportRunner(self._db_path, busy_timeout_ms, owner)
        self._runner.finished.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)
        self._runner.running_changed.connect(lambda _r: self.running_changed.emit(self.running()))
        self._clip_slot: TaskSlot | None = None
        self._clip_progress: QProgressDialog | None = None

    def open_dialog(self) -> ExportDialog:
        reason = None
        if self.clip_actions is None:
            reason = NO_ARCHIVE
        else:
            try:
                self.clip_actions.archive()
            except Exception as exc:  # ArchiveUnavailable: the words to show
                reason = str(exc)
        dialog = ExportDialog(self._owner, reason)
        dialog.accepted.connect(
            lambda: self.start(dialog.target(), with_clips=dialog.with_clips.isChecked())
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()  # not exec(): the monitoring's loop keeps running
        return dialog

    def start(
        self, path: Path | None, fmt: ExportFormat | None = None, *, with_clips: bool = False
    ) -> bool:
        """Export the plays the filter selects now (saving their clips first when asked);
        False if one is running or there is nowhere to write."""
        if path is None or self.running():
            return False
        if not with_clips:
            return self._runner.start(self._play_filter(), Path(path), fmt)
        if self.clip_actions is None:
            self._on_failed(NO_ARCHIVE)
            return False
        self._clip_slot = self._clip_slot or TaskSlot(
            "clips for an export", on_error=self._clips_failed
        )
        self._clip_progress = self._progress(Path(path))
        self._clip_slot.start(self._clips_then_export(self.clip_actions, Path(path), fmt))
        self.running_changed.emit(True)
        return True

    def running(self) -> bool:
        clips = self._clip_slot is not None and self._clip_slot.running()
        return clips or self._runner.running()

    def cancel(self) -> None:
        self._cancel_clips()
        self._runner.cancel()

    def shutdown(self) -> None:
        if self._clip_slot is not None:
            self._clip_slot.cancel()
        self._runner.shutdown()

    async def _clips_then_export(
        self, clips: ClipActions, path: Path, fmt: ExportFormat | None
    ) -> None:
        filt = self._play_filter()
        saved = await save_clips(clips.archive, self._db_path, filt, path, self._on_clip)
        self._close_progress()
        self._say(
            f"Saved {len(saved.files):,} clips to {saved.folder}"
            + (f" ({saved.missing:,} plays without kept audio)" if saved.missing else "")
            + "; writing the play log…",
            False,
        )
        if not self._runner.start(filt, path, fmt, clip_files=saved.files):
            self.running_changed.emit(self.running())

    def _progress(self, path: Path) -> QProgressDialog:
        dialog = QProgressDialog(
            f"Saving the plays' clips to “{clips_folder(path).name}”…",
            "Cancel",
            0,
            100,
            self._owner,
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
            self._on_failed(
                "Export cancelled; the clips saved so far were kept, no play log was written."
            )

    def _clips_failed(self, exc: BaseException) -> None:
        self._close_progress()
        self._on_failed(describe_failure(exc))

    def _close_progress(self) -> None:
        if self._clip_progress is not None:
            self._clip_progress.canceled.disconnect(self._cancel_clips)
            self._clip_progress.close()
            self._clip_progress.deleteLater()
            self._clip_progress = None
        self.running_changed.emit(self.running())

    def _on_done(self, result: ExportResult) -> None:
        also = f" and the coverage to {result.coverage_path.name}" if result.coverage_path else ""
        self._say(f"Exported {result.rows:,} plays to {result.path}{also}", False)
        self.finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self._say(message, True)
        if "cancelled" not in message:
            self.message_box = QMessageBox(
                QMessageBox.Icon.Warning, "Export failed", message, parent=self._owner
            )
            self.message_box.open()  # not exec(): never block the loop the monitoring runs on
        self.failed.emit(message)
