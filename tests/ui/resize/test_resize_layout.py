"""The Resize tab as a new user sees it, inside the main window at the default size (1120x700)
and a large one: an empty state instead of meaningless axes while no song is open, and with a
song every plot inside the window, the whole similarity map visible, its title not clipped.

RADIOWATCH_SCREENSHOTS=<folder> saves what the tests looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QRectF

from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.config.settings import SettingsStore
from radiowatch.history.database import open_database
from radiowatch.stations import StationStore
from radiowatch.ui.resize.tab import ResizeTab
from radiowatch.ui.shell.main_window import MainWindow
from tests.audjust.music import make_song, write_wav

pytestmark = pytest.mark.qt
SHOTS = os.environ.get("RADIOWATCH_SCREENSHOTS")
SIZES = [(1120, 700), (1600, 1000)]


@pytest.fixture
def window_with_tab(qtbot, qloop, tmp_path):
    dirs = profile_dirs().ensure()
    db = open_database(dirs.database)
    made = []

    def make(width: int, height: int) -> tuple[MainWindow, ResizeTab]:
        window = MainWindow(
            dirs=dirs,
            settings=SettingsStore(dirs.settings_file),
            stations=StationStore(db),
            tokens=MemoryTokenStore({}),
        )
        qtbot.addWidget(window)
        window.allow_close()
        tab = ResizeTab(tmp_path / "cache", lambda: None)
        window.set_tab("resize", tab)
        window.show_tab("resize")
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        made.append(tab)
        return window, tab

    yield make
    for tab in made:
        tab.shutdown()
    db.conn.close()


def _shoot(window: MainWindow, name: str) -> None:
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / name))


def _rect_in(widget, ancestor) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["1120x700", "1600x1000"])
def test_without_a_song_the_tab_shows_an_empty_state_not_empty_plots(
    qtbot, window_with_tab, width, height
):
    window, tab = window_with_tab(width, height)
    _shoot(window, f"resize-empty-{width}x{height}.png")
    assert tab.no_song.isVisible() and tab.no_song.open_button.isVisible()
    assert "Fit a song" in tab.no_song.heading.text()
    for plot in (tab.waveform, tab.similarity_view):
        assert not plot.isVisible()
    assert not tab.table.isVisible() and not tab.export_button.isVisible()
    assert window.width() == width  # nothing in the tab asks for more than the default size


def test_the_empty_state_says_what_is_happening_and_comes_back_after_a_bad_file(
    qtbot, window_with_tab, tmp_path
):
    window, tab = window_with_tab(1120, 700)
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    task = tab.open_track(broken)
    qtbot.waitUntil(lambda: "Analysing broken.mp3" in tab.no_song.heading.text(), timeout=5000)
    assert not tab.no_song.open_button.isVisible()
    qtbot.waitUntil(task.done, timeout=60_000)
    assert "broken.mp3" in tab.status.text()  # the error says which file
    assert tab.no_song.isVisible() and "Fit a song" in tab.no_song.heading.text()
    assert not tab.waveform.isVisible()


LONG_NAME = "A song with a rather long file name, as rips often have (128 BPM).wav"


@pytest.mark.parametrize(
    ("width", "height", "name"),
    [(1120, 700, "Song.wav"), (1120, 700, LONG_NAME), (1600, 1000, LONG_NAME)],
    ids=["1120x700", "1120x700-long-name", "1600x1000"],
)
def test_with_a_song_every_plot_fits_and_the_similarity_title_is_whole(
    qtbot, window_with_tab, tmp_path, width, height, name
):
    window, tab = window_with_tab(width, height)
    song = write_wav(tmp_path / name, make_song(form="ABABAB").samples, channels=2)
    with qtbot.waitSignal(tab.candidates_ready, timeout=90_000):
        tab.open_track(song, preset_seconds=60)
    qtbot.waitUntil(tab.play_button.isEnabled, timeout=20_000)
    _shoot(window, f"resize-song-{width}x{height}{'-long' if name == LONG_NAME else ''}.png")

    assert not tab.no_song.isVisible() and tab.waveform.isVisible()
    # A long file name once widened the window past the default size (and off a small screen).
    assert window.width() == width and window.height() == height
    inside = window.rect()
    for widget in (tab, tab.waveform, tab.similarity_view, tab.table, tab.export_button):
        assert inside.contains(_rect_in(widget, window)), type(widget).__name__

    view = tab.similarity_view
    n = view.matrix.shape[0]
    (x0, x1), (y0, y1) = view.getViewBox().viewRange()
    assert x0 <= 0.5 and x1 >= n - 0.5 and y0 <= 0.5 and y1 >= n - 0.5  # no beat cut off
    title = view.getPlotItem().titleLabel.item
    shown = title.mapRectToScene(title.boundingRect())
    assert QRectF(0, 0, view.width(), view.height()).contains(shown), "title clipped"
    assert tab.similarity.legend.isVisible() and tab.similarity.legend.wordWrap()
