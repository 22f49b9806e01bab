"""Add or edit a station: name, stream source, radio_id; validated before anything is saved.

Checks that need no network run first and all at once, so the user sees every problem in one
go. Then a playlist (URL or file) is resolved to its stream, which may take seconds: the dialog
shows progress and Cancel stops it. Every error appears under the field it is about. The checks
and the saving are radiowatch/stations/station_input.py's, shared with the first-run assistant
and `radiowatch stations add`.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from radiowatch.stations.errors import StationError
from radiowatch.stations.sources import SOURCE_HELP
from radiowatch.stations.station_input import input_problems, save_station
from radiowatch.stations.store import MAX_RADIO_ID, Station, StationStore
from radiowatch.ui.common.tasks import TaskSlot

FIELDS = ("name", "source", "radio_id")


class StationDialog(QDialog):
    """Emits `saved(Station)` and closes when the station was written; stays open otherwise."""

    saved = Signal(object)

    def __init__(
        self,
        store: StationStore,
        station: Station | None = None,
        parent: QWidget | None = None,
        *,
        fetch_timeout: float = 10.0,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.station = station
        self.fetch_timeout = fetch_timeout
        self.result_note = ""
        self._save = TaskSlot("station-dialog-save")
        self.setWindowTitle("Edit station" if station else "Add station")
        self.setMinimumWidth(520)
        self.setup_ui()
        if station is not None:
            self.name_edit.setText(station.name)
            self.source_edit.setText(station.entered)
            self.radio_id_spin.setValue(station.radio_id)
            self.enabled_check.setChecked(station.enabled)
        else:
            self.radio_id_spin.setValue(store.suggest_radio_id())

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors: dict[str, QLabel] = {}

        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. Radio Paradise")
        form.addRow("&Name:", self._with_error("name", self.name_edit))

        source_row = QWidget(self)
        row = QHBoxLayout(source_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.source_edit = QLineEdit(source_row)
        self.source_edit.setPlaceholderText("https://stream.example.com/live.mp3")
        self.source_edit.setToolTip(SOURCE_HELP)
        self.browse_button = QPushButton("Browse…", source_row)
        self.browse_button.setToolTip("Pick a .pls, .m3u or .m3u8 playlist file")
        self.browse_button.clicked.connect(self._on_browse)
        row.addWidget(self.source_edit, 1)
        row.addWidget(self.browse_button)
        hint = QLabel(SOURCE_HELP, self)
        hint.setObjectName("DialogHint")
        hint.setWordWrap(True)
        form.addRow("&Stream:", self._with_error("source", source_row, hint))

        self.radio_id_spin = QSpinBox(self)
        self.radio_id_spin.setRange(1, MAX_RADIO_ID)
        self.radio_id_spin.setToolTip(
            "The number AudD uses for this stream; unique among your stations."
        )
        form.addRow("&radio_id:", self._with_error("radio_id", self.radio_id_spin))

        self.enabled_check = QCheckBox("Monitor this station", self)
        self.enabled_check.setChecked(True)
        form.addRow("", self.enabled_check)
        layout.addLayout(form)

        self.general_error = QLabel(self)
        self.general_error.setObjectName("FieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        layout.addWidget(self.general_error)

        progress_row = QHBoxLayout()
        self.progress_label = QLabel("Resolving the playlist…", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        layout.addLayout(progress_row)
        self._set_busy(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _with_error(self, field: str, editor: QWidget, hint: QLabel | None = None) -> QWidget:
        """The editor with its (hidden) error line and an optional hint under it.

        Wrapped labels sit inside a box rather than directly in the form: QFormLayout gives a
        wrapped label of its own row too much height, the box gives it exactly its lines.
        """
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        error = QLabel(box)
        error.setObjectName("FieldError")
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        if hint is not None:
            column.addWidget(hint)
        self.errors[field] = error
        return box

    # -- state for callers and tests -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._save.running()

    def error_text(self, field: str) -> str:
        label = self.errors.get(field, self.general_error)
        return label.text() if not label.isHidden() else ""

    def shown_errors(self) -> dict[str, str]:
        found = {f: self.errors[f].text() for f in FIELDS if not self.errors[f].isHidden()}
        if not self.general_error.isHidden():
            found["general"] = self.general_error.text()
        return found

    # -- flow -------------------------------------------------------------------------------------
    def submit(self) -> None:
        """Validate, resolve and save (asynchronously); errors stay in the dialog."""
        if self.busy:
            return
        self._clear_errors()
        problems = self._local_problems()
        if problems:
            for error in problems:
                self._show_error(error)
            return
        self._set_busy(True)
        self._save.start(self._resolve_and_save())

    def _local_problems(self) -> list[StationError]:
        return input_problems(
            self.store,
            name=self.name_edit.text(),
            entered=self.source_edit.text(),
            radio_id=self.radio_id_spin.value(),
            station=self.station,
        )

    async def _resolve_and_save(self) -> None:
        try:
            saved = await save_station(
                self.store,
                name=self.name_edit.text(),
                entered=self.source_edit.text(),
                radio_id=self.radio_id_spin.value(),
                enabled=self.enabled_check.isChecked(),
                station=self.station,
                timeout=self.fetch_timeout,
            )
        except StationError as exc:
            self._set_busy(False)
            self._show_error(exc)
            return
        except asyncio.CancelledError:
            self._set_busy(False)
            raise
        self.result_note = saved.note
        self._set_busy(False)
        self.saved.emit(saved.station)
        self.accept()

    def reject(self) -> None:
        """Cancel stops a playlist fetch in progress; nothing has been saved at that point."""
        self._save.cancel()
        super().reject()

    # -- presentation ---------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.progress_label.setVisible(busy)
        self.progress.setVisible(busy)
        for widget in (
            self.name_edit,
            self.source_edit,
            self.browse_button,
            self.radio_id_spin,
            self.enabled_check,
        ):
            widget.setEnabled(not busy)
        if hasattr(self, "save_button"):
            self.save_button.setEnabled(not busy)

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general_error):
            label.clear()
            label.hide()
        self._fit_height()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow (or shrink) to fit wrapped error lines; the width stays the user's."""
        self.layout().activate()
        self.resize(self.width(), self.layout().totalHeightForWidth(self.width()))

    def _show_error(self, error: StationError) -> None:
        label = self.errors.get(error.field, self.general_error)
        label.setText(error.message)
        label.show()
        self._fit_height()
        editor = {
            "name": self.name_edit,
            "source": self.source_edit,
            "radio_id": self.radio_id_spin,
        }.get(error.field)
        if editor is not None and not any(
            not self.errors[f].isHidden() for f in FIELDS[: FIELDS.index(error.field)]
        ):
            editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a playlist file", "", "Playlists (*.pls *.m3u *.m3u8);;All files (*)"
        )
        if path:
            self.source_edit.setText(path)
