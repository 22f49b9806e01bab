"""Where a radiowatch profile lives on disk.

One environment variable, `RADIOWATCH_HOME`, relocates the whole profile (data, config, cache,
logs) under a single folder: tests, portable installs and a second profile side by side all use
it. `--data-dir` on the command line does the same. Without either, the platform's usual places
are used (platformdirs: ~/.local/share, ~/.config, ~/.cache on Linux).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "radiowatch"
HOME_ENV = "RADIOWATCH_HOME"


@dataclass(frozen=True)
class ProfileDirs:
    """The four folders of one profile and the well-known files inside them."""

    data: Path
    config: Path
    cache: Path
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / "radiowatch.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def secrets_file(self) -> Path:
        """The 0600 token file, used only when no OS keyring is available."""
        return self.config / "secrets.json"

    @property
    def engine_data(self) -> Path:
        return self.data / "engine"

    @property
    def log_file(self) -> Path:
        return self.logs / "radiowatch.log"

    def ensure(self) -> ProfileDirs:
        """Create the folders (config owner-only, since it may hold the token file)."""
        for path in (self.data, self.cache, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        self.config.mkdir(parents=True, exist_ok=True)
        # Not ours to change on e.g. a shared mount; the token file itself is 0600 anyway.
        with contextlib.suppress(OSError):
            self.config.chmod(0o700)
        return self

    def describe(self) -> list[tuple[str, Path]]:
        """Human labels for the About box and the README."""
        return [
            ("Data", self.data),
            ("Settings", self.config),
            ("Logs", self.logs),
            ("Cache", self.cache),
        ]


def profile_dirs(data_dir: Path | str | None = None) -> ProfileDirs:
    """The profile's folders: `data_dir`, else $RADIOWATCH_HOME, else the platform defaults.

    A single-folder profile keeps everything in subfolders so it can be copied or deleted as one.
    """
    root = data_dir if data_dir is not None else os.environ.get(HOME_ENV) or None
    if root is not None:
        base = Path(root).expanduser().resolve()
        return ProfileDirs(
            data=base / "data", config=base / "config", cache=base / "cache", logs=base / "logs"
        )
    data = platformdirs.user_data_path(APP_NAME, appauthor=False)
    return ProfileDirs(
        data=data,
        config=platformdirs.user_config_path(APP_NAME, appauthor=False),
        cache=platformdirs.user_cache_path(APP_NAME, appauthor=False),
        logs=data / "logs",
    )
