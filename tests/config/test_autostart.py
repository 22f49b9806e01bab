"""The autostart entry follows the setting, in $XDG_CONFIG_HOME, and starts the app minimised."""

from __future__ import annotations

import shlex

import pytest

from radiowatch.config.autostart import (
    MINIMISED_FLAG,
    autostart_file,
    is_autostart_enabled,
    launch_command,
    set_autostart,
)


@pytest.fixture(autouse=True)
def xdg_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_enabling_writes_a_desktop_entry_that_starts_minimised(xdg_config, isolated_profile):
    path = set_autostart(True)
    assert path == xdg_config / "autostart" / "org.radiowatch.Radiowatch.desktop"
    text = path.read_text()
    assert text.startswith("[Desktop Entry]\n")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    argv = shlex.split(exec_line.removeprefix("Exec="))
    assert argv[-1] == MINIMISED_FLAG
    assert argv[argv.index("--data-dir") + 1] == str(isolated_profile)
    assert is_autostart_enabled()


def test_disabling_removes_it_and_is_idempotent():
    set_autostart(True)
    set_autostart(False)
    set_autostart(False)
    assert not autostart_file().exists()
    assert not is_autostart_enabled()


def test_percent_signs_in_paths_are_escaped_for_the_exec_key(tmp_path):
    path = set_autostart(True, ["/opt/50%/radiowatch", "--minimised"])
    assert "Exec=/opt/50%%/radiowatch --minimised" in path.read_text()


def test_launch_command_runs_this_python_when_not_frozen(monkeypatch):
    monkeypatch.delenv("RADIOWATCH_HOME")
    assert launch_command()[1:] == ["-m", "radiowatch", MINIMISED_FLAG]
