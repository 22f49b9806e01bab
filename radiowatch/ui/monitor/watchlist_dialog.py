"""Editing watchlist rules: what to watch, on which stations, at which hours, muted or not.

The dialog writes straight to the `WatchlistStore` (small, synchronous SQLite writes); the
monitoring service reads the rules from the same store on the next play, so there is nothing
to reload. Bad input (no text to look for, half an hour range) is refused with the model's
own message next to the form, never with a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.errors import HistoryError
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.monitoring.watchlist import FIELD_LABELS, RULE_FIELDS, WatchlistStore, WatchRule

PLACEHOLDERS = {
    "artist": "e.g. Tears for Fears",
    "title": "e.g. Everybody Wants to Rule the World",
    "isrc": "e.g. GBUM71403885, or a prefix like GBUM7",
    "label": "e.g. Mercury",
    "catalog": "",
}


def rule_summary(rule: WatchRule, stations: dict[int, str], now: datetime) -> str:
    """Two lines for the rule list: what is watched, then where/when and whether it is muted."""
    scope = []
    if rule.radio_ids:
        names = [stations.get(r, f"#{r}") for r in rule.radio_ids]
        scope.append(", ".join(names[:3]) + ("…" if len(names) > 3 else ""))
    else:
        scope.append("all stations")
    if rule.hour_from is not None:
        scope.append(f"{rule.hour_from:02d}:00–{rule.hour_to:02d}:00")
    if not rule.enabled:
        scope.append("off")
    elif rule.is_muted(now):
        scope.append(f"muted until {rule.muted_until.astimezone().strftime('%a %H:%M')}")
    return f"{rule.describe()}\n    {' · '.join(scope)}"


class WatchlistDialog(QDialog):
    rules_changed = Signal()

    def __init__(
        self,
        store: WatchlistStore,
        stations: list[MonitoredStation],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Watchlist")
        self.resize(760, 460)
        self._store = store
        self._stations = stations
        self._editing: WatchRule | None = None
        self.setup_ui()
        self.reload()
        self.new_rule()

    # -- layout ----------------------------------------------------------------------------

    def setup_ui(self) -> None:
        outer = QVBoxLayout(self)
        intro = QLabel(
            "Get an alert when a track you care about plays. Rules can be limited to some "
            "stations and to hours of the day."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        body = QHBoxLayout()
        outer.addLayout(body, 1)

        left = QVBoxLayout()
        self.rule_list = QListWidget()
        self.rule_list.setWordWrap(True)
        self.rule_list.setSpacing(2)
        self.rule_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rule_list.currentItemChanged.connect(self._on_rule_selected)
        left.addWidget(self.rule_list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton("New rule")
        self.delete_button = QPushButton("Delete")
        self.new_button.clicked.connect(self.new_rule)
        self.delete_button.clicked.connect(self.delete_rule)
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        left.addLayout(row)
        body.addLayout(left, 3)

        form = QFormLayout()
        self.field_combo = QComboBox()
        for field in RULE_FIELDS:
            self.field_combo.addItem(FIELD_LABELS[field], field)
        self.field_combo.currentIndexChanged.connect(self._on_field_changed)
        self.pattern_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional, shown in alerts")
        form.addRow("Watch", self.field_combo)
        form.addRow("Look for", self.pattern_edit)
        form.addRow("Name", self.name_edit)

        self.all_stations = QCheckBox("All stations")
        self.all_stations.toggled.connect(lambda on: self.station_list.setEnabled(not on))
        self.station_list = QListWidget()
        self.station_list.setMaximumHeight(110)
        for station in self._stations:
            item = QListWidgetItem(station.name)
            item.setData(Qt.ItemDataRole.UserRole, station.radio_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.station_list.addItem(item)
        stations_box = QVBoxLayout()
        stations_box.addWidget(self.all_stations)
        stations_box.addWidget(self.station_list)
        form.addRow("Stations", stations_box)

        hours = QHBoxLayout()
        self.hours_check = QCheckBox("Only from")
        self.hour_from = QSpinBox(minimum=0, maximum=23, suffix=":00")
        self.hour_to = QSpinBox(minimum=0, maximum=24, suffix=":00", value=24)
        self.hours_check.toggled.connect(self._on_hours_toggled)
        hours.addWidget(self.hours_check)
        hours.addWidget(self.hour_from)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.hour_to)
        hours.addStretch(1)
        form.addRow("Hours", hours)

        self.enabled_check = QCheckBox("Rule is on")
        form.addRow("", self.enabled_check)
        mute_row = QHBoxLayout()
        self.mute_label = QLabel()
        self.mute_button = QPushButton("Mute for 24 h")
        self.mute_button.clicked.connect(self._toggle_mute)
        mute_row.addWidget(self.mute_label, 1)
        mute_row.addWidget(self.mute_button)
        form.addRow("Alerts", mute_row)

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b42318;")
        self.error_label.setWordWrap(True)
        form.addRow("", self.error_label)
        self.save_button = QPushButton("Save rule")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_rule)
        form.addRow("", self.save_button)
        body.addLayout(form, 4)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    # -- list ------------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        names = {s.radio_id: s.name for s in self._stations}
        now = datetime.now(UTC)
        self.rule_list.blockSignals(True)
        self.rule_list.clear()
        try:
            rules = self._store.rules()
        except HistoryError as exc:
            rules = []
            self.error_label.setText(str(exc))
        for rule in rules:
            item = QListWidgetItem(rule_summary(rule, names, now))
            item.setData(Qt.ItemDataRole.UserRole, rule.id)
            self.rule_list.addItem(item)
            if rule.id == select:
                self.rule_list.setCurrentItem(item)
        self.rule_list.blockSignals(False)
        self.delete_button.setEnabled(self._editing is not None and self._editing.id is not None)

    def _on_rule_selected(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        rule = self._store.get(item.data(Qt.ItemDataRole.UserRole))
        if rule is not None:
            self.edit_rule(rule)

    # -- form ------------------------------------------------------------------------------

    def new_rule(self) -> None:
        self.rule_list.clearSelection()
        self.edit_rule(None)
        self.pattern_edit.setFocus()

    def edit_rule(self, rule: WatchRule | None) -> None:
        self._editing = rule
        self.error_label.clear()
        field = rule.field if rule else "artist"
        self.field_combo.setCurrentIndex(RULE_FIELDS.index(field))
        self.pattern_edit.setText(rule.pattern if rule else "")
        self.name_edit.setText(rule.name if rule else "")
        scoped = set(rule.radio_ids) if rule else set()
        self.all_stations.setChecked(not scoped)
        self.station_list.setEnabled(bool(scoped))
        for index in range(self.station_list.count()):
            item = self.station_list.item(index)
            checked = item.data(Qt.ItemDataRole.UserRole) in scoped
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        has_hours = rule is not None and rule.hour_from is not None
        self.hours_check.setChecked(has_hours)
        self.hour_from.setValue(rule.hour_from if has_hours else 0)
        self.hour_to.setValue(rule.hour_to if has_hours else 24)
        self._on_hours_toggled(has_hours)
        self.enabled_check.setChecked(rule.enabled if rule else True)
        self._show_mute(rule)
        self._on_field_changed()
        self.delete_button.setEnabled(rule is not None and rule.id is not None)

    def _show_mute(self, rule: WatchRule | None) -> None:
        now = datetime.now(UTC)
        muted = rule is not None and rule.is_muted(now)
        self.mute_button.setEnabled(rule is not None and rule.id is not None)
        self.mute_button.setText("Unmute" if muted else "Mute for 24 h")
        if muted:
            until = rule.muted_until.astimezone().strftime("%a %d %b %H:%M")
            self.mute_label.setText(f"Muted until {until}")
        else:
            self.mute_label.setText("Alerts are on" if rule is None or rule.enabled else "Off")

    def _on_field_changed(self) -> None:
        field = self.field_combo.currentData()
        self.pattern_edit.setEnabled(field != "catalog")
        self.pattern_edit.setPlaceholderText(PLACEHOLDERS.get(field, ""))
        if field == "catalog":
            self.pattern_edit.clear()

    def _on_hours_toggled(self, on: bool) -> None:
        self.hour_from.setEnabled(on)
        self.hour_to.setEnabled(on)

    def rule_from_form(self) -> WatchRule:
        """The rule the form describes; raises ValidationError for incomplete input."""
        radio_ids = []
        if not self.all_stations.isChecked():
            for index in range(self.station_list.count()):
                item = self.station_list.item(index)
                if item.checkState() == Qt.CheckState.Checked:
                    radio_ids.append(item.data(Qt.ItemDataRole.UserRole))
        hours = self.hours_check.isChecked()
        return WatchRule(
            id=self._editing.id if self._editing else None,
            name=self.name_edit.text(),
            field=self.field_combo.currentData(),
            pattern=self.pattern_edit.text(),
            radio_ids=radio_ids,
            hour_from=self.hour_from.value() if hours else None,
            hour_to=self.hour_to.value() if hours else None,
            enabled=self.enabled_check.isChecked(),
            muted_until=self._editing.muted_until if self._editing else None,
        )

    def save_rule(self) -> WatchRule | None:
        try:
            rule = self.rule_from_form()
            if not self.all_stations.isChecked() and not rule.radio_ids:
                self.error_label.setText("Tick at least one station, or choose All stations.")
                return None
            saved = self._store.save(rule)
        except ValidationError as exc:
            self.error_label.setText(exc.errors()[0]["msg"].removeprefix("Value error, "))
            return None
        except HistoryError as exc:
            self.error_label.setText(str(exc))
            return None
        self._editing = saved
        self.error_label.clear()
        self.reload(select=saved.id)
        self._show_mute(saved)
        self.rules_changed.emit()
        return saved

    def delete_rule(self) -> None:
        if self._editing is None or self._editing.id is None:
            return
        self._store.delete(self._editing.id)
        self.rules_changed.emit()
        self.reload()
        self.new_rule()

    def _toggle_mute(self) -> None:
        rule = self._editing
        if rule is None or rule.id is None:
            return
        now = datetime.now(UTC)
        until = None if rule.is_muted(now) else now + timedelta(hours=24)
        updated = self._store.mute(rule.id, until)
        if updated is not None:
            self._editing = updated
            self._show_mute(updated)
            self.reload(select=updated.id)
            self.rules_changed.emit()
