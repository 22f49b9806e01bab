"""History → Plays in the real main window: the search field stays usable at every size."""

from __future__ import annotations

import pytest

from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.ui.history.tab import HistoryTab
from tests.ui.history.test_history_tab import write_history
from tests.ui.window_sizes import (
    DEFAULT_SIZE,
    LARGE_SIZE,
    SIZES,
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
