"""One instance per profile: a second launch asks the first to show itself and gets out."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from radiowatch.ui.shell.single_instance import SingleInstance, notify_running_instance, server_name

pytestmark = pytest.mark.qt


def test_a_second_claim_on_the_same_profile_raises_the_first(qtbot, tmp_path):
    first = SingleInstance(tmp_path / "profile-a")
    assert first.claim()
    try:
        second = SingleInstance(tmp_path / "profile-a")
        with qtbot.waitSignal(first.activation_requested, timeout=5000):
            assert not second.claim()
    finally:
        first.release()


def test_another_profile_runs_side_by_side(tmp_path):
    a, b = SingleInstance(tmp_path / "a"), SingleInstance(tmp_path / "b")
    assert a.name != b.name
    try:
        assert a.claim() and b.claim()
    finally:
        a.release()
        b.release()


def test_a_stale_socket_from_a_crashed_instance_is_reclaimed(tmp_path):
    crashed = SingleInstance(tmp_path / "p")
    assert crashed.claim()
    # A crash leaves the socket file but nobody listening: close without cleaning up.
    socket_path = crashed.server.fullServerName()
    crashed.server.close()
    if not os.path.exists(socket_path):
        open(socket_path, "w").close()
    assert not notify_running_instance(crashed.name)
    again = SingleInstance(tmp_path / "p")
    try:
        assert again.claim()
    finally:
        again.release()


def test_second_app_process_exits_zero_and_the_first_shows_its_window(isolated_profile):
    env = dict(
        os.environ,
        RADIOWATCH_HOME=str(isolated_profile),
        QT_QPA_PLATFORM="offscreen",
        RADIOWATCH_EXIT_AFTER_MS="60000",
    )
    log = isolated_profile / "logs" / "radiowatch.log"
    first = subprocess.Popen(
        [sys.executable, "-m", "radiowatch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "started" in log.read_text()):
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first instance did not start"
            time.sleep(0.1)
        second = subprocess.run(
            [sys.executable, "-m", "radiowatch"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr
        assert "already runs" in log.read_text()
    finally:
        first.terminate()
        first.communicate(timeout=30)
    assert first.returncode == 0
    assert server_name(isolated_profile / "data")
