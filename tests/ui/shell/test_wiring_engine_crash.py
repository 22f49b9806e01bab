"""The engine-crash scenario end to end: the real app monitors a loopback station on its own
local engine; the engine is SIGKILLed a second before a song ends; the app notices from the
process exit, shows it (status bar and tray, never "Connected" while the engine is dead),
starts a new engine on the same data within 10 s, moves the monitoring to it, and the song,
which ended while no engine ran, is recorded exactly once.

(The app restart case, plays the engine reported while the app was closed fetched once on
the next start, is proven by tests/monitoring/test_service.py
`test_restart_and_server_replay_lose_nothing_and_double_nothing`, its monitoring-thread and
window twins, and with the real engine by tests/monitoring/test_local_engine.py.)
"""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import pytest
from PySide6.QtCore import Qt

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.history.coverage import CoverageStore
from tests.support.engine_process import open_play_title
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import BackgroundLoop, song_programme, song_wav, songs

SONG_S = 16.0
GAP_S = 8.0
RADIO_ID = 7
# Short windows so that plays are reported seconds after a song ends (tests/engine/streams).
ENGINE_SETTINGS = {"window_s": 4, "hop_s": 2, "reconnect_initial_s": 0.3, "connect_timeout_s": 2}

pytestmark = [
    pytest.mark.qt,
    pytest.mark.slow,
    pytest.mark.timeout(240),
    AUDIO_BACKEND_NOISE,
]


def plays(app) -> list[tuple[str, str]]:
    rows = app.services.db.execute("SELECT artist, title FROM plays ORDER BY start_ts")
    return [tuple(row) for row in rows.fetchall()]


def heard(app) -> list:
    """The station's coverage spans (when it was being heard) so far."""
    now = int(time.time() * 1000)
    return CoverageStore(app.services.db).spans(RADIO_ID, now - 3_600_000, now + 60_000)


def test_a_killed_engine_is_replaced_and_the_song_on_air_is_recorded_once(
    qtbot, qapp, qloop, tmp_path
):
    first, second = songs(2)
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(backend="local", engine_demo=False, first_run_done=True)
    services.dirs.engine_data.mkdir(parents=True, exist_ok=True)
    (services.dirs.engine_data / "engine-settings.json").write_text(json.dumps(ENGINE_SETTINGS))
    app = RadiowatchApp(qapp, services)
    outages = []
    run = qloop.create_task(app.run(handle_signals=False))
    with BackgroundLoop() as bg:
        try:
            qtbot.waitUntil(lambda: app.client_provider() is not None, timeout=90000)
            app.session.engine_up.connect(outages.append)
            engine = app.session.engine
            token = app.session.engine_token()
            for audio_id, recipe in enumerate((first, second), start=1):
                reply = httpx.post(
                    engine.base_url + "/upload/",
                    data={
                        "api_token": token,
                        "audio_id": str(audio_id),
                        "title": recipe.title,
                        "artist": recipe.artist,
                    },
                    files={"file": ("song.wav", song_wav(recipe, SONG_S), "audio/wav")},
                    timeout=120,
                ).json()
                assert reply["status"] == "success", reply
            radio = bg.start_station(
                song_programme((first, second), SONG_S, GAP_S, lead_in_s=2, tail_s=30),
                loop_programme=False,
            )
            services.stations.add(name="Loopback FM", source=radio.url, radio_id=RADIO_ID)
            qtbot.waitUntil(lambda: len(plays(app)) == 1, timeout=60000)
            assert plays(app) == [(first.artist, first.title)]
            assert app.window.status.backend.text() == "Local engine  —  Connected"

            # Kill the engine 1.5 s before the second song ends, once it has the song's play in
            # progress on disk (on a busy machine that can take longer than usual): the song
            # ends while no engine runs (a restart takes more than the policy's first delay of
            # 1 s).
            second_title = f"{second.artist} - {second.title}"
            qtbot.waitUntil(
                lambda: (
                    radio.schedule[-1].title == second_title
                    and time.time() > radio.schedule[-1].start + SONG_S - 1.5
                    and open_play_title(services.dirs.engine_data, RADIO_ID) == second.title
                ),
                timeout=60000,
            )
            old_pid, old_url = engine.pid, engine.base_url
            old_monitoring = app.monitoring.service
            killed_at = time.monotonic()
            os.kill(old_pid, signal.SIGKILL)

            # Seen from the process exit within 2 s; shown in the status bar and the tray.
            qtbot.waitUntil(lambda: app.window.status.backend.state == "restarting", timeout=2000)
            assert app.window.status.backend.text() == "Local engine  —  Restarting…"
            assert "Restarting" in app.tray_controller.icon.toolTip()
            assert app.tray_controller.backend_state == "restarting"
            assert app.client_provider() is None, "the tabs are told, not handed a dead port"

            # A new engine on the same data, and the monitoring on it, within 10 s of the kill.
            def back_and_monitored() -> bool:
                new = app.session.engine
                service = app.monitoring.service
                return (
                    new is not None
                    and new.pid != old_pid
                    and new.running
                    and app.session.state == "connected"
                    and service is not None
                    and service is not old_monitoring
                    and service.running
                    and service.client_base_url == new.base_url
                )

            qtbot.waitUntil(back_and_monitored, timeout=10000)
            resumed_after = time.monotonic() - killed_at
            assert resumed_after < 10.0
            new_url = app.session.engine.base_url
            assert new_url != old_url
            assert app.window.status.backend.text() == "Local engine  —  Connected"
            assert app.tray_controller.backend_state == "connected"
            assert len(outages) == 1
            outage = outages[0]
            assert outage.base_url == new_url and outage.exit_code == -signal.SIGKILL
            assert 0 < outage.seconds < 10.0

            # The song that ended while the engine was down is recorded, once.
            qtbot.waitUntil(lambda: len(plays(app)) == 2, timeout=60000)
            aired = next(a for a in radio.schedule if a.title == second_title)
            assert aired.end is not None and outage.up_at is not None
            assert outage.down_at.timestamp() < aired.end < outage.up_at.timestamp()
            qtbot.wait(4000)  # room for a duplicate, if one were coming
            assert plays(app) == [(first.artist, first.title), (second.artist, second.title)]
            stations = httpx.post(
                new_url + "/getStreams/", data={"api_token": token}, timeout=10
            ).json()["result"]
            assert [s["radio_id"] for s in stations] == [RADIO_ID], "registered once"
            # Where nobody listened, the history says so: the outage is a coverage gap.
            mid = outage.down_at + (outage.up_at - outage.down_at) / 2
            qtbot.waitUntil(lambda: len(heard(app)) >= 2, timeout=20000)
            spans = heard(app)
            assert not any(s.start <= mid <= s.end for s in spans), spans
            assert any(s.end <= mid for s in spans) and any(s.start >= mid for s in spans)
        finally:
            app.request_shutdown("test")
            qtbot.waitUntil(run.done, timeout=30000)
    assert run.result() == 0
    assert not app.session.engine.running


