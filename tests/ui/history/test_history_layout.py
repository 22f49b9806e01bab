"""History in the real main window: on Plays the search field stays usable at every size; on
Discover every column and control of its rows shows."""

from __future__ import annotations

import time

import pytest

from radiowatch.backend.archive_client import Airing, ArchiveClient, DiscoveredPiece
from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.history.tab import HistoryTab
from tests.ui.history.test_history_tab import write_history
from tests.ui.window_sizes import (
    DEFAULT_SIZE,
    LARGE_SIZE,
    SIZES,
    app_theme,
    fully_inside,
    main_window,
    rect_in,
    save_shot,
    show_at,
)

pytestmark = pytest.mark.qt


@pytest.fixture
def window_with_history(qtbot):
    dirs = profile_dirs().ensure()
    write_history(dirs.database, 50)
    db = open_database(dirs.database)
    window = main_window(qtbot, dirs, db)
    tab = HistoryTab(dirs.database)
    window.set_tab("history", tab)
    window.show_tab("history")
    yield window, tab
    tab.close_database()
    db.conn.close()


@pytest.mark.parametrize("size", SIZES, ids=["1120x700", "1600x1000"])
def test_the_search_field_stays_usable_and_every_filter_shows(qtbot, window_with_history, size):
    window, tab = window_with_history
    show_at(qtbot, window, size)
    bar = tab.filters
    filters = [
        tab.search,
        tab.station,
        tab.date_from,
        tab.date_to,
        tab.daypart,
        tab.ai_only,
        tab.show_deleted,
    ]
    save_shot(window, f"history-{size[0]}x{size[1]}")
    assert tab.search.width() >= 300, f"search squeezed to {tab.search.width()} px"
    rects = [rect_in(widget, bar) for widget in filters]
    for widget, rect in zip(filters, rects, strict=True):
        assert widget.isVisible()
        assert bar.rect().contains(rect), f"{widget!r} sticks out of the bar: {rect}"
        assert rect.width() >= widget.minimumSizeHint().width()
    for i, first in enumerate(rects):
        for second in rects[i + 1 :]:
            assert not first.intersects(second), "filters overlap"
    # The table keeps most of the height.
    assert tab.view.height() >= 0.6 * tab.height()


def test_filters_wrap_only_when_one_row_would_squeeze_the_search(qtbot, window_with_history):
    window, tab = window_with_history
    show_at(qtbot, window, DEFAULT_SIZE)
    assert tab.filters.wrapped
    assert rect_in(tab.date_from, tab).top() > rect_in(tab.search, tab).bottom()
    show_at(qtbot, window, LARGE_SIZE)
    assert not tab.filters.wrapped
    assert rect_in(tab.date_from, tab).center().y() == pytest.approx(
        rect_in(tab.search, tab).center().y(), abs=3
    )
    show_at(qtbot, window, DEFAULT_SIZE)
    assert tab.filters.wrapped and tab.date_from.isVisible()


def _pieces(now: float) -> list[DiscoveredPiece]:
    """Rows as the engine's discover job returns them (its real runs: test_discover_view.py
    and tests/ui/shell/test_archive_in_the_app.py)."""
    rows = []
    for index, (length, count, stations, kind) in enumerate(
        [(212.4, 14, [1, 2, 3], "song"), (29.8, 9, [2], "ad"), (6.1, 31, [1, 3], "jingle")]
    ):
        start = now - 86400 * (index + 2)
        best = Airing(radio_id=stations[0], start=start, end=start + length)
        rows.append(
            DiscoveredPiece(
                key=f"k{index}",
                length_s=length,
                count=count,
                stations=stations,
                first_heard=start,
                last_heard=now - 3600 * (index + 1),
                kind_hint=kind,
                representative=best,
                airings=[best],
            )
        )
    return rows


@pytest.mark.parametrize("size", SIZES, ids=["1120x700", "1600x1000"])
def test_discover_with_rows_shows_every_column_and_control(
    qtbot, qapp, qloop, window_with_history, size
):
    window, tab = window_with_history
    # an engine's archive client (made, never asked: the rows are given)
    tab.set_clip_actions(
        ClipActions(lambda: ArchiveClient("http://127.0.0.1:9", "token"), window.dirs.cache, tab)
    )
    tab.tabs.setCurrentWidget(tab.discover)
    view = tab.discover
    view.show_pieces(_pieces(time.time()))
    with app_theme(qapp, "light"):
        show_at(qtbot, window, size)
        save_shot(window, f"history-discover-{size[0]}x{size[1]}")
    assert view.stack.currentWidget() is view.table and view.table.rowCount() == 3
    for widget in (view.find_button, view.listen_button, view.add_button, view.min_count):
        assert fully_inside(widget, window), (
            f"{widget.text() if hasattr(widget, 'text') else widget}"
        )
    header = view.table.horizontalHeader()
    for column in range(view.table.columnCount()):
        widest = max(
            view.table.fontMetrics().horizontalAdvance(view.table.item(row, column).text())
            for row in range(view.table.rowCount())
        )
        assert header.sectionSize(column) >= widest, f"column {column} cut"
    assert rect_in(view.table, window).right() <= window.rect().right()
    assert view.selected_piece() is view._pieces[0] and view.add_button.isEnabled()
