"""The first-run assistant: pick a backend, add a first station, land on live now-playing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import AUDD_API_TOKEN, MemoryTokenStore
from radiowatch.ui.shell.first_run import (
    CHOICE_AUDD,
    CHOICE_FOLDER,
    EXAMPLE_STATIONS,
    FirstRunAssistant,
)
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.ui.window_sizes import SIZES, app_theme, rect_in, save_shot, show_at

pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]


@pytest.fixture
def services():
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    yield services
    services.db.conn.close()


def assistant(qtbot, services):
    dialog = FirstRunAssistant(services.settings, services.tokens, services.stations)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_audd_choice_stores_the_token_and_adds_an_example_station(qtbot, services):
    dialog = assistant(qtbot, services)
    dialog.choose(CHOICE_AUDD)
    assert dialog.token_row.isVisible() and not dialog.folder_row.isVisible()
    assert not dialog.next()  # no token yet
    assert "token" in dialog.error_label.text()
    dialog.token_edit.setText("my-audd-token-123456")
    assert dialog.next()
    assert dialog.pages.currentIndex() == 1
    dialog.example_combo.setCurrentIndex(2)
    assert dialog.url_edit.text() == EXAMPLE_STATIONS[1][1]
    with qtbot.waitSignal(dialog.accepted):
        dialog.next_button.click()
    assert services.settings.current.backend == "audd"
    assert services.settings.current.first_run_done
    assert services.tokens.get(AUDD_API_TOKEN) == "my-audd-token-123456"
    assert [s.name for s in services.stations.list()] == [EXAMPLE_STATIONS[1][0]]


def test_own_folder_needs_a_real_folder_and_turns_the_demo_off(qtbot, services, tmp_path):
    dialog = assistant(qtbot, services)
    dialog.choose(CHOICE_FOLDER)
    dialog.folder_edit.setText(str(tmp_path / "nope"))
    assert not dialog.next()
    assert "folder" in dialog.error_label.text()
    dialog.folder_edit.setText(str(tmp_path))
    assert dialog.next()
    assert not dialog.finish(), "a station is needed besides the demo"
    dialog.url_edit.setText("ftp://nope")
    dialog.name_edit.setText("Mine")
    assert not dialog.finish()
    assert "not supported" in dialog.error_label.text()
    dialog.url_edit.setText("https://streams.example/mine.mp3")
    assert dialog.finish()
    current = services.settings.current
    assert (current.backend, current.engine_demo, current.catalog_folder) == (
        "local",
        False,
        str(tmp_path.resolve()),
    )


def test_demo_choice_needs_no_station(qtbot, services):
    dialog = assistant(qtbot, services)
    assert dialog.next()
    assert dialog.finish()
    assert services.settings.current.engine_demo and services.settings.current.first_run_done
    assert services.stations.list() == []


def test_the_app_shows_the_assistant_once_then_lands_on_now_playing(qtbot, qapp, qloop, services):
    services.settings.update(current_tab="udio")
    app = RadiowatchApp(qapp, services, first_run=True, start_backend=False)
    run = qloop.create_task(app.run(handle_signals=False))
    qtbot.waitUntil(lambda: app.assistant is not None and app.assistant.isVisible())
    assert not app.window.tabs.isVisible(), "the assistant is a page of its own"
    app.assistant.skip()
    qtbot.waitUntil(lambda: services.settings.current.first_run_done)
    assert app.window.tabs.currentWidget() is app.window.tab("monitor")
    app.request_shutdown("test")
    qtbot.waitUntil(run.done, timeout=15000)
    again = RadiowatchApp(
        qapp,
        build_services(profile_dirs(), tokens=MemoryTokenStore()),
        first_run=True,
        start_backend=False,
    )
    run = qloop.create_task(again.run(handle_signals=False))
    qtbot.waitUntil(again.window.isVisible)
    assert again.assistant is None
    again.request_shutdown("test")
    qtbot.waitUntil(run.done, timeout=15000)


@pytest.mark.parametrize("size", SIZES, ids=["1120x700", "1600x1000"])
def test_the_assistant_is_an_opaque_page_over_the_whole_window(qtbot, qapp, services, size):
    """Nothing of the Monitor tab (its "no stations yet" text) shows beside the assistant."""
    from radiowatch.ui.shell.main_window import MainWindow

    with app_theme(qapp, "light"):
        window = MainWindow(
            dirs=services.dirs,
            settings=services.settings,
            stations=services.stations,
            tokens=services.tokens,
        )
        qtbot.addWidget(window)
        window.allow_close()
        dialog = FirstRunAssistant(services.settings, services.tokens, services.stations, window)
        window.show_first_run(dialog)
        show_at(qtbot, window, size)
        save_shot(window, f"first-run-{size[0]}x{size[1]}")
        assert dialog.isVisible() and dialog.isWindow() is False
        assert not window.tabs.isVisible() and not window.sidebar.isVisible()
        central = window.centralWidget()
        assert rect_in(dialog, window) == rect_in(central, window), "covers the whole window"
        for button in (dialog.skip_button, dialog.next_button):
            assert dialog.rect().contains(rect_in(button, dialog)), button.text()
        # Opaque: the page's own colour all around the assistant's column.
        image = window.grab().toImage()
        corner = dialog.mapTo(window, dialog.rect().topLeft()) + QPoint(4, 4)
        card = rect_in(dialog.card, window)
        button_y = rect_in(dialog.next_button, window).center().y()
        beside = QPoint((card.right() + window.width()) // 2, button_y)  # right of the buttons
        assert image.pixelColor(corner) == image.pixelColor(beside)
        assert image.pixelColor(corner).name() == "#f4f6f9"
        with qtbot.waitSignal(dialog.finished):
            dialog.skip()
        assert window.tabs.isVisible() and window.sidebar.isVisible()


def test_a_playlist_link_is_resolved_to_its_stream_as_in_the_station_dialog(qtbot, qloop, services):
    from tests.stations.playlist_server import running_playlist_server

    with running_playlist_server() as server:
        stream = server.url("/stream.mp3")
        url = server.route("/listen.pls", f"[playlist]\nFile1={stream}\n")
        dialog = assistant(qtbot, services)
        assert dialog.next()
        dialog.url_edit.setText(url)
        dialog.name_edit.setText("Harbour City")
        with qtbot.waitSignal(dialog.accepted, timeout=10000):
            assert dialog.finish()
            assert dialog.busy and not dialog.next_button.isEnabled()
        [station] = services.stations.list()
        assert (station.name, station.source, station.entered) == ("Harbour City", stream, url)

        dialog = assistant(qtbot, services)
        dialog.next()
        dialog.url_edit.setText(server.url("/gone.pls"))
        dialog.name_edit.setText("Gone")
        assert dialog.finish()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)
        assert "HTTP 404" in dialog.error_label.text() and dialog.result is None
        assert [s.name for s in services.stations.list()] == ["Harbour City"]


def test_enter_in_a_field_moves_on_as_next_does(qtbot, services):
    from PySide6.QtCore import Qt

    dialog = assistant(qtbot, services)
    dialog.choose(CHOICE_AUDD)
    dialog.token_edit.setText("my-audd-token-123456")
    qtbot.keyClick(dialog.token_edit, Qt.Key.Key_Return)
    assert dialog.pages.currentIndex() == 1
    dialog.url_edit.setText("https://streams.example/mine.mp3")
    dialog.name_edit.setText("Mine")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert [s.name for s in services.stations.list()] == ["Mine"]