def test_an_engine_that_keeps_crashing_is_explained_and_can_be_restarted(qtbot, qapp, qloop):
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(backend="local", engine_demo=False, first_run_done=True)
    app = RadiowatchApp(qapp, services)
    run = qloop.create_task(app.run(handle_signals=False))
    try:
        qtbot.waitUntil(lambda: app.session.state == "connected", timeout=90000)
        token = app.session.engine_token()
        settings_file = services.dirs.engine_data / "engine-settings.json"
        settings_file.write_text("{not json")  # every new engine dies at start
        os.kill(app.session.engine.pid, signal.SIGKILL)

        qtbot.waitUntil(
            lambda: app.engine_failure_box is not None and app.engine_failure_box.isVisible(),
            timeout=60000,
        )
        indicator = app.window.status.backend
        assert indicator.text() == "Local engine  —  Stopped after repeated crashes"
        assert app.tray_controller.backend_state == "failed"
        text = app.engine_failure_box.text()
        assert "engine-settings.json" in text, "the engine's last log lines"
        assert str(services.dirs.logs / "engine.log") in text
        assert "What to do" in text and token not in text
        assert app.client_provider() is None and "kept crashing" in app.backend_reason()
        # Closed, it comes back from the status bar.
        app.engine_failure_box.done(0)
        qtbot.mouseClick(indicator, Qt.MouseButton.LeftButton)
        assert app.engine_failure_box.isVisible()

        # The user fixes the cause and restarts the engine from the message.
        settings_file.unlink()
        restart = next(b for b in app.engine_failure_box.buttons() if b.text() == "Restart engine")
        restart.click()
        qtbot.waitUntil(
            lambda: app.session.state == "connected" and app.monitoring.service is not None,
            timeout=90000,
        )
        assert indicator.text() == "Local engine  —  Connected"
        assert app.session.engine.running
    finally:
        app.request_shutdown("test")
        qtbot.waitUntil(run.done, timeout=30000)
    assert run.result() == 0
