"""The composition root wires the real tabs to the monitoring, the tray notifier and each other.

The AudD cloud is the protocol-faithful fake on loopback; everything else is the real app.
"""

from __future__ import annotations

import pytest

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.backend.archive_client import NEEDS_ENGINE
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import AUDD_API_TOKEN, MemoryTokenStore
from radiowatch.monitoring.watchlist import WatchRule
from radiowatch.stations.status import StationStatus
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD
from tests.support.qt_noise import AUDIO_BACKEND_NOISE

TOKEN = "wiring-test-token-1234"
# The Resize/Udio tabs load QtMultimedia: no PipeWire, PulseAudio or audio device here.
pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]


@pytest.fixture
def fake_audd():
    with FakeAudD(tokens={TOKEN}) as fake:
        yield fake


@pytest.fixture
def cloud_app(qtbot, qapp, qloop, fake_audd):
    services = build_services(profile_dirs(), tokens=MemoryTokenStore({AUDD_API_TOKEN: TOKEN}))
    services.settings.update(backend="audd")
    station = services.stations.add(
        name="Wiring FM", source="https://streams.example/w.mp3", radio_id=7
    )
    app = RadiowatchApp(qapp, services, audd_url=fake_audd.base_url)
    run = qloop.create_task(app.run(handle_signals=False))
    qtbot.waitUntil(app.window.isVisible)
    app.station = station
    yield app
    app.request_shutdown("test")
    qtbot.waitUntil(run.done, timeout=15000)
    assert run.result() == 0


def registered(qtbot, fake_audd):
    """Events reach long polls only once the stream (and callback URL) are on the account."""
    qtbot.waitUntil(lambda: 7 in fake_audd.account(TOKEN).streams, timeout=10000)
    qtbot.wait(300)


def test_real_tabs_replace_the_placeholders(cloud_app):
    names = {
        key: type(cloud_app.window.tab(key)).__name__
        for key in ("monitor", "history", "resize", "udio")
    }
    assert names == {
        "monitor": "MonitorTab",
        "history": "HistoryTab",
        "resize": "ResizeTab",
        "udio": "UdioTab",
    }


def test_a_play_reaches_the_card_the_sidebar_and_the_history(qtbot, cloud_app, fake_audd):
    app = cloud_app
    registered(qtbot, fake_audd)
    assert app.client_provider() is not None
    # Shown once checked: the cloud answered HTTP (backend/health.py).
    qtbot.waitUntil(
        lambda: app.window.status.backend.text() == "AudD cloud  —  Connected", timeout=10000
    )
    qtbot.waitUntil(
        lambda: (
            app.window.sidebar.station_status(app.station.id)[0] is StationStatus.CONNECTING
            or app.window.sidebar.station_status(app.station.id)[0] is StationStatus.LIVE
        ),
        timeout=10000,
    )

    fake_audd.push_match(7, artist="Tears For Fears", title="Mad World", score=97)
    monitor = app.window.tab("monitor")
    qtbot.waitUntil(
        lambda: 7 in monitor.cards and monitor.cards[7].title_label.text() == "Mad World",
        timeout=10000,
    )
    play_id = app.services.db.execute("SELECT id FROM plays WHERE title = 'Mad World'").fetchone()[
        0
    ]
    assert app.open_play(play_id)
    assert app.window.tabs.currentWidget() is app.window.tab("history")
    assert app.window.tab("history").selected_play_id() == play_id


def test_a_watchlist_alert_shows_in_the_banner_and_opens_the_play(qtbot, cloud_app, fake_audd):
    app = cloud_app
    app.monitoring.watchlist.save(WatchRule(field="artist", pattern="Tears For Fears"))
    registered(qtbot, fake_audd)
    monitor = app.window.tab("monitor")
    assert app.notifier.mode == "banner"  # offscreen: no system tray
    fake_audd.push_match(7, artist="Tears For Fears", title="Shout")
    qtbot.waitUntil(lambda: monitor.banner.isVisible(), timeout=10000)
    assert "Shout" in monitor.banner.body_label.text() + monitor.banner.title_label.text()
    app.window.show_tab("udio")
    monitor.banner.open_button.click()
    history = app.window.tab("history")
    assert app.window.tabs.currentWidget() is history
    assert history.selected_play_id() == monitor.banner.play_id or history.selected_play_id()


def test_notifications_off_in_settings_silences_alerts(qtbot, cloud_app, fake_audd):
    app = cloud_app
    app.services.settings.update(notifications=False)
    app.monitoring.watchlist.save(WatchRule(field="artist", pattern="Tears For Fears"))
    registered(qtbot, fake_audd)
    fake_audd.push_match(7, artist="Tears For Fears", title="Shout")
    qtbot.waitUntil(
        lambda: app.services.db.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 1,
        timeout=10000,
    )
    qtbot.wait(200)
    assert not app.window.tab("monitor").banner.isVisible()


