"""Layout tests look at a tab inside the real main window, at the sizes people use.

    window = main_window(qtbot, dirs, db)
    window.set_tab("history", tab)
    show_at(qtbot, window, DEFAULT_SIZE)

DEFAULT_SIZE is the window a new user gets; LARGE_SIZE a big desktop window. The sidebar keeps
its default width, so a tab gets the width it really has at each size. With
RADIOWATCH_SCREENSHOTS=DIR, `save_shot` keeps what the test saw as DIR/<name>.png, to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

from radiowatch.config.paths import ProfileDirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.config.settings import SettingsStore
from radiowatch.stations.store import StationStore
from radiowatch.ui.common.palette import apply_scheme
from radiowatch.ui.shell.main_window import MainWindow

DEFAULT_SIZE = (1120, 700)
LARGE_SIZE = (1600, 1000)
SIZES = (DEFAULT_SIZE, LARGE_SIZE)


def main_window(qtbot, dirs: ProfileDirs, db, stations: StationStore | None = None) -> MainWindow:
    """A real main window (closed by qtbot at the end of the test)."""
    window = MainWindow(
        dirs=dirs,
        settings=SettingsStore(dirs.settings_file),
        stations=stations or StationStore(db),
        tokens=MemoryTokenStore(),
    )
    qtbot.addWidget(window)
    window.allow_close()
    return window


@contextmanager
def app_theme(qapp, scheme: str = "light") -> Iterator[None]:
    """The app's palette and stylesheet, as `radiowatch` applies them; restored afterwards."""
    palette, sheet = qapp.palette(), qapp.styleSheet()
    applied = qapp.property("radiowatch_scheme")
    apply_scheme(qapp, scheme)
    try:
        yield
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
        qapp.setProperty("radiowatch_scheme", applied)


def show_at(qtbot, window: QWidget, size: tuple[int, int]) -> None:
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)  # layouts settle in posted events
    hint = window.minimumSizeHint()
    assert (window.width(), window.height()) == size, (
        f"the window cannot be {size[0]}x{size[1]}: it is {window.width()}x{window.height()},"
        f" its content needs at least {hint.width()}x{hint.height()}"
    )


def rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    """The widget's rectangle in `ancestor`'s coordinates."""
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def fully_inside(widget: QWidget, ancestor: QWidget) -> bool:
    return widget.isVisible() and ancestor.rect().contains(rect_in(widget, ancestor))


def save_shot(window: QWidget, name: str) -> None:
    folder = os.environ.get("RADIOWATCH_SCREENSHOTS")
    if folder:
        window.grab().save(os.path.join(folder, f"{name}.png"))
