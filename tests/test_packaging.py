"""Packaging artefacts, checked fast (the bundle itself is built by `make package`, not here)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from radiowatch.app import APP_ID

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "resources" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"


def test_desktop_entry_is_valid_and_names_the_app_id():
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "radiowatch"
    assert section["Icon"] == APP_ID
    assert "AudioVideo" in section["Categories"].split(";")
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (desktop-file-utils)")
    result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_parses_and_points_at_the_desktop_entry():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    assert root.findtext("metadata_license") and root.findtext("project_license")


def test_icons_exist_in_the_standard_sizes():
    icons = ROOT / "resources" / "icons"
    assert (icons / "radiowatch.svg").is_file()
    for size in (48, 128, 256):
        assert (icons / f"radiowatch-{size}.png").stat().st_size > 0


def test_frozen_entry_dispatches_the_engine_role_without_loading_qt():
    probe = (
        "import runpy, sys\n"
        f"sys.argv = [{str(ROOT / 'packaging' / 'launch.py')!r}, '--engine', '--version']\n"
        "try:\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print('QT-LOADED' if any(m.startswith('PySide6') for m in sys.modules) else 'NO-QT', code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "radiowatch-engine 0." in result.stdout
    assert result.stdout.strip().endswith("NO-QT 0")


def test_frozen_entry_accepts_the_launchers_module_form_for_the_engine():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "launch.py"),
            "-m",
            "radiowatch.engine.cli",
            "--version",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("radiowatch-engine 0.")


def test_frozen_entry_without_engine_flag_is_the_gui_command_line():
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "launch.py"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("radiowatch 0.")


def test_a_frozen_gui_starts_its_engine_as_the_same_executable(monkeypatch, tmp_path):
    from radiowatch.backend.session import engine_command

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    command = engine_command("demo", tmp_path)
    assert command[:3] == [sys.executable, "--engine", "demo"]
    monkeypatch.delattr(sys, "frozen")
    assert engine_command("serve", tmp_path)[1:4] == ["-m", "radiowatch.engine.cli", "serve"]


def test_the_spec_resolves_paths_against_its_own_folder():
    spec = (ROOT / "packaging" / "radiowatch.spec").read_text()
    compile(spec, "radiowatch.spec", "exec")
    assert "SPECPATH" in spec and "launch.py" in spec
    assert '"pytest"' in spec, "test tools stay out of the bundle"