def test_switching_the_backend_restarts_monitoring_on_the_new_client(qtbot, cloud_app):
    app = cloud_app
    qtbot.waitUntil(lambda: app.monitoring.service is not None, timeout=10000)
    first = app.client_provider()
    app.services.tokens.delete(AUDD_API_TOKEN)
    app.window.tokens_changed.emit([AUDD_API_TOKEN])
    # the backend is stopped and then looked at again: wait for what it ends up saying
    qtbot.waitUntil(
        lambda: (
            app.client_provider() is None
            and app.monitoring.service is None
            and "token" in app.backend_reason().lower()
        ),
        timeout=10000,
    )
    assert app.window.status.backend.text() == "AudD cloud  —  API token needed"
    app.services.tokens.set(AUDD_API_TOKEN, TOKEN)
    app.window.tokens_changed.emit([AUDD_API_TOKEN])
    qtbot.waitUntil(
        lambda: app.client_provider() is not None and app.monitoring.service is not None,
        timeout=10000,
    )
    assert app.client_provider() is not first


def test_pausing_from_the_tray_menu_pauses_the_monitor_tab_too(qtbot, cloud_app, qloop):
    app = cloud_app
    qtbot.waitUntil(lambda: app.monitoring.service is not None, timeout=10000)
    app.tray_controller.pause_action.trigger()
    monitor = app.window.tab("monitor")
    qtbot.waitUntil(
        lambda: app.monitoring.service.paused and monitor.pause_button.isChecked(), timeout=15000
    )
    monitor.pause_button.click()
    qtbot.waitUntil(lambda: not app.monitoring.service.paused, timeout=15000)
    # The service resumes on its thread first; the tray hears of it when set_paused returns.
    qtbot.waitUntil(lambda: not app.tray_controller.pause_action.isChecked(), timeout=5000)
    drive(qtbot, qloop, app.monitoring.set_paused(False))


def test_recognize_save_to_history_records_a_manual_play(qtbot, cloud_app):
    from radiowatch.audd.models import RecognitionResult

    app = cloud_app
    result = RecognitionResult(artist="Kate Bush", title="Running Up That Hill", score=100)
    app.window.tab("recognize").save_to_history_requested.emit(result)
    row = app.services.db.execute("SELECT artist, title, origin, backend FROM plays").fetchone()
    assert row == ("Kate Bush", "Running Up That Hill", "manual", "audd")


def test_catalog_tab_gets_no_engine_catalog_on_the_cloud_backend(qtbot, cloud_app):
    app = cloud_app
    qtbot.waitUntil(lambda: app.client_provider() is not None, timeout=10000)
    assert type(app.window.tab("catalog")).__name__ == "CatalogTab"
    assert app.catalog_provider() is None
    assert app.cloud_client_provider() is app.client_provider()


def test_make_a_cut_down_opens_the_file_in_the_resize_tab(qtbot, cloud_app, tmp_path):
    app = cloud_app
    missing = tmp_path / "song.wav"
    task = app.make_cut_down(str(missing))
    assert app.window.tabs.currentWidget() is app.window.tab("resize")
    qtbot.waitUntil(task.done, timeout=10000)
    assert app.window.tab("resize").path is None or app.window.tab("resize").path == missing


def test_settings_archive_gets_its_connection_from_the_app(qtbot, cloud_app):
    """Settings → Archive asks the app's backend, not whichever tab happened to be built: on
    the AudD cloud it says the engine is needed (on the engine: test_archive_in_the_app.py)."""
    dialog = cloud_app.window.open_settings_dialog()
    box = dialog.archive_box
    assert box.status.text() == NEEDS_ENGINE
    assert not box.apply_button.isEnabled() and not box.retention.isEnabled()
    dialog.reject()


def test_the_found_later_watch_runs_and_asks_the_cloud_nothing(qtbot, cloud_app, fake_audd):
    from radiowatch.ui.common import tasks
    from radiowatch.ui.common.found_later_strip import FoundLaterBadge

    catalog = cloud_app.window.tab("catalog")
    qtbot.waitUntil(lambda: "found-later watch" in {t.get_name() for t in tasks.running()})
    cloud_app.window.show_tab("monitor")
    qtbot.wait(500)
    badge = cloud_app.window.status.findChild(FoundLaterBadge)
    assert badge is not None and badge.isHidden(), "the AudD cloud keeps no archive to search"
    assert catalog.found_later_strip is not None and catalog.found_later_strip.isHidden()
    assert not [r.path for r in fake_audd.requests if "archive" in r.path]
