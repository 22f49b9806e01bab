"""Settings: which recognition backend to use, and how the window behaves."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from radiowatch.config.autostart import autostart_supported
from radiowatch.config.settings import BACKEND_LABELS, SettingsStore
from radiowatch.ui.shell.archive_settings import ArchiveProvider, ArchiveSettingsBox

BACKEND_HELP = {
    "local": "Recognises against your own catalog on this computer. Free and offline.",
    "audd": "Recognises against AudD's full music database. Needs an AudD API token.",
    "remote_engine": "A radiowatch engine running on another machine, e.g. at the station.",
}


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: SettingsStore,
        parent: QWidget | None = None,
        *,
        archive: ArchiveProvider | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._archive = archive
        self.setWindowTitle("Settings")
        self.setMinimumWidth(500)
        self.setup_ui()

    def setup_ui(self) -> None:
        current = self.settings.current
        layout = QVBoxLayout(self)
        backend_box = QGroupBox("Recognition backend", self)
        form = QFormLayout(backend_box)
        self.backend_combo = QComboBox(backend_box)
        for key, label in BACKEND_LABELS.items():
            self.backend_combo.addItem(label, key)
        self.backend_combo.setCurrentIndex(self.backend_combo.findData(current.backend))
        form.addRow("Backend:", self.backend_combo)
        self.backend_help = QLabel(backend_box)
        self.backend_help.setObjectName("DialogHint")
        self.backend_help.setWordWrap(True)
        form.addRow("", self.backend_help)
        self.remote_url = QLineEdit(current.remote_engine_url, backend_box)
        self.remote_url.setPlaceholderText("http://studio-pc.local:8765")
        form.addRow("Remote engine URL:", self.remote_url)
        self.engine_demo = QCheckBox("Run the demo station with the local engine", backend_box)
        self.engine_demo.setChecked(current.engine_demo)
        self.engine_demo.setToolTip(
            "A built-in station playing generated songs from a demo catalog, so you can see "
            "monitoring work without any account. Turn off once your own stations run."
        )
        form.addRow("", self.engine_demo)
        layout.addWidget(backend_box)

        window_box = QGroupBox("Window", self)
        window_form = QVBoxLayout(window_box)
        self.close_to_tray = QCheckBox(
            "Keep monitoring in the tray when the window is closed", window_box
        )
        self.close_to_tray.setChecked(current.close_to_tray)
        self.start_minimised = QCheckBox("Start minimised to the tray", window_box)
        self.start_minimised.setChecked(current.start_minimised)
        self.notifications = QCheckBox("Show notifications for watched songs", window_box)
        self.notifications.setChecked(current.notifications)
        self.autostart = QCheckBox("Start radiowatch when I log in (in the tray)", window_box)
        self.autostart.setChecked(current.autostart)
        if autostart_supported():
            self.autostart.setToolTip("Adds radiowatch to your desktop's autostart programs")
        else:
            self.autostart.setEnabled(False)
            self.autostart.setToolTip(
                "Not available on this system yet; use the system's login items settings"
            )
        self.close_to_tray.setToolTip(
            "Closing the window keeps monitoring; quit from the tray menu or with Ctrl+Q"
        )
        self.start_minimised.setToolTip("Only the tray icon appears at start")
        self.notifications.setToolTip("Alerts for plays matching your watchlist rules")
        for box in (self.close_to_tray, self.start_minimised, self.notifications, self.autostart):
            window_form.addWidget(box)
        layout.addWidget(window_box)
        # the engine's own settings, changed over HTTP by the box itself (not by Save)
        self.archive_box = ArchiveSettingsBox(self._archive, self)
        layout.addWidget(self.archive_box)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("FieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.backend_combo.currentIndexChanged.connect(self._on_backend_changed)
        self._on_backend_changed()

    def _on_backend_changed(self) -> None:
        key = self.backend_combo.currentData()
        self.backend_help.setText(BACKEND_HELP[key])
        self.remote_url.setEnabled(key == "remote_engine")
        self.engine_demo.setEnabled(key == "local")

    def save(self) -> bool:
        backend = self.backend_combo.currentData()
        url = self.remote_url.text().strip()
        if backend == "remote_engine" and not url:
            self._show_error("Enter the remote engine's URL, e.g. http://studio-pc.local:8765.")
            return False
        try:
            self.settings.update(
                backend=backend,
                remote_engine_url=url,
                close_to_tray=self.close_to_tray.isChecked(),
                start_minimised=self.start_minimised.isChecked(),
                notifications=self.notifications.isChecked(),
                autostart=self.autostart.isChecked(),
                engine_demo=self.engine_demo.isChecked(),
            )
        except ValidationError as exc:
            self._show_error(exc.errors()[0]["msg"].removeprefix("Value error, ") + ".")
            return False
        self.accept()
        return True

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
