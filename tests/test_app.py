"""The composition root: starts, funnels every exit into one shutdown, and exits cleanly."""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.backend.choice import choose_backend
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import AUDD_API_TOKEN, MemoryTokenStore
from radiowatch.config.settings import Settings
from tests.support.qt_noise import AUDIO_BACKEND_NOISE

# The Resize/Udio tabs load QtMultimedia: no PipeWire, PulseAudio or audio device here.
pytestmark = AUDIO_BACKEND_NOISE


def start(qtbot, qapp, qloop):
    services = build_services(profile_dirs())
    app = RadiowatchApp(qapp, services, start_backend=False)
    run = qloop.create_task(app.run(handle_signals=False))
    qtbot.waitUntil(app.window.isVisible)
    return app, run


def assert_shut_down(qtbot, app, run):
    qtbot.waitUntil(run.done, timeout=10000)
    assert run.result() == 0
    assert app.closed and app.services.closed
    assert not app.window.isVisible()
    with pytest.raises(sqlite3.ProgrammingError):
        app.services.db.execute("SELECT 1")


def test_quit_action_cancels_tasks_runs_closers_and_closes_the_database(qtbot, qapp, qloop):
    app, run = start(qtbot, qapp, qloop)
    order = []

    async def forever():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            order.append("task cancelled")
            raise

    async def close_engine():
        order.append("engine closed")

    task = app.spawn(forever(), name="longpoll")
    app.services.add_closer("engine", close_engine)
    app.services.add_closer("http", lambda: order.append("http closed"))
    qtbot.wait(20)
    app.window.quit_action.trigger()
    assert_shut_down(qtbot, app, run)
    assert task.cancelled()
    assert order == ["task cancelled", "http closed", "engine closed"]
    assert app.shutdown_reason == "quit"


def test_closing_the_last_window_without_a_tray_shuts_down(qtbot, qapp, qloop):
    app, run = start(qtbot, qapp, qloop)
    assert app.tray is None  # offscreen has no system tray
    app.window.close()
    assert_shut_down(qtbot, app, run)


def test_a_failing_closer_does_not_stop_the_shutdown(qtbot, qapp, qloop):
    app, run = start(qtbot, qapp, qloop)

    def broken():
        raise RuntimeError("engine would not stop")

    app.services.add_closer("broken", broken)
    app.request_shutdown("test")
    app.request_shutdown("again")  # idempotent
    assert_shut_down(qtbot, app, run)
    assert app.shutdown_reason == "test"


def test_window_layout_survives_a_restart(qtbot, qapp, qloop):
    app, run = start(qtbot, qapp, qloop)
    app.window.resize(780, 530)
    size = (app.window.width(), app.window.height())
    app.window.show_tab("udio")
    app.request_shutdown()
    assert_shut_down(qtbot, app, run)
    app, run = start(qtbot, qapp, qloop)
    assert (app.window.width(), app.window.height()) == size
    assert app.window.tabs.tabText(app.window.tabs.currentIndex()) == "Udio"
    app.request_shutdown()
    assert_shut_down(qtbot, app, run)


def test_status_bar_follows_the_backend_setting(qtbot, qapp, qloop):
    app, run = start(qtbot, qapp, qloop)
    app.services.settings.update(backend="audd")
    assert app.window.status.backend.text() == "AudD cloud  —  API token needed"
    app.services.tokens.set(AUDD_API_TOKEN, "token-for-the-test-123")
    app.window.tokens_changed.emit([AUDD_API_TOKEN])
    assert app.window.status.backend.text() == "AudD cloud  —  Ready"
    app.request_shutdown()
    assert_shut_down(qtbot, app, run)


def test_backend_choice(monkeypatch):
    empty = MemoryTokenStore()
    assert choose_backend(Settings(), empty).state == "offline"
    assert choose_backend(Settings(backend="audd"), empty).state == "needs_token"
    monkeypatch.setenv("AUDD_API_TOKEN", "env-token-0000")
    assert choose_backend(Settings(backend="audd"), empty).state == "idle"
    remote = choose_backend(Settings(backend="remote_engine"), empty)
    assert (remote.state, remote.description) == ("error", "Remote engine")
    remote = choose_backend(
        Settings(backend="remote_engine", remote_engine_url="http://10.0.0.5:8765"), empty
    )
    assert remote.description == "Remote engine at http://10.0.0.5:8765"


# -- the real process -------------------------------------------------------------------------


def app_env(profile, **extra):
    env = dict(os.environ, RADIOWATCH_HOME=str(profile), QT_QPA_PLATFORM="offscreen")
    env.pop("RADIOWATCH_EXIT_AFTER_MS", None)
    env.update(extra)
    return env


def test_version_flag():
    result = subprocess.run(
        [sys.executable, "-m", "radiowatch", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip().startswith("radiowatch 0.")


def test_app_process_quits_itself_cleanly_when_asked_to(isolated_profile):
    result = subprocess.run(
        [sys.executable, "-m", "radiowatch"],
        capture_output=True,
        text=True,
        timeout=90,
        env=app_env(isolated_profile, RADIOWATCH_EXIT_AFTER_MS="500"),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    log = (isolated_profile / "logs" / "radiowatch.log").read_text()
    assert "radiowatch stopped (timer)" in log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_termination_signal_shuts_the_app_down_cleanly(isolated_profile, sig):
    log = isolated_profile / "logs" / "radiowatch.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "radiowatch"],
        env=app_env(isolated_profile),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "started" in log.read_text()):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"radiowatch stopped ({sig.name})" in log.read_text()
