"""Desktop conventions of the running app: tray, autostart, palette, About box."""

from __future__ import annotations

import pytest
from PySide6.QtCore import qVersion

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.autostart import autostart_file
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.ui.common.palette import apply_scheme, follow_system_palette, stylesheet_for
from tests.support.qt_noise import AUDIO_BACKEND_NOISE

pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]


@pytest.fixture
def app(qtbot, qapp, qloop, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    app = RadiowatchApp(qapp, services, start_backend=False)
    run = qloop.create_task(app.run(handle_signals=False))
    qtbot.waitUntil(app.window.isVisible)
    yield app
    app.request_shutdown("test")
    qtbot.waitUntil(run.done, timeout=15000)
    assert run.result() == 0


def test_closing_to_the_tray_keeps_running_and_the_tray_quits(qtbot, app):
    # Offscreen has no tray host; give the app the controller as if the desktop had one.
    app.tray = app.tray_controller
    app._sync_close_behaviour()
    assert app.window.hides_on_close
    app.window.close()
    assert not app.window.isVisible()
    assert app.shutdown_reason is None and not app.closed, "still monitoring"
    app.tray_controller.show_window()
    assert app.window.isVisible()
    app.tray_controller.quit_action.trigger()
    qtbot.waitUntil(lambda: app.closed, timeout=15000)
    assert app.shutdown_reason == "tray"


def test_close_to_tray_off_in_settings_quits_on_close(qtbot, app):
    app.tray = app.tray_controller
    app.services.settings.update(close_to_tray=False)
    assert not app.window.hides_on_close
    app.window.close()
    qtbot.waitUntil(lambda: app.closed, timeout=15000)


def test_the_autostart_setting_writes_and_removes_the_entry(app):
    app.services.settings.update(autostart=True)
    text = autostart_file().read_text()
    assert "--minimised" in text and "X-GNOME-Autostart-enabled=true" in text
    app.services.settings.update(autostart=False)
    assert not autostart_file().exists()


def test_settings_dialog_saves_autostart_and_demo(qtbot, app):
    dialog = app.window.open_settings_dialog()
    dialog.autostart.setChecked(True)
    dialog.engine_demo.setChecked(False)
    assert dialog.save()
    assert app.services.settings.current.autostart
    assert not app.services.settings.current.engine_demo
    assert autostart_file().exists()


def test_about_lists_versions_locations_token_store_and_notifier(app):
    text = app.window.about_text()
    assert f"Qt {qVersion()}" in text and "PySide6" in text and "Python 3." in text
    assert str(app.services.dirs.data) in text
    assert "memory only" in text  # the token store in use
    assert "in-window banner" in text  # offscreen: no system tray


def test_dark_desktop_gets_the_dark_palette_and_stylesheet(qapp, monkeypatch):
    before = (qapp.palette(), qapp.styleSheet())
    try:
        monkeypatch.setenv("RADIOWATCH_THEME", "dark")
        assert follow_system_palette(qapp) == "dark"
        assert qapp.palette().window().color().lightness() < 80
        assert qapp.styleSheet() == stylesheet_for("dark")
        assert "#ffffff" not in stylesheet_for("dark").split("QPushButton#PrimaryButton")[0]
        apply_scheme(qapp, "light")
        assert qapp.palette().window().color().lightness() > 180
    finally:
        qapp.setPalette(before[0])
        qapp.setStyleSheet(before[1])
