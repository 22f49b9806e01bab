"""The schema, as an ordered list of migrations. Append; never edit one that has shipped.

Each migration receives a raw `sqlite3.Connection` already inside a transaction and must use
only DDL/DML that SQLite can roll back (no VACUUM, no PRAGMA journal_mode). Use `run_script`,
not `Connection.executescript`, which silently COMMITs the open transaction first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute several statements inside the caller's transaction (triggers with `;` included)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")


def _v1_stations(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE stations (
            id          INTEGER PRIMARY KEY,
            radio_id    INTEGER NOT NULL UNIQUE,
            name        TEXT NOT NULL,
            source      TEXT NOT NULL,      -- what AudD is given: a stream URL or twitch:/youtube: form
            entered     TEXT NOT NULL,      -- what the user typed (a playlist URL or file, say)
            enabled     INTEGER NOT NULL DEFAULT 1,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX stations_name ON stations(name);
        """,
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "stations", _v1_stations),
]
