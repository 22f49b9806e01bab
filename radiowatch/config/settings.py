"""The app's settings: one typed declaration with defaults, a schema version and migrations.

Settings are a JSON file in the profile's config folder. They never hold a secret: tokens and
keys go through `radiowatch.config.secrets`. A file written by an older radiowatch is migrated
step by step (`SETTINGS_MIGRATIONS`); a damaged file is set aside, not lost, and defaults used.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from radiowatch.signals import Signal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
Backend = Literal["local", "audd", "remote_engine"]
BACKEND_LABELS: dict[str, str] = {
    "local": "Local engine",
    "audd": "AudD cloud",
    "remote_engine": "Remote engine",
}


def _check_http_url(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must start with http:// or https:// and name a host")
    return value.rstrip("/")


class Settings(BaseModel):
    """Everything the user can set that is not a secret."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    schema_version: int = SCHEMA_VERSION
    backend: Backend = "local"
    remote_engine_url: str = ""
    udio_base_url: str = ""
    udio_path_template: str = "/udio/query?ids={ids}"
    udio_auth_scheme: str = "bearer"
    udio_batch_size: int = Field(default=20, ge=1, le=100)
    close_to_tray: bool = True
    start_minimised: bool = False
    autostart: bool = False  # mirrored to an XDG autostart entry by config/autostart.py
    first_run_done: bool = False  # the first-run assistant has been completed or skipped
    # With the local engine: run the built-in demo station and demo catalog alongside the
    # user's own catalog (the first-run default, so there is something to see at once).
    engine_demo: bool = True
    catalog_folder: str = ""  # the folder the first-run assistant indexed, shown in Catalog
    notifications: bool = True
    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    current_tab: str = "monitor"
    last_open_dir: str = ""
    export_dir: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    extras: dict[str, Any] = Field(default_factory=dict)  # room for panels' small preferences

    @field_validator("remote_engine_url")
    @classmethod
    def _remote_url(cls, value: str) -> str:
        return _check_http_url(value, "The remote engine URL")

    @field_validator("udio_base_url")
    @classmethod
    def _udio_url(cls, value: str) -> str:
        return _check_http_url(value, "The Udio base URL")

    def backend_description(self) -> str:
        """'Local engine', 'AudD cloud' or 'Remote engine at http://…' for the status bar."""
        label = BACKEND_LABELS[self.backend]
        if self.backend == "remote_engine":
            return f"{label} at {self.remote_engine_url}" if self.remote_engine_url else label
        return label


# from_version -> function turning a version-N dict into a version-(N+1) dict
SETTINGS_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate_settings_data(data: dict[str, Any]) -> dict[str, Any]:
    version = int(data.get("schema_version", 1) or 1)
    while version < SCHEMA_VERSION:
        step = SETTINGS_MIGRATIONS.get(version)
        if step is not None:
            data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


def load_settings(path: Path | str) -> Settings:
    """Read settings; a missing file gives defaults, a damaged one is renamed and reported."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if int(data.get("schema_version", 1) or 1) > SCHEMA_VERSION:
            log.warning("settings %s come from a newer radiowatch; unknown fields ignored", path)
        return Settings.model_validate(migrate_settings_data(data))
    except (ValueError, ValidationError) as exc:
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.replace(aside)
        except OSError:
            aside = path
        log.warning(
            "settings file %s could not be read (%s); kept as %s, using defaults",
            path,
            type(exc).__name__,
            aside.name,
        )
        return Settings()


def save_settings(settings: Settings, path: Path | str) -> None:
    """Write atomically, so a crash mid-write never leaves half a settings file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(settings.model_dump_json(indent=2))
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SettingsStore:
    """The live settings of a running app: change them, they are saved and listeners told.

    Listeners are plain callables taking the new `Settings`; the UI wraps them in Qt signals.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._settings = load_settings(self.path)
        self.changed: Signal[[Settings]] = Signal("settings changed")

    @property
    def current(self) -> Settings:
        return self._settings

    def update(self, **changes: Any) -> Settings:
        """Validate and apply `changes`; raises pydantic.ValidationError and changes nothing
        when a value is invalid."""
        merged = self._settings.model_dump() | changes
        new = Settings.model_validate(merged)
        self._settings = new
        save_settings(new, self.path)
        self.changed.emit(new)
        return new

    def subscribe(self, listener: Callable[[Settings], object]) -> Callable[[], None]:
        """Call `listener` after every change; returns a function that unsubscribes it."""
        return self.changed.subscribe(listener)
