"""Fixtures for the history tests: a real SQLite file per test and a play factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from radiowatch.history.database import open_database
from radiowatch.history.play import Play

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make_play(n: int = 0, **overrides) -> Play:
    fields = {
        "radio_id": 1 + n % 3,
        "station_name": ["Radio One", "Jazz FM", "Rock 101"][n % 3],
        "start": T0 + timedelta(minutes=4 * n),
        "play_length": 180.0,
        "artist": f"Artist {n % 7}",
        "title": f"Song {n}",
        "album": "Album",
        "label": "Label",
        "isrc": f"GBAAA26{n:05d}",
        "score": 90 + n % 10,
        "backend": "local",
        "raw_event": {"n": n},
    }
    fields.update(overrides)
    return Play(**fields)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "history.sqlite3"


@pytest.fixture
def db(db_path):
    database = open_database(db_path)
    yield database
    database.close()
