"""Turning SQLite failures into messages a person can act on.

Stores wrap every statement with `friendly_errors()` so a locked or damaged file surfaces as a
`HistoryError` that says what happened and what to do, never as a bare sqlite3 traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class HistoryError(Exception):
    """The history could not be read or written; the message says why and what to do."""


def explain(exc: sqlite3.Error, action: str) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"Could not {action}: the history database is locked by another program "
            "(is a second radiowatch or a database tool open?). Close it and try again; "
            "nothing was lost."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"Could not {action}: the history database is damaged ({text}). radiowatch has "
            "not changed it; restore it from a backup or move it aside to start a new one."
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"Could not {action}: the history database is read-only. Check the file's "
            "permissions or the disk it is on."
        )
    if "disk" in text and "full" in text:
        return f"Could not {action}: the disk is full. Free some space and try again."
    return f"Could not {action}: {text}."


@contextmanager
def friendly_errors(action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise HistoryError(explain(exc, action)) from exc


@contextmanager
def transaction(conn: sqlite3.Connection, action: str) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT on an autocommit connection, rolled back on any error."""
    with friendly_errors(action):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


HISTORY_BUSY_MESSAGE = (
    "The history is busy (another radiowatch or export is writing). Try again in a moment."
)


def history_is_busy(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) is SQLite's "database is locked/busy".

    HistoryError and DatabaseError wrap the sqlite3 error as their __cause__; the result code
    is checked rather than the wording, which SQLite may change.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.Error):
            code = getattr(seen, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            return "locked" in str(seen) or "busy" in str(seen)
        seen = seen.__cause__
    return False


def describe_history_error(exc: Exception) -> str:
    return HISTORY_BUSY_MESSAGE if history_is_busy(exc) else str(exc)
