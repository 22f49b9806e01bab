"""Accounts & tokens: stored outside settings, masked, revealed on request, never leaked."""

import logging
import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.logging_setup import configure_logging, shutdown_logging
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import (
    AUDD_API_TOKEN,
    AUDJUST_API_KEY,
    UDIO_API_KEY,
    FileTokenStore,
    default_token_store,
)
from radiowatch.config.settings import SettingsStore
from radiowatch.ui.shell.accounts_dialog import AccountsDialog
from tests.support.qt_noise import AUDIO_BACKEND_NOISE

# The app-level test loads the real tabs, hence QtMultimedia: no PipeWire/PulseAudio here.
pytestmark = AUDIO_BACKEND_NOISE


AUDD = "audd-0123456789abcdefXY"
AUDD_2 = "audd-second-token-QRSTUVwz"
AUDJUST = "ajk_live_5f3e2d1c0b9a8776"
UDIO = "sk-udio-00112233445566778899"


@pytest.fixture
def dirs():
    return profile_dirs().ensure()


def open_dialog(qtbot, dirs):
    dialog = AccountsDialog(default_token_store(dirs), SettingsStore(dirs.settings_file))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_secret(qtbot, dialog, name, value):
    edit = dialog.fields[name].edit
    edit.clear()
    qtbot.keyClicks(edit, value)


def test_without_keyring_the_dialog_warns_about_the_file_fallback(qtbot, dirs):
    dialog = open_dialog(qtbot, dirs)
    assert dialog.storage_warning.isVisible()
    assert "No system keyring found" in dialog.storage_warning.text()
    assert str(dirs.secrets_file) in dialog.storage_warning.text()
    assert not dialog.env_note.isVisible()


def test_tokens_are_saved_masked_and_revealed_only_on_request(qtbot, dirs):
    dialog = open_dialog(qtbot, dirs)
    type_secret(qtbot, dialog, AUDD_API_TOKEN, AUDD)
    type_secret(qtbot, dialog, AUDJUST_API_KEY, AUDJUST)
    with qtbot.waitSignal(dialog.tokens_changed) as changed:
        dialog.save()
    assert sorted(changed.args[0]) == [AUDD_API_TOKEN, AUDJUST_API_KEY]
    store = FileTokenStore(dirs.secrets_file)
    assert store.get(AUDD_API_TOKEN) == AUDD
    assert stat.S_IMODE(dirs.secrets_file.stat().st_mode) == 0o600

    again = open_dialog(qtbot, dirs)
    field = again.fields[AUDD_API_TOKEN]
    assert field.edit.echoMode() == QLineEdit.EchoMode.Password
    assert field.status.text() == "Saved: au***XY"
    assert AUDD not in field.status.text()
    qtbot.mouseClick(field.reveal, Qt.MouseButton.LeftButton)
    assert field.edit.echoMode() == QLineEdit.EchoMode.Normal
    assert field.edit.displayText() == AUDD
    qtbot.mouseClick(field.reveal, Qt.MouseButton.LeftButton)
    assert field.edit.displayText() != AUDD


def test_changing_and_removing_a_token(qtbot, dirs):
    store = FileTokenStore(dirs.secrets_file)
    store.set(AUDD_API_TOKEN, AUDD)
    store.set(UDIO_API_KEY, UDIO)
    dialog = open_dialog(qtbot, dirs)
    type_secret(qtbot, dialog, AUDD_API_TOKEN, AUDD_2)
    assert "New value au***wz" in dialog.fields[AUDD_API_TOKEN].status.text()
    dialog.fields[UDIO_API_KEY].edit.clear()
    assert "Will be removed" in dialog.fields[UDIO_API_KEY].status.text()
    assert dialog.save()
    assert store.get(AUDD_API_TOKEN) == AUDD_2
    assert store.get(UDIO_API_KEY) is None


def test_udio_base_url_is_a_validated_setting_not_a_secret(qtbot, dirs):
    dialog = open_dialog(qtbot, dirs)
    qtbot.keyClicks(dialog.udio_url, "udio.example.com")
    type_secret(qtbot, dialog, UDIO_API_KEY, UDIO)
    assert dialog.save() is False
    assert "Udio base URL must start with http://" in dialog.error_text()
    assert dialog.isVisible()
    assert FileTokenStore(dirs.secrets_file).get(UDIO_API_KEY) is None  # nothing saved
    dialog.udio_url.setText("https://udio.example.com/")
    assert dialog.save()
    assert SettingsStore(dirs.settings_file).current.udio_base_url == "https://udio.example.com"


def test_environment_token_is_announced(qtbot, dirs, monkeypatch):
    monkeypatch.setenv("AUDD_API_TOKEN", "from-the-environment")
    dialog = open_dialog(qtbot, dirs)
    assert dialog.env_note.isVisible()
    assert "from-the-environment" not in dialog.env_note.text()


def test_no_token_reaches_any_file_except_the_private_fallback(
    qtbot, qapp, qloop, isolated_profile
):
    """Set and change tokens in the running app, log, shut down, then read every file."""
    dirs = profile_dirs().ensure()
    configure_logging(dirs, "DEBUG", stderr=False)
    try:
        app = RadiowatchApp(qapp, build_services(dirs))
        run = qloop.create_task(app.run(handle_signals=False))
        qtbot.waitUntil(app.window.isVisible)
        dialog = app.window.open_accounts_dialog()
        type_secret(qtbot, dialog, AUDD_API_TOKEN, AUDD)
        type_secret(qtbot, dialog, AUDJUST_API_KEY, AUDJUST)
        type_secret(qtbot, dialog, UDIO_API_KEY, UDIO)
        dialog.udio_url.setText("https://udio.example.com")
        assert dialog.save()
        dialog = app.window.open_accounts_dialog()
        type_secret(qtbot, dialog, AUDD_API_TOKEN, AUDD_2)
        assert dialog.save()
        app.services.settings.update(backend="audd")
        # A careless log line and a failing request: both must come out redacted.
        logging.getLogger("radiowatch.test").warning("using token %s", AUDD_2)
        logging.getLogger("httpx").warning("GET https://api.audd.io/?api_token=%s", AUDD)
        app.window.quit_action.trigger()
        qtbot.waitUntil(run.done, timeout=10000)
        assert run.result() == 0
    finally:
        shutdown_logging()
    secrets = [AUDD, AUDD_2, AUDJUST, UDIO]
    checked = 0
    for root, _dirs, files in os.walk(isolated_profile):
        for name in files:
            path = os.path.join(root, name)
            data = Path(path).read_bytes()
            checked += 1
            if os.path.samefile(path, dirs.secrets_file):
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
                continue
            for secret in secrets:
                assert secret.encode() not in data, f"{secret[:4]}… leaked into {path}"
    assert checked >= 4  # settings, database (+ WAL), log, token file
    assert "au***XY" in dirs.log_file.read_text()
