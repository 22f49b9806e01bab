"""Opening the app's SQLite database: WAL mode, sane pragmas, versioned migrations.

One file holds stations, plays and everything the monitoring keeps. Every schema change is a
numbered migration in `radiowatch.history.migrations`; `open_database` applies the missing ones
in order, each in its own transaction, and records it in `schema_migrations`. A database written
by a newer radiowatch is refused rather than silently misread.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from radiowatch.history.migrations import MIGRATIONS


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what the user can do."""


def open_database(
    path: Path | str, *, migrate: bool = True, busy_timeout_ms: int = 5000
) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    `busy_timeout_ms` is how long a statement waits for another process's lock. A connection
    used on the GUI thread should pass a short one (a few hundred ms) and retry later instead:
    a long wait there freezes the window.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False, isolation_level=None
        )
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(
            f"Cannot open the database {path}: {exc}. Check that the folder exists and is writable."
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DatabaseError(f"{path} could not be switched to WAL mode (got {mode!r}).")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if migrate:
            apply_migrations(db)
        return db
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseError(_explain(path, exc)) from exc
    except DatabaseError:
        conn.close()
        raise


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"The database {path} is locked by another program (is radiowatch already running?). "
            "Close the other program and try again; nothing was changed."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"The database {path} is damaged ({text}). radiowatch has not modified it; "
            "restore it from a backup or move it aside to start a new one."
        )
    return f"The database {path} cannot be used: {text}."


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the database's version; returns the resulting version."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(db)
    latest = max((m.version for m in MIGRATIONS), default=0)
    if current > latest:
        raise DatabaseError(
            f"This database was written by a newer radiowatch (schema {current}, this version "
            f"knows up to {latest}). Update radiowatch to open it; nothing was changed."
        )
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        if migration.version <= current:
            continue
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        current = migration.version
    return current
