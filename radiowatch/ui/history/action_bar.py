"""The History tab's commands: one row of buttons, each with its tooltip, some with a keyboard
shortcut, enabled only when they have something to act on.

A shortcut works anywhere in the tab (its action sits on the tab, with
WidgetWithChildrenShortcut), except Delete: in the search field Delete edits text, so that one
is an action of the table only (`table_actions`, which the tab adds to its table view). The
bar knows nothing of plays: each button calls the slot it was given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

Slot = Callable[[], object]


@dataclass(frozen=True)
class HistoryCommands:
    """What each button does."""

    add: Slot
    edit: Slot
    false_positive: Slot
    delete: Slot
    around: Slot
    cut_down: Slot
    search_archive: Slot
    export: Slot


class HistoryActionBar(QHBoxLayout):
    def __init__(self, owner: QWidget, commands: HistoryCommands) -> None:
        super().__init__()
        self._owner = owner
        self.table_actions: list[QAction] = []
        self.add_button = self._button("Add play…", commands.add, "Ctrl+N", "Add a play by hand")
        self.edit_button = self._button(
            "Edit…", commands.edit, "Ctrl+E", "Correct the selected play"
        )
        self.false_button = self._button(
            "False positive", commands.false_positive, None, "Mark or unmark: not this song"
        )
        self.delete_button = self._button(
            "Delete", commands.delete, "Del", "Hide the play (it stays in the file)"
        )
        self.around_button = self._button(
            "Around time…", commands.around, "Ctrl+T", "What played on a station around a time"
        )
        self.cut_button = self._button(
            "Make a cut-down", commands.cut_down, None, "Open the track in the Resize tab"
        )
        self.addStretch(1)
        self.search_archive_button = self._button(
            "Search the archive again…",
            commands.search_archive,
            None,
            "Find catalog tracks in what the stations aired (the engine's archive)",
        )
        self.export_button = self._button(
            "Export…", commands.export, "Ctrl+Shift+E", "Export these plays to CSV, XLSX or JSON"
        )

    def _button(self, text: str, slot: Slot, shortcut: str | None, tip: str) -> QPushButton:
        widget = QPushButton(text)
        widget.clicked.connect(slot)
        if shortcut:
            action = QAction(text, self._owner)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            if shortcut == "Del":  # only in the table: Delete in the search box edits text
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.table_actions.append(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self._owner.addAction(action)
            tip = f"{tip} ({QKeySequence(shortcut).toString()})".strip()
        widget.setToolTip(tip)
        self.addWidget(widget)
        return widget

    def enable(self, *, play_selected: bool, can_export: bool, has_archive: bool) -> None:
        for widget in (self.edit_button, self.false_button, self.delete_button, self.cut_button):
            widget.setEnabled(play_selected)
        self.export_button.setEnabled(can_export)
        self.search_archive_button.setEnabled(has_archive)
