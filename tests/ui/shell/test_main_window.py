"""The main window shell: tabs, sidebar status, status bar, menus, remembered layout."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox

from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import default_token_store
from radiowatch.config.settings import SettingsStore
from radiowatch.history.database import open_database
from radiowatch.stations import StationStatus, StationStore
from radiowatch.ui.shell.main_window import MainWindow
from radiowatch.ui.shell.placeholder_tab import TAB_KEYS, PlaceholderTab


@pytest.fixture
def profile():
    dirs = profile_dirs().ensure()
    db = open_database(dirs.database)
    yield dirs, db
    db.conn.close()


def make_window(qtbot, profile):
    dirs, db = profile
    window = MainWindow(
        dirs=dirs,
        settings=SettingsStore(dirs.settings_file),
        stations=StationStore(db),
        tokens=default_token_store(dirs),
    )
    qtbot.addWidget(window)
    window.allow_close()  # let qtbot close it at teardown
    window.show()
    return window


def test_every_tab_starts_with_a_finished_empty_state(qtbot, profile):
    window = make_window(qtbot, profile)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Monitor", "History", "Recognize", "Catalog", "Resize", "Udio"]
    for key in TAB_KEYS:
        tab = window.tab(key)
        assert isinstance(tab, PlaceholderTab)
        text = " ".join(label.text() for label in tab.findChildren(QLabel))
        assert "TODO" not in text and len(text) > 80


def test_set_tab_replaces_the_placeholder_in_place(qtbot, profile):
    window = make_window(qtbot, profile)
    window.show_tab("history")
    panel = QLabel("the real history panel")
    window.set_tab("history", panel)
    assert window.tab("history") is panel
    assert window.tabs.tabText(1) == "History"
    assert window.tabs.currentWidget() is panel
    with pytest.raises(KeyError):
        window.set_tab("weather", QLabel())


def test_empty_sidebar_invites_adding_a_station(qtbot, profile):
    window = make_window(qtbot, profile)
    assert window.sidebar.stack.currentIndex() == 0
    assert window.status.stations_label.text() == "No stations"
    qtbot.mouseClick(window.sidebar.empty_add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window._dialogs.get("station") is not None and window._dialogs["station"].isVisible()
        )
    )
    window._dialogs["station"].reject()


def test_station_status_shows_in_the_sidebar_and_the_summary(qtbot, profile):
    window = make_window(qtbot, profile)
    a = window.stations.add(name="Radio A", source="https://example.org/a")
    b = window.stations.add(name="Radio B", source="twitch:radio_b")
    assert window.sidebar.list.count() == 2
    window.set_station_status(a.id, StationStatus.LIVE, "Artist — Song")
    window.set_station_status(b.id, "down", "HTTP 503")
    assert window.sidebar.status_line(a.id) == "Live · Artist — Song"
    assert window.sidebar.status_line(b.id) == "Down · HTTP 503"
    assert window.status.stations_label.text() == "2 stations · 1 live · 1 down"
    window.stations.update(b.id, enabled=False)
    assert window.sidebar.station_status(b.id)[0] is StationStatus.DISABLED
    assert window.sidebar.station_status(a.id) == (StationStatus.LIVE, "Artist — Song")


def test_backend_and_its_state_show_in_the_status_bar(qtbot, profile):
    window = make_window(qtbot, profile)
    assert window.status.backend.text() == "Local engine  —  Not running"
    window.settings.update(backend="remote_engine", remote_engine_url="http://box:8765")
    window.set_backend_state("connected", "engine 0.1.0")
    assert window.status.backend.text() == "Remote engine at http://box:8765  —  Connected"
    assert "engine 0.1.0" in window.status.backend.toolTip()
    window.set_backend_state("restarting", "The local engine ended (killed by SIGKILL).")
    assert window.status.backend.text().endswith("—  Restarting…")
    window.set_backend_state("failed", "The local engine stopped 3 times within 5 minutes")
    assert window.status.backend.text().endswith("—  Stopped after repeated crashes")
    assert "stopped 3 times" in window.status.backend.toolTip()
    with qtbot.waitSignal(window.status.backend.details_requested):
        qtbot.mouseClick(window.status.backend, Qt.MouseButton.LeftButton)
    with pytest.raises(ValueError):
        window.set_backend_state("sleepy")


def test_menu_shortcuts(qtbot, profile):
    window = make_window(qtbot, profile)
    assert window.add_station_action.shortcut() == QKeySequence("Ctrl+N")
    assert window.settings_action.shortcut() == QKeySequence("Ctrl+,")
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Stations", "Help"]
    file_items = [a.text() for a in menus["File"].actions() if not a.isSeparator()]
    assert file_items == ["&Add station…", "&Settings…", "Accounts && &tokens…", "&Quit"]
    with qtbot.waitSignal(window.quit_requested, timeout=2000):
        window.quit_action.trigger()


def test_closing_the_window_without_a_tray_asks_the_app_to_quit(qtbot, profile):
    window = make_window(qtbot, profile)
    window._closing = False
    with qtbot.waitSignal(window.quit_requested, timeout=2000):
        window.close()
    assert window.isVisible()  # the shutdown closes it, not the close event
    window.hides_on_close = True
    with qtbot.waitSignal(window.hidden_to_tray, timeout=2000):
        window.close()
    assert not window.isVisible()
    window.allow_close()


def test_geometry_and_tab_are_remembered_in_the_profile(qtbot, profile, isolated_profile):
    window = make_window(qtbot, profile)
    window.resize(760, 520)
    size = (window.width(), window.height())
    window.show_tab("catalog")
    window.save_layout()
    assert profile[0].settings_file.is_relative_to(isolated_profile)
    again = make_window(qtbot, profile)
    assert (again.width(), again.height()) == size
    assert size != (1100, 700)  # not just the default size
    assert again.tabs.currentIndex() == TAB_KEYS.index("catalog")


def test_remove_asks_first_and_removes_only_on_confirmation(qtbot, profile):
    window = make_window(qtbot, profile)
    station = window.stations.add(name="Doomed FM", source="https://example.org/d")
    box = window.confirm_remove_station(station.id)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.stations.get(station.id) is not None
    box = window.confirm_remove_station(station.id)
    assert "Doomed FM" in box.text()
    with qtbot.waitSignal(window.station_removed, timeout=2000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert window.stations.list() == []
    assert window.sidebar.stack.currentIndex() == 0


def test_about_names_version_data_locations_and_token_store(qtbot, profile):
    from radiowatch import __version__

    window = make_window(qtbot, profile)
    box = window.show_about()
    text = box.text()
    assert f"radiowatch {__version__}" in text
    assert str(profile[0].data) in text
    assert "file readable only by you" in text
    box.close()


def test_ctrl_n_opens_the_add_station_dialog(qtbot, profile):
    window = make_window(qtbot, profile)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (
            window._dialogs.get("station") is not None and window._dialogs["station"].isVisible()
        )
    )
    dialog = window._dialogs["station"]
    assert dialog.windowTitle() == "Add station"
    dialog.reject()


def test_stations_menu_edits_the_selected_station(qtbot, profile):
    window = make_window(qtbot, profile)
    assert not window.edit_station_action.isEnabled()
    station = window.stations.add(name="Pick me", source="https://example.org/p")
    window.sidebar.select_station(station.id)
    assert window.edit_station_action.isEnabled()
    window.edit_station_action.trigger()
    dialog = window._dialogs["station"]
    assert dialog.windowTitle() == "Edit station"
    assert dialog.name_edit.text() == "Pick me"
    dialog.reject()


def test_dropping_a_playlist_file_on_the_sidebar_starts_adding_it(qtbot, profile, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window(qtbot, profile)
    playlist = tmp_path / "station.pls"
    playlist.write_text("File1=http://ice.example.net/live\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(playlist))])
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt delivers drop events only during a real drag session, so hand the event over directly.
    window.sidebar.dropEvent(drop)
    assert drop.isAccepted()
    dialog = window._dialogs["station"]
    assert dialog.windowTitle() == "Add station"
    assert dialog.source_edit.text() == str(playlist)
    dialog.reject()


def test_a_station_added_from_the_command_line_appears_while_the_window_is_open(qtbot, profile):
    from radiowatch import cli

    window = make_window(qtbot, profile)
    window.station_watch.setInterval(50)
    heard = []
    window.stations.subscribe(lambda: heard.append(True))  # what the monitoring listens to
    assert cli.main(["stations", "add", "Scripted FM", "https://s.example/scripted.mp3"]) == 0
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 1, timeout=5000)
    assert "Scripted FM" in window.sidebar.list.item(0).text() and heard
    assert cli.main(["stations", "remove", "Scripted FM"]) == 0
    qtbot.waitUntil(lambda: window.sidebar.list.count() == 0, timeout=5000)


@pytest.mark.parametrize(("scheme", "background"), [("light", "#f4f6f9"), ("dark", "#191c21")])
def test_station_names_stand_out_from_the_sidebar_in_both_schemes(
    qtbot, qapp, profile, scheme, background
):
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QStyleOptionViewItem

    from tests.ui.window_sizes import app_theme

    with app_theme(qapp, scheme):
        window = make_window(qtbot, profile)
        window.stations.add(name="Harbour City Radio", source="https://s.example/h.mp3")
        view = window.sidebar.list
        qtbot.waitUntil(lambda: view.count() == 1)
        index = view.model().index(0, 0)
        option = QStyleOptionViewItem()
        option.initFrom(view)
        option.rect = view.visualRect(index)
        image = QImage(option.rect.size(), QImage.Format.Format_RGB32)
        image.fill(QColor(background))
        painter = QPainter(image)
        painter.translate(-option.rect.topLeft())
        view.itemDelegate().paint(painter, option, index)
        painter.end()
        name_row = range(6, option.rect.height() // 2)
        lightness = [
            image.pixelColor(x, y).lightness() for x in range(30, image.width()) for y in name_row
        ]
        page = QColor(background).lightness()
        contrast = max(abs(value - page) for value in lightness)
        assert contrast > 120, f"the name barely shows on the {scheme} sidebar ({contrast})"
