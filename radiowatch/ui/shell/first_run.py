"""The first-run assistant: from a fresh install to a station being monitored in a minute.

It is a page of the main window (`MainWindow.show_first_run`), opaque and covering the sidebar
and the tabs, not a window floating over them: drawn over the Monitor tab, the tab's own
"no stations yet" text showed beside the assistant's buttons, and without a window manager
(a kiosk, a remote desktop, a screenshot) a dialog has no frame to tell it apart.

Two steps. 1) How should songs be recognised: the local engine with the demo station (nothing
to set up), the local engine with the user's own music folder, or the AudD cloud with a token.
2) A first station: paste a stream URL or pick an example (optional with the demo, which brings
its own station). Finishing saves the choices; the app then starts the backend and shows the
Monitor tab's live now-playing. "Skip" keeps the defaults (local engine with the demo).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from radiowatch.config.secrets import AUDD_API_TOKEN, TokenStore, TokenStoreError
from radiowatch.config.settings import SettingsStore
from radiowatch.stations.errors import StationError
from radiowatch.stations.station_input import input_problems, needs_resolving, save_station
from radiowatch.stations.store import StationStore
from radiowatch.ui.common.tasks import spawn

CHOICE_DEMO = "demo"
CHOICE_FOLDER = "folder"
CHOICE_AUDD = "audd"

# Public stations whose operators publish these stream URLs for listeners.
EXAMPLE_STATIONS: tuple[tuple[str, str], ...] = (
    ("Radio Paradise (main mix)", "https://stream.radioparadise.com/mp3-192"),
    ("NPR News", "https://npr-ice.streamguys1.com/live.mp3"),
    ("SomaFM Groove Salad", "https://ice1.somafm.com/groovesalad-128-mp3"),
    ("KEXP 90.3 Seattle", "https://kexp-mp3-128.streamguys1.com/kexp128.mp3"),
)


PAGE_WIDTH = 640  # the assistant's column; the rest of the window is its quiet background


class FirstRunAssistant(QWidget):
    """A full-window page. `accepted` (finished), `rejected` (skipped or closed) and then
    `finished(result)` tell the app to start the backend, as a dialog's signals would."""

    accepted = Signal()
    rejected = Signal()
    finished = Signal(int)
    ACCEPTED, REJECTED = 1, 0

    def __init__(
        self,
        settings: SettingsStore,
        tokens: TokenStore,
        stations: StationStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.tokens = tokens
        self.stations = stations
        self.added_station = None
        self.result: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.setObjectName("FirstRunPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)  # opaque even without the app's stylesheet
        self.setup_ui()
        self._sync()

    # -- layout ----------------------------------------------------------------------------------
    def setup_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        row = QHBoxLayout()
        self.card = QFrame(self)
        self.card.setObjectName("FirstRunCard")
        self.card.setMaximumWidth(PAGE_WIDTH)
        self.card.setMinimumWidth(min(PAGE_WIDTH, 520))
        row.addStretch(1)
        row.addWidget(self.card, 10)
        row.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        layout = QVBoxLayout(self.card)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        header = QHBoxLayout()
        welcome = QLabel("Welcome to radiowatch", self.card)
        welcome.setObjectName("FirstRunWelcome")
        self.step_label = QLabel(self.card)
        self.step_label.setObjectName("DialogHint")
        header.addWidget(welcome, 1)
        header.addWidget(self.step_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)
        intro = QLabel(
            "Know what music plays on the radio. Two quick steps, and the first songs "
            "appear on the Monitor tab within a minute or two.",
            self.card,
        )
        intro.setObjectName("DialogHint")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rule = QFrame(self.card)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setObjectName("FirstRunRule")
        layout.addWidget(rule)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._backend_page())
        self.pages.addWidget(self._station_page())
        layout.addWidget(self.pages)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("FieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.skip_button = QPushButton("Skip", self)
        self.skip_button.setToolTip(
            "Use the local engine with the demo station; change it later in Settings"
        )
        self.back_button = QPushButton("Back", self)
        self.next_button = QPushButton("Next", self)
        self.next_button.setObjectName("PrimaryButton")
        self.next_button.setDefault(True)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        self.setWindowTitle("Welcome to radiowatch")
        self.skip_button.clicked.connect(self.skip)
        self.back_button.clicked.connect(lambda: self.go(0))
        self.next_button.clicked.connect(self.next)
        # A page, not a dialog: Enter in a field does not reach a default button by itself.
        for edit in (self.folder_edit, self.token_edit, self.url_edit, self.name_edit):
            edit.returnPressed.connect(self.next_button.click)

    def _backend_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("How should radiowatch recognise songs?", page)
        title.setObjectName("FirstRunQuestion")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.choice_group = QButtonGroup(page)
        self.demo_radio = QRadioButton(
            "Try it now: the local engine with the demo station (free, offline)", page
        )
        self.folder_radio = QRadioButton(
            "My own music: the local engine recognises the files in a folder", page
        )
        self.audd_radio = QRadioButton(
            "Everything: the AudD cloud's music database (needs an AudD API token)", page
        )
        for button, key in (
            (self.demo_radio, CHOICE_DEMO),
            (self.folder_radio, CHOICE_FOLDER),
            (self.audd_radio, CHOICE_AUDD),
        ):
            self.choice_group.addButton(button)
            button.setProperty("choice", key)
            layout.addWidget(button)
        self.demo_radio.setChecked(True)

        self.folder_row = QWidget(page)
        row = QHBoxLayout(self.folder_row)
        row.setContentsMargins(24, 0, 0, 0)
        self.folder_edit = QLineEdit(self.folder_row)
        self.folder_edit.setPlaceholderText("/home/me/Music/releases")
        self.folder_edit.setToolTip("Every audio file in this folder is added to your catalog")
        browse = QPushButton("Browse…", self.folder_row)
        browse.clicked.connect(self._browse_folder)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        layout.addWidget(self.folder_row)

        self.token_row = QWidget(page)
        form = QFormLayout(self.token_row)
        form.setContentsMargins(24, 0, 0, 0)
        self.token_edit = QLineEdit(self.token_row)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("your AudD API token (dashboard.audd.io)")
        form.addRow("API token:", self.token_edit)
        layout.addWidget(self.token_row)
        hint = QLabel("You can change this any time in File → Settings.", page)
        hint.setObjectName("DialogHint")
        layout.addWidget(hint)
        layout.addStretch(1)
        self.choice_group.buttonToggled.connect(lambda *_: self._sync())
        return page

    def _station_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Add a first station", page)
        title.setObjectName("FirstRunQuestion")
        layout.addWidget(title)
        self.station_hint = QLabel(page)
        self.station_hint.setWordWrap(True)
        self.station_hint.setObjectName("DialogHint")
        layout.addWidget(self.station_hint)
        form = QFormLayout()
        self.example_combo = QComboBox(page)
        self.example_combo.addItem("Pick an example…", None)
        for name, url in EXAMPLE_STATIONS:
            self.example_combo.addItem(name, url)
        self.example_combo.currentIndexChanged.connect(self._example_picked)
        self.url_edit = QLineEdit(page)
        self.url_edit.setPlaceholderText("https://stream.example.com/live.mp3 or a .pls/.m3u")
        self.url_edit.setToolTip("A stream URL, a playlist URL, twitch:channel or youtube:ID")
        self.name_edit = QLineEdit(page)
        self.name_edit.setPlaceholderText("Station name")
        form.addRow("Example:", self.example_combo)
        form.addRow("Stream:", self.url_edit)
        form.addRow("Name:", self.name_edit)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    # -- behaviour -------------------------------------------------------------------------------
    @property
    def choice(self) -> str:
        button = self.choice_group.checkedButton()
        return button.property("choice") if button is not None else CHOICE_DEMO

    def choose(self, choice: str) -> None:
        {
            CHOICE_DEMO: self.demo_radio,
            CHOICE_FOLDER: self.folder_radio,
            CHOICE_AUDD: self.audd_radio,
        }[choice].setChecked(True)

    def go(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self._sync()

    def next(self) -> bool:
        if self.pages.currentIndex() == 0:
            if not self._check_backend():
                return False
            self.go(1)
            return True
        return self.finish()

    def skip(self) -> None:
        self.settings.update(backend="local", engine_demo=True, first_run_done=True)
        self.reject()

    def finish(self) -> bool:
        """Save the choices and close; False (with the reason shown) if something is missing.

        A playlist link is resolved to its stream first, as the station dialog does: that
        takes a moment, so it runs in the background and the page closes when it is done
        (True is returned at once)."""
        if self.busy or not self._check_backend():
            if not self.busy:
                self.go(0)
            return False
        url = self.url_edit.text().strip()
        if url and self.added_station is None:
            name = self.name_edit.text().strip() or self.example_combo.currentText()
            if self.example_combo.currentData() is None and not self.name_edit.text().strip():
                name = ""
            problems = input_problems(self.stations, name=name, entered=url)
            if problems:
                self._show_error(problems[0].message)
                return False
            if needs_resolving(url):
                self._set_busy(True)
                self._task = spawn(self._resolve_then_finish(name, url), name="first-run-station")
                return True
            try:
                self.added_station = self.stations.add(name=name, source=url)
            except StationError as exc:
                self._show_error(str(exc))
                return False
        elif not url and self.choice != CHOICE_DEMO:
            self._show_error(
                "Paste a stream URL or pick an example, so there is something to monitor."
            )
            return False
        return self._finish_backend()

    async def _resolve_then_finish(self, name: str, url: str) -> None:
        try:
            saved = await save_station(self.stations, name=name, entered=url)
        except StationError as exc:
            self._set_busy(False)
            self._show_error(exc.message)
            return
        finally:
            self._task = None
        self._set_busy(False)
        self.added_station = saved.station
        self._finish_backend()

    def _finish_backend(self) -> bool:
        try:
            self._save_backend()
        except TokenStoreError as exc:
            self._show_error(str(exc))
            return False
        self.accept()
        return True

    @property
    def busy(self) -> bool:
        return self._task is not None

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.skip_button, self.back_button, self.next_button, self.pages):
            widget.setEnabled(not busy)
        self.error_label.setVisible(busy)
        if busy:
            self.error_label.setText("Resolving the playlist to its stream…")

    def _check_backend(self) -> bool:
        if self.choice == CHOICE_FOLDER and not Path(self.folder_edit.text().strip()).is_dir():
            self._show_error(
                "Choose a folder that exists (it holds the audio files of your catalog)."
            )
            return False
        if self.choice == CHOICE_AUDD and len(self.token_edit.text().strip()) < 8:
            self._show_error(
                "Paste your AudD API token (from dashboard.audd.io), or choose the local engine."
            )
            return False
        self.error_label.hide()
        return True

    def _save_backend(self) -> None:
        if self.choice == CHOICE_AUDD:
            self.tokens.set(AUDD_API_TOKEN, self.token_edit.text().strip())
            self.settings.update(backend="audd", first_run_done=True)
        elif self.choice == CHOICE_FOLDER:
            folder = str(Path(self.folder_edit.text().strip()).expanduser().resolve())
            self.settings.update(
                backend="local", engine_demo=False, catalog_folder=folder, first_run_done=True
            )
        else:
            self.settings.update(backend="local", engine_demo=True, first_run_done=True)

    def _sync(self) -> None:
        choice = self.choice
        self.folder_row.setVisible(choice == CHOICE_FOLDER)
        self.token_row.setVisible(choice == CHOICE_AUDD)
        on_last = self.pages.currentIndex() == 1
        self.step_label.setText(f"Step {self.pages.currentIndex() + 1} of {self.pages.count()}")
        self.back_button.setVisible(on_last)
        self.next_button.setText("Start monitoring" if on_last else "Next")
        self.station_hint.setText(
            "The demo station is added for you. Add one of your own too, or leave this empty."
            if choice == CHOICE_DEMO
            else "Paste the address of a stream you want to watch, or pick an example."
        )

    def _example_picked(self, index: int) -> None:
        url = self.example_combo.itemData(index)
        if url:
            self.url_edit.setText(url)
            self.name_edit.setText(self.example_combo.itemText(index))

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Your music folder")
        if folder:
            self.folder_edit.setText(folder)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    # -- closing, as a dialog would ----------------------------------------------------------------
    def accept(self) -> None:
        self._done(self.ACCEPTED)

    def reject(self) -> None:
        if self._task is not None:
            self._task.cancel()  # nothing is saved before the playlist is resolved
            self._task = None
        self._done(self.REJECTED)

    def _done(self, result: int) -> None:
        if self.result is not None:
            return
        self.result = result
        (self.accepted if result == self.ACCEPTED else self.rejected).emit()
        self.finished.emit(result)
