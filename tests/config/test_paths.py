from pathlib import Path

from radiowatch.config.paths import profile_dirs


def test_radiowatch_home_relocates_the_whole_profile(isolated_profile):
    dirs = profile_dirs()
    for folder in (dirs.data, dirs.config, dirs.cache, dirs.logs):
        assert folder.is_relative_to(isolated_profile)
    assert dirs.database.parent == dirs.data
    assert dirs.engine_data == dirs.data / "engine"


def test_explicit_data_dir_wins_over_the_environment(tmp_path):
    dirs = profile_dirs(tmp_path / "other")
    assert dirs.config == (tmp_path / "other" / "config").resolve()


def test_default_locations_follow_the_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("RADIOWATCH_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    dirs = profile_dirs()
    assert dirs.data == tmp_path / "share" / "radiowatch"
    assert dirs.config == tmp_path / "conf" / "radiowatch"


def test_ensure_creates_folders_with_a_private_config_dir(isolated_profile):
    dirs = profile_dirs().ensure()
    assert all(Path(p).is_dir() for p in (dirs.data, dirs.config, dirs.cache, dirs.logs))
    assert dirs.config.stat().st_mode & 0o077 == 0
