import json

import pytest
from pydantic import ValidationError

from radiowatch.config import settings as settings_module
from radiowatch.config.settings import Settings, SettingsStore, load_settings, save_settings


def test_missing_file_gives_defaults(tmp_path):
    settings = load_settings(tmp_path / "settings.json")
    assert settings.backend == "local"
    assert settings.schema_version == settings_module.SCHEMA_VERSION


def test_settings_round_trip_through_the_json_file(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(backend="remote_engine", remote_engine_url="http://box:8765/"), path)
    loaded = load_settings(path)
    assert loaded.backend == "remote_engine"
    assert loaded.remote_engine_url == "http://box:8765"
    assert loaded.backend_description() == "Remote engine at http://box:8765"


def test_damaged_file_is_kept_aside_and_defaults_used(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    assert not path.exists()
    [aside] = tmp_path.glob("settings.json.damaged-*")
    assert aside.read_text() == "{not json"


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 99, "backend": "audd", "future": 1}))
    assert load_settings(path).backend == "audd"


def test_migration_hook_runs_for_older_files(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(
        settings_module.SETTINGS_MIGRATIONS,
        1,
        lambda d: {**d, "backend": "audd" if d.pop("use_cloud", False) else "local"},
    )
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "use_cloud": True}))
    loaded = load_settings(path)
    assert loaded.backend == "audd"
    assert loaded.schema_version == 2


def test_store_validates_saves_and_notifies(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    seen = []
    store.subscribe(seen.append)
    store.update(backend="audd", close_to_tray=False)
    assert seen[-1].backend == "audd"
    assert SettingsStore(tmp_path / "settings.json").current.close_to_tray is False
    with pytest.raises(ValidationError):
        store.update(remote_engine_url="ftp://nope")
    with pytest.raises(ValidationError):
        store.update(backend="carrier-pigeon")
    assert store.current.backend == "audd"
    assert len(seen) == 1


def test_settings_declare_no_secret_fields():
    secretish = [
        name
        for name in Settings.model_fields
        if any(word in name for word in ("token", "key", "password", "secret"))
    ]
    assert secretish == []
