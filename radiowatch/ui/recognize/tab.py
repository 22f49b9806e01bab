"""The Recognize tab: identify a clip, listen like a phone app, run a folder of clips, or scan a
long recording — against whichever recognition backend is active (the local engine or the AudD
cloud; both speak the AudD protocol, so each mode works the same on either).

Construction (the app wires it; all arguments are plain dependencies)::

    tab = RecognizeTab(client_provider,             # () -> AudDClient | None, asked per job,
                       cover_fetcher=cache.get,     #   so backend switches are followed
                       recorder_factory=None)       # () -> PcmSource; None = the microphone
    tab.save_to_history_requested.connect(...)      # RecognitionResult, from clip/listen mode
    await tab.aclose()                              # at shutdown: cancels running jobs

`client_provider` returning None means no backend is available yet: each mode says so in its
status line instead of failing.

The Long file mode has two kinds of scan: a cue list of 12 s chunks (AudD's enterprise
endpoint, also on the local engine) and a play log (a radiowatch engine's play detection: each
airing once, importable into the history once `attach_history` says where it is).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from radiowatch.ui.common.backend_messages import NO_BACKEND
from radiowatch.ui.common.job_panel import ClientProvider
from radiowatch.ui.recognize.batch import BatchPanel
from radiowatch.ui.recognize.clip import ClipPanel, RecorderFactory
from radiowatch.ui.recognize.listen import ListenPanel
from radiowatch.ui.recognize.long_file import LongFilePanel
from radiowatch.ui.recognize.play_log import PlayLogPanel, StationsProvider
from radiowatch.ui.recognize.result_card import CoverFetcher, ProviderOptions


class RecognizeTab(QWidget):
    save_to_history_requested = Signal(object)

    def __init__(
        self,
        client_provider: ClientProvider,
        *,
        cover_fetcher: CoverFetcher | None = None,
        recorder_factory: RecorderFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._client_provider = client_provider
        layout = QVBoxLayout(self)
        self.backend_note = QLabel(NO_BACKEND)
        self.backend_note.setWordWrap(True)
        self.backend_note.setStyleSheet(
            "background: #fff4d6; color: #5c4400; border-radius: 4px; padding: 6px;"
        )
        layout.addWidget(self.backend_note)
        self.options = ProviderOptions()
        layout.addWidget(self.options)
        self.modes = QTabWidget()
        self.clip = ClipPanel(
            client_provider,
            self.options,
            recorder_factory=recorder_factory,
            cover_fetcher=cover_fetcher,
        )
        self.listen = ListenPanel(
            client_provider,
            self.options,
            recorder_factory=recorder_factory,
            cover_fetcher=cover_fetcher,
        )
        self.batch = BatchPanel(client_provider, self.options)
        self.long_file = LongFilePanel(client_provider)
        self.play_log = PlayLogPanel(client_provider)
        self.modes.addTab(self.clip, "Clip")
        self.modes.addTab(self.listen, "Listen")
        self.modes.addTab(self.batch, "Batch")
        self.modes.addTab(self._long_file_modes(), "Long file")
        self.modes.setTabToolTip(0, "A file, a link or a short recording (standard endpoint)")
        self.modes.setTabToolTip(1, "Recognise live from the audio input, like a phone app")
        self.modes.setTabToolTip(2, "A folder of clips over one WebSocket session")
        self.modes.setTabToolTip(3, "Hours-long recordings, mixes and videos (enterprise)")
        self.modes.currentChanged.connect(lambda _i: self.refresh_backend())
        layout.addWidget(self.modes, 1)
        self.clip.save_to_history_requested.connect(self.save_to_history_requested)
        self.listen.save_to_history_requested.connect(self.save_to_history_requested)
        self.refresh_backend()

    def _long_file_modes(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        switch = QHBoxLayout()
        self.cue_list_mode = QRadioButton("Cue list")
        self.cue_list_mode.setToolTip(
            "Every 12 s chunk recognised, merged into cues (AudD enterprise; any backend)"
        )
        self.play_log_mode = QRadioButton("Play log")
        self.play_log_mode.setToolTip(
            "Each airing once, from its first audible second to its last, ready for the "
            "history (a radiowatch engine's play detection)"
        )
        self._long_file_group = QButtonGroup(page)
        for button in (self.cue_list_mode, self.play_log_mode):
            self._long_file_group.addButton(button)
            switch.addWidget(button)
        switch.addStretch(1)
        layout.addLayout(switch)
        self.long_file_stack = QStackedWidget()
        self.long_file_stack.addWidget(self.long_file)
        self.long_file_stack.addWidget(self.play_log)
        layout.addWidget(self.long_file_stack, 1)
        self.cue_list_mode.toggled.connect(
            lambda on: self.long_file_stack.setCurrentWidget(
                self.long_file if on else self.play_log
            )
        )
        self.cue_list_mode.setChecked(True)
        return page

    def attach_history(
        self,
        database: Path,
        stations: StationsProvider,
        on_imported: Callable[[int], object] | None = None,
    ) -> None:
        """Let the play log import into the history at `database` (the app calls this)."""
        self.play_log.attach_history(database, stations, on_imported)

    @property
    def panels(self) -> tuple:
        return (self.clip, self.listen, self.batch, self.long_file, self.play_log)

    def refresh_backend(self) -> bool:
        """Show the "no backend" note when there is none; True when one is available."""
        try:
            available = self._client_provider() is not None
        except Exception:  # noqa: BLE001
            available = False
        self.backend_note.setVisible(not available)
        return available

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.refresh_backend()
        super().showEvent(event)

    async def aclose(self) -> None:
        for panel in self.panels:
            await panel.aclose()
