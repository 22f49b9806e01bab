"""The coverage recorder's rules on a real SQLite file, with a clock the test moves: spans follow
the heard/not-heard changes, a stretch without heartbeats (a sleeping machine) is never claimed,
a locked history loses no start and never raises into the monitoring."""

from __future__ import annotations

import sqlite3

import pytest

from radiowatch.history.coverage import CoverageStore
from radiowatch.history.database import open_database
from radiowatch.monitoring.coverage_recorder import CoverageRecorder

T0 = 1_800_000_000.0  # seconds


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ms(seconds_after_t0: float) -> int:
    return int((T0 + seconds_after_t0) * 1000)


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "history.db")
    yield database
    database.close()


def rows(db, radio_id: int = 1) -> list[tuple[int, int, int]]:
    return [
        tuple(r)
        for r in db.execute(
            "SELECT start_ms, end_ms, open FROM coverage WHERE radio_id = ? ORDER BY start_ms",
            [radio_id],
        ).fetchall()
    ]


def test_spans_follow_the_state_and_the_heartbeat(db):
    clock = Clock()
    recorder = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    recorder.observe(1, heard=True)
    recorder.observe(2, heard=True)
    recorder.observe(1, heard=True)  # still heard: nothing new
    for _ in range(3):
        clock.advance(5)
        recorder.heartbeat()
    assert rows(db) == [(ms(0), ms(15), 1)]
    clock.advance(2)
    recorder.observe(1, heard=False, at_ms=ms(16))  # the backend says: down at 16 s
    clock.advance(10)
    recorder.heartbeat()
    recorder.observe(1, heard=True)
    clock.advance(5)
    recorder.heartbeat()
    recorder.close_all()
    assert rows(db) == [(ms(0), ms(16), 0), (ms(27), ms(32), 0)]
    assert rows(db, 2) == [(ms(0), ms(32), 0)]


def test_a_notification_time_outside_the_span_does_not_stretch_or_invert_it(db):
    clock = Clock()
    recorder = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    recorder.observe(1, heard=True)
    clock.advance(5)
    recorder.heartbeat()
    recorder.observe(1, heard=False, at_ms=ms(60))  # a clock ahead of ours: ends now
    recorder.observe(1, heard=True)
    clock.advance(5)
    recorder.heartbeat()
    recorder.observe(1, heard=False, at_ms=ms(-100))  # a replayed old event: nothing is left
    assert rows(db) == [(ms(0), ms(5), 0)], "a span reduced to nothing is not kept"


def test_a_stretch_without_heartbeats_is_never_claimed(db):
    """The laptop slept for an hour with a station live: the span ends at the last beat and a
    new one starts on waking, whichever comes first, the next beat or a state change."""
    clock = Clock()
    recorder = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    recorder.observe(1, heard=True)
    recorder.observe(2, heard=True)
    clock.advance(5)
    recorder.heartbeat()
    clock.advance(3600)
    recorder.heartbeat()
    clock.advance(5)
    recorder.heartbeat()
    assert rows(db) == [(ms(0), ms(5), 0), (ms(3605), ms(3610), 1)]

    clock.advance(3600)
    recorder.observe(2, heard=False)
    assert rows(db, 2)[-1] == (ms(3605), ms(3610), 0)


def test_a_locked_history_loses_no_start_and_never_raises(db, tmp_path):
    clock = Clock()
    recorder = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    db.conn.execute("PRAGMA busy_timeout = 0")
    other = sqlite3.connect(tmp_path / "history.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    recorder.observe(1, heard=True)  # cannot be written now
    clock.advance(5)
    recorder.heartbeat()  # still locked: retried later
    assert recorder.heard() == {1}
    other.execute("ROLLBACK")
    other.close()
    clock.advance(5)
    recorder.heartbeat()
    assert rows(db) == [(ms(0), ms(10), 1)], "the span starts when the station was heard"


def test_the_next_run_closes_what_a_crashed_run_left_open(db):
    clock = Clock()
    crashed = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    crashed.observe(1, heard=True)
    cloud = CoverageRecorder(CoverageStore(db), "audd", heartbeat_s=5, clock=clock)
    cloud.observe(2, heard=True)
    clock.advance(5)
    crashed.heartbeat()
    cloud.heartbeat()
    clock.advance(60)  # crashed: no close, no more beats

    restarted = CoverageRecorder(CoverageStore(db), "local", heartbeat_s=5, clock=clock)
    restarted.begin_run()
    assert rows(db) == [(ms(0), ms(5), 0)]
    assert rows(db, 2) == [(ms(0), ms(5), 1)], "another backend's run is not ours to close"
