"""Listen mode: recognise like a phone app, progressively, over the WebSocket session.

While recording, growing recordings (the first 3 s, then 6 s, 10 s, ...) are sent over one
WebSocket session without waiting for the replies (docs/protocols/audd.md §9); the first reply with a song stops
everything. A loud song is usually found after the first or second recording, i.e. within a few
seconds, and a quiet one still gets up to 25 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from radiowatch.audd.models import RecognitionResult
from radiowatch.ui.common.backend_messages import NO_MATCH
from radiowatch.ui.common.job_panel import ClientProvider, JobPanel
from radiowatch.ui.recognize.recorder import MAX_SECONDS, PcmSource, input_device_problem
from radiowatch.ui.recognize.result_card import CoverFetcher, ProviderOptions, ResultCard

CHECKPOINTS = (3.0, 6.0, 10.0, 15.0, 20.0, MAX_SECONDS)
RecorderFactory = Callable[[], PcmSource]


class ListenPanel(JobPanel):
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
        self.recordings_sent = 0
        self.found_after_s: float | None = None
        self.setup_ui(cover_fetcher)
        problem = None if recorder_factory is not None else input_device_problem()
        self._can_record = problem is None
        if problem:
            self.listen_button.setEnabled(False)
            self.listen_button.setToolTip(problem)
            self.status.show_message(
                problem + " Listen mode needs one; use Clip mode with a file instead.", "warning"
            )

    def setup_ui(self, cover_fetcher: CoverFetcher | None) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Hold the device near the speaker and press Listen. Recordings of "
            "growing length are recognised as they are made; the first match stops "
            f"listening (at most {int(MAX_SECONDS)} s)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.listen_button = QPushButton("🎤 Listen")
        self.listen_button.clicked.connect(self.start_listening)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, int(MAX_SECONDS))
        self.progress.setFormat("%v s")
        row.addWidget(self.listen_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.progress, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.card = ResultCard(cover_fetcher)
        self.card.save_requested.connect(self.save_to_history_requested)
        layout.addWidget(self.card)
        layout.addStretch(1)

    def start_listening(self) -> None:
        if self.busy:
            return
        client = self.client()
        if client is None:
            return
        factory = self._recorder_factory or _microphone
        try:
            recorder = factory()
        except Exception as exc:  # noqa: BLE001
            self.status.show_message(f"Recording could not start: {exc}", "error")
            return
        self.recordings_sent = 0
        self.found_after_s = None
        self.progress.setValue(0)
        self.card.show_busy("Listening to the audio input…")
        self.status.show_message("Listening…", "busy")
        self.start_job(self._listen(client, recorder), "recognize-listen")

    async def _listen(self, client, recorder: PcmSource) -> None:
        started = time.monotonic()
        recorder.start()
        try:
            async with client.websocket(return_metadata=self.options.providers()) as ws:
                replies: list[asyncio.Future[RecognitionResult | None]] = []
                for checkpoint in CHECKPOINTS:
                    while recorder.seconds() < checkpoint:
                        if self._first_match(replies, started):
                            return
                        self.progress.setValue(int(recorder.seconds()))
                        await asyncio.sleep(0.1)
                        if checkpoint == MAX_SECONDS and time.monotonic() - started > 60:
                            break  # the input went silent (a stalled device): stop waiting
                    if self._first_match(replies, started):
                        return
                    replies.append(await ws.send(recorder.wav()))
                    self.recordings_sent += 1
                    self.status.show_message(
                        f"Listening… sent {recorder.seconds():.0f} s so far", "busy"
                    )
                recorder.stop()
                for reply in replies:
                    await asyncio.wait({reply})
                    if self._first_match(replies, started):
                        return
        finally:
            recorder.stop()
        self.card.show_no_match(NO_MATCH)
        self.status.show_message(f"No match after {int(MAX_SECONDS)} s of listening.", "info")

    def _first_match(self, replies: list[asyncio.Future], started: float) -> bool:
        """Show the earliest answered match (errors re-raise); True once one is shown."""
        for reply in replies:
            if not reply.done():
                return False
            result = reply.result()
            if result is not None:
                self.found_after_s = time.monotonic() - started
                self.card.show_result(result)
                self.status.show_message(
                    f"Found after {self.found_after_s:.1f} s: {result.pretty()}", "ok"
                )
                return True
        return False

    def set_busy(self, busy: bool) -> None:
        self.listen_button.setEnabled(not busy and self._can_record)
        self.stop_button.setEnabled(busy)

    def on_cancelled(self) -> None:
        self.status.show_message("Stopped listening.", "info")
        self.card.show_empty("Stopped.")


def _microphone() -> PcmSource:
    from radiowatch.ui.recognize.recorder import MicrophoneRecorder

    return MicrophoneRecorder()
