"""The Monitor tab's page at 1, 3 and 30 stations, in the real main window at 1120x700 and
1600x1000: cards fill the rows, nothing sticks out, no grey box under a card or two, and an
"Add a station" tile where the next card goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint

from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.monitoring.events import RecordedPlay, StreamStatus
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.ui.monitor.card_grid import CARD_SPACING, COMPACT, ROOMY, grid_shape
from radiowatch.ui.monitor.tab import MonitorTab
from tests.ui.window_sizes import SIZES, app_theme, main_window, rect_in, save_shot, show_at

pytestmark = pytest.mark.qt


def stations(count: int) -> list[MonitoredStation]:
    return [
        MonitoredStation(radio_id=i, name=f"Station {i}", source=f"https://s.example/{i}")
        for i in range(1, count + 1)
    ]


def board_with(count: int) -> NowPlayingBoard:
    board = NowPlayingBoard()
    listed = stations(count)
    board.set_stations(listed)
    now = datetime.now(UTC)
    for station in listed:
        for minute in range(0, 40, 4):
            play = Play(
                id=station.radio_id * 100 + minute,
                radio_id=station.radio_id,
                start=now - timedelta(minutes=minute + 1),
                play_length=200,
                artist="An Artist With A Fairly Long Name",
                title=f"Song {minute} of {station.name}, the extended radio edit",
                score=90,
            )
            board.apply_play(RecordedPlay(play, station))
        board.apply_status(StreamStatus(station.radio_id, station.name, "live", since=now))
    return board


@pytest.fixture
def monitor_window(qtbot, qapp):
    dirs = profile_dirs().ensure()
    db = open_database(dirs.database)
    tabs = []

    def build(count: int):
        window = main_window(qtbot, dirs, db)
        tab = MonitorTab(board_with(count), refresh_interval_ms=20)
        window.set_tab("monitor", tab)
        window.show_tab("monitor")
        tabs.append(tab)
        return window, tab

    with app_theme(qapp, "light"):
        yield build
    for tab in tabs:
        tab.shutdown()
    db.conn.close()


def all_cards_shown(qtbot, tab: MonitorTab, count: int) -> None:
    qtbot.waitUntil(lambda: len(tab.cards) == count and not tab._pending, timeout=5000)
    qtbot.wait(50)


@pytest.mark.parametrize("count", [1, 3, 30])
@pytest.mark.parametrize("size", SIZES, ids=["1120x700", "1600x1000"])
def test_cards_fill_the_width_and_nothing_sticks_out(qtbot, monitor_window, count, size):
    window, tab = monitor_window(count)
    show_at(qtbot, window, size)
    all_cards_shown(qtbot, tab, count)
    save_shot(window, f"monitor-{count}-stations-{size[0]}x{size[1]}")
    viewport = tab.scroll.viewport()
    tiles = [tab.cards[radio_id] for radio_id in tab.board.station_ids()] + [tab.add_tile]
    style = ROOMY if count <= 2 else COMPACT
    width = tiles[0].width()
    assert all(tile.width() == width for tile in tiles), "cards and tile share one width"
    assert width >= min(style.min_width, viewport.width())
    rects = [rect_in(tile, tab.container) for tile in tiles]
    for rect in rects:
        assert rect.left() >= 0 and rect.right() < viewport.width(), f"{rect} sticks out"
    top_row = [r for r in rects if r.top() == rects[0].top()]
    unused = viewport.width() - (top_row[-1].right() + 1)
    if len(top_row) < len(tiles):  # the first row is full: another column would not fit
        assert unused < style.min_width + CARD_SPACING
    shape = grid_shape(viewport.width(), len(tiles), style)
    assert len(top_row) == shape.columns
    for first, second in zip(rects, rects[1:], strict=False):
        assert not first.intersects(second), "tiles overlap"
    # The tile is where the next card goes: right after the last card.
    last_card, tile = rects[-2], rects[-1]
    assert (tile.top() == last_card.top() and tile.left() > last_card.right()) or (
        tile.top() > last_card.bottom() and tile.left() == rects[0].left()
    )
    # Roomy cards with one or two stations: a bigger cover and more earlier plays.
    card = tab.cards[1]
    assert card.cover_label.width() == style.cover
    shown_rows = sum(1 for _when, what in card.recent_rows if what.isVisible())
    assert shown_rows == style.recent_rows
    # Long titles are cut with "…" to the room they have, never clipped mid-letter.
    for label in [card.title_label, card.artist_label] + [w for _t, w in card.recent_rows]:
        if label.isVisible():
            assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), (
                label.text()
            )
            assert rect_in(label, card).right() < card.width()


@pytest.mark.parametrize("count", [1, 3])
def test_no_grey_box_under_a_few_cards(qtbot, monitor_window, count):
    window, tab = monitor_window(count)
    show_at(qtbot, window, SIZES[0])
    all_cards_shown(qtbot, tab, count)
    image = window.grab().toImage()  # the window: a tab alone is grabbed on its palette

    def colour_at(x: int, y: int):
        point = tab.mapTo(window, QPoint(x, y))
        return image.pixelColor(point.x(), point.y())

    page = colour_at(tab.width() - 5, tab.summary_label.y() + 2)  # beside the header
    lowest = max(rect_in(w, tab).bottom() for w in [*tab.cards.values(), tab.add_tile])
    assert lowest < tab.height() - 40, "there is room below the cards in this test"
    below = colour_at(tab.width() // 2, (lowest + tab.height()) // 2)
    assert below == page, f"the area below the cards is {below.name()}, the page {page.name()}"


def test_the_tile_and_the_empty_page_ask_for_a_new_station(qtbot, monitor_window):
    window, tab = monitor_window(0)
    show_at(qtbot, window, SIZES[0])
    assert tab.empty_state.isVisible() and not tab.scroll.isVisible()
    with qtbot.waitSignal(tab.add_station_requested, timeout=1000):
        tab.empty_add_button.click()
    tab.board.set_stations(stations(1))
    qtbot.waitUntil(lambda: tab.add_tile.isVisible(), timeout=5000)
    with qtbot.waitSignal(tab.add_station_requested, timeout=1000):
        tab.add_tile.button.click()


def test_cards_follow_the_dark_scheme(qtbot, qapp):
    dirs = profile_dirs().ensure()
    db = open_database(dirs.database)
    with app_theme(qapp, "dark"):
        window = main_window(qtbot, dirs, db)
        tab = MonitorTab(board_with(3), refresh_interval_ms=20)
        window.set_tab("monitor", tab)
        show_at(qtbot, window, SIZES[0])
        all_cards_shown(qtbot, tab, 3)
        image = window.grab().toImage()
        card = tab.cards[1]
        inside = card.mapTo(window, QPoint(card.width() - 6, card.height() // 2))
        assert image.pixelColor(inside).lightness() < 80, "a white card on the dark theme"
        tab.shutdown()
    db.conn.close()
