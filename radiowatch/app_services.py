"""Everything Qt-free the GUI process is made of (settings, token store, database, stations),
opened once by `build_services` and closed once by `AppServices.aclose` at the end of the app's
single shutdown (app.py), after every registered closer (engine child, HTTP clients, long polls)
has run: those still need the database while they stop."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlite_utils

from radiowatch.config.paths import ProfileDirs, profile_dirs
from radiowatch.config.secrets import TokenStore, default_token_store
from radiowatch.config.settings import SettingsStore
from radiowatch.history.database import open_database
from radiowatch.stations.store import StationStore

log = logging.getLogger(__name__)

CLOSER_TIMEOUT = 10.0
GUI_BUSY_TIMEOUT_MS = 250


@dataclass
class AppServices:
    """Everything Qt-free the app is made of, built once, closed once."""

    dirs: ProfileDirs
    settings: SettingsStore
    tokens: TokenStore
    db: sqlite_utils.Database
    stations: StationStore
    closers: list[tuple[str, Callable[[], Awaitable[None] | None]]] = field(default_factory=list)
    closed: bool = False

    def add_closer(self, name: str, closer: Callable[[], Awaitable[None] | None]) -> None:
        """Run `closer` at shutdown (last added, first run), before the database closes."""
        self.closers.append((name, closer))

    async def aclose(self) -> None:
        if self.closed:
            return
        for name, closer in reversed(self.closers):
            try:
                result = closer()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, CLOSER_TIMEOUT)
            except Exception:
                log.exception("shutdown step %r failed; continuing", name)
        self.closers.clear()
        self.db.conn.close()
        self.closed = True


def build_services(
    dirs: ProfileDirs | None = None, *, tokens: TokenStore | None = None
) -> AppServices:
    """Open the profile: settings, token store, database, stations. Raises DatabaseError."""
    dirs = (dirs or profile_dirs()).ensure()
    settings = SettingsStore(dirs.settings_file)
    tokens = tokens or default_token_store(dirs)
    # This connection lives on the GUI thread: wait briefly for another process's lock and let
    # the callers (monitoring retries with backoff; dialogs say so) try again, never freeze.
    db = open_database(dirs.database, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS)
    return AppServices(
        dirs=dirs, settings=settings, tokens=tokens, db=db, stations=StationStore(db)
    )
