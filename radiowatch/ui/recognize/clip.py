"""Clip mode: one short piece of audio (a dropped file, a pasted URL, or up to 25 s recorded
from an input device) recognised on the standard endpoint, shown as a result card.

Checks that need no network happen first (the file exists, it is small enough for a clip), so
a 3-hour recording dropped here is sent to Long file mode with a sentence, not a failed upload.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.ui.common.audio_files import AUDIO_FILTER
from radiowatch.ui.common.backend_messages import CLIP_MAX_BYTES, NO_MATCH, TOO_LARGE_FOR_CLIP
from radiowatch.ui.common.job_panel import ClientProvider, JobPanel, loaded_source
from radiowatch.ui.recognize.recorder import MAX_SECONDS, PcmSource, input_device_problem
from radiowatch.ui.recognize.result_card import CoverFetcher, ProviderOptions, ResultCard

RecorderFactory = Callable[[], PcmSource]


def dropped_source(event: QDropEvent | QDragEnterEvent) -> str | None:
    """A local file path or an http(s) URL from a drag-and-drop, else None."""
    mime = event.mimeData()
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
        if url.scheme() in ("http", "https"):
            return url.toString()
    text = mime.text().strip() if mime.hasText() else ""
    return text if text.startswith(("http://", "https://")) else None


class ClipPanel(JobPanel):
    save_to_history_requested = Signal(object)

    def __init__(
        self,
        client_provider: ClientProvider,
        options: ProviderOptions,
        *,
        recorder_factory: RecorderFactory | None = None,
        cover_fetcher: CoverFetcher | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(client_provider, parent)
        self.options = options
        self._recorder_factory = recorder_factory
        self._recorder: PcmSource | None = None
        self._record_timer = QTimer(self)
        self._record_timer.setInterval(200)
        self._record_timer.timeout.connect(self._on_record_tick)
        self.setAcceptDrops(True)
        self.setup_ui(cover_fetcher)
        problem = None if recorder_factory is not None else input_device_problem()
        if problem:
            self.record_button.setEnabled(False)
            self.record_button.setToolTip(problem)

    def setup_ui(self, cover_fetcher: CoverFetcher | None) -> None:
        layout = QVBoxLayout(self)
        drop = QFrame()
        drop.setObjectName("dropArea")
        drop.setStyleSheet("#dropArea { border: 2px dashed palette(mid); border-radius: 8px; }")
        drop_layout = QVBoxLayout(drop)
        hint = QLabel(
            "Drop an audio or video file here, paste a link, or record up to "
            f"{int(MAX_SECONDS)} seconds. Only the first 12 seconds are used."
        )
        hint.setWordWrap(True)
        drop_layout.addWidget(hint)
        row = QHBoxLayout()
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("File path or https:// link to a song")
        self.source_edit.setClearButtonEnabled(True)
        self.source_edit.returnPressed.connect(self.recognize_current)
        self.browse_button = QPushButton("Choose file…")
        self.browse_button.clicked.connect(self._on_browse)
        self.record_button = QPushButton("● Record")
        self.record_button.setToolTip(f"Record up to {int(MAX_SECONDS)} s from the audio input")
        self.record_button.clicked.connect(self._on_record_clicked)
        row.addWidget(self.source_edit, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.record_button)
        drop_layout.addLayout(row)
        layout.addWidget(drop)
        actions = QHBoxLayout()
        self.recognize_button = QPushButton("Recognise")
        self.recognize_button.setDefault(True)
        self.recognize_button.setShortcut("Ctrl+Return")
        self.recognize_button.clicked.connect(self.recognize_current)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        actions.addWidget(self.recognize_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.status, 1)
        layout.addLayout(actions)
        self.card = ResultCard(cover_fetcher)
        self.card.save_requested.connect(self.save_to_history_requested)
        layout.addWidget(self.card)
        layout.addStretch(1)

    # --- input ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_source(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        source = dropped_source(event)
        if source:
            event.acceptProposedAction()
            self.source_edit.setText(source)
            self.recognize_current()

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a clip", "", AUDIO_FILTER)
        if path:
            self.source_edit.setText(path)
            self.recognize_current()

    # --- recognition ----------------------------------------------------------------

    def recognize_current(self) -> None:
        text = self.source_edit.text().strip()
        if not text:
            self.status.show_message(
                "Choose a file, paste a link or record a clip first.", "warning"
            )
            return
        self.recognize(text)

    def recognize(self, source: str | bytes, label: str | None = None) -> None:
        """Recognise a path, an http(s) URL, or recorded audio bytes."""
        if self.busy:
            return
        if isinstance(source, str) and not source.startswith(("http://", "https://")):
            path = Path(source).expanduser()
            if not path.is_file():
                self.status.show_message(
                    f"There is no file at {path}. Check the path, or paste an https:// link.",
                    "error",
                )
                return
            if path.stat().st_size > CLIP_MAX_BYTES:
                self.status.show_message(TOO_LARGE_FOR_CLIP, "warning")
                self.card.show_empty("Too large for a clip.")
                return
            source = str(path)
        client = self.client()
        if client is None:
            return
        what = label or (source if isinstance(source, str) else "the recording")
        self.status.show_message(f"Recognising {Path(what).name if '/' in what else what}…", "busy")
        self.card.show_busy(f"Sending {what}")
        self.start_job(self._recognize(client, source), "recognize-clip")

    async def _recognize(self, client, source: str | bytes) -> None:
        result = await client.recognize(
            await loaded_source(source),
            return_metadata=self.options.providers(),
            market=self.options.market_code(),
        )
        if result is None:
            self.card.show_no_match(NO_MATCH)
            self.status.show_message("No match.", "info")
        else:
            self.card.show_result(result)
            self.status.show_message(f"Found: {result.pretty()}", "ok")

    def set_busy(self, busy: bool) -> None:
        self.recognize_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.browse_button.setEnabled(not busy)

    def on_cancelled(self) -> None:
        super().on_cancelled()
        self.card.show_empty("Cancelled.")

    def on_failed(self, exc: BaseException) -> None:
        super().on_failed(exc)
        self.card.show_empty("See the message above.")

    # --- recording ------------------------------------------------------------------

    def _on_record_clicked(self) -> None:
        if self._recorder is not None:
            self.stop_recording()
            return
        if self.busy:
            return
        try:
            self._recorder = (self._recorder_factory or _microphone)()
            self._recorder.start()
        except Exception as exc:  # noqa: BLE001 - a device can vanish between check and use
            self._recorder = None
            self.status.show_message(f"Recording could not start: {exc}", "error")
            return
        self.record_button.setText("■ Stop and recognise")
        self.status.show_message("Recording… hold the device near the music.", "busy")
        self._record_timer.start()

    def _on_record_tick(self) -> None:
        if self._recorder is None:
            return
        seconds = self._recorder.seconds()
        self.status.show_message(f"Recording… {seconds:.0f} s of {int(MAX_SECONDS)} s", "busy")
        if seconds >= MAX_SECONDS:
            self.stop_recording()

    def stop_recording(self) -> None:
        recorder, self._recorder = self._recorder, None
        self._record_timer.stop()
        self.record_button.setText("● Record")
        if recorder is None:
            return
        recorder.stop()
        if recorder.seconds() < 1.5:
            self.status.show_message(
                "The recording is too short: record at least 3 seconds.", "warning"
            )
            return
        self.recognize(recorder.wav(), label=f"the {recorder.seconds():.0f} s recording")


def _microphone() -> PcmSource:
    from radiowatch.ui.recognize.recorder import MicrophoneRecorder

    return MicrophoneRecorder()
