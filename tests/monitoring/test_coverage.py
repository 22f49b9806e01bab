"""Coverage recorded by the monitoring, end to end against the fake AudD cloud on loopback and a
real SQLite file: a station is heard while its stream runs and the backend answers, and the
history says where it was not (stream down, backend unreachable, paused, app not running or
crashed). A crash is a real SIGKILL of a process running the app's monitoring thread."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from radiowatch.history.coverage import from_ms
from radiowatch.history.coverage_report import coverage_report
from tests.monitoring.conftest import TOKEN, station, until
from tests.support.monitoring_process import TOKEN_ENV

pytestmark = pytest.mark.asyncio

BEAT = 0.2


def now_ms() -> int:
    return int(time.time() * 1000)


def spans(db, radio_id: int = 1) -> list[tuple[int, int, int]]:
    """(start_ms, end_ms, open) of the station's spans, oldest first."""
    return [
        tuple(r)
        for r in db.execute(
            "SELECT start_ms, end_ms, open FROM coverage WHERE radio_id = ? ORDER BY start_ms",
            [radio_id],
        ).fetchall()
    ]


async def test_a_stream_that_goes_down_and_comes_back_leaves_a_gap(fake_audd, audd, make_service):
    run = make_service(audd, [station(1), station(2)], coverage_heartbeat=BEAT)
    began = now_ms()
    await run.service.start()
    await until(lambda: run.state_of(1) == "live" and run.state_of(2) == "live")
    await asyncio.sleep(1.2)  # longer than the notification clock's one-second resolution
    [(start, end, is_open)] = spans(run.db)
    assert began <= start and is_open == 1
    assert end > start, "the heartbeat moves the open span's end"

    before_down = now_ms()
    fake_audd.push_notification(1, code=650)
    await until(lambda: run.state_of(1) == "down", what="stream down")
    after_down = now_ms()
    await asyncio.sleep(5 * BEAT)  # down for a while: nothing is extended
    before_up = now_ms()
    fake_audd.push_notification(1, code=0, running=True)
    await until(lambda: run.state_of(1) == "live", what="stream back")
    await asyncio.sleep(2 * BEAT)

    first, second = spans(run.db)
    # It ends when the notification says the stream went down (whole seconds on AudD's clock).
    assert first[2] == 0 and before_down - 1000 <= first[1] <= after_down
    assert second[2] == 1 and second[0] >= before_up
    assert second[0] - first[1] >= 5 * BEAT * 1000 - 50
    assert len(spans(run.db, 2)) == 1, "the other station was heard all along"

    # Between the two spans' first and last beats, the only gap of station 1 is the outage;
    # station 2 has none.
    [(start_2, end_2, _open)] = spans(run.db, 2)
    since, upto = max(start, start_2), min(second[1], end_2)
    report = coverage_report(
        run.db.conn, radio_ids=[1, 2], since=from_ms(since), until=from_ms(upto)
    )
    one, two = report.stations
    assert [(g.start_ms, g.end_ms) for g in one.gaps] == [(first[1], second[0])]
    assert one.covered_ms == (first[1] - since) + (upto - second[0])
    assert two.gaps == () and two.fraction == 1.0
    assert one.fraction is not None and one.fraction < 1.0


async def test_backend_unreachable_pause_and_close_are_not_covered(fake_audd, audd, make_service):
    run = make_service(audd, [station(1)], coverage_heartbeat=BEAT)
    await run.service.start()
    await until(lambda: run.state_of(1) == "live")
    await asyncio.sleep(2 * BEAT)

    fake_audd.stop()
    await until(lambda: run.state_of(1) == "down", what="backend unreachable")
    stopped = now_ms()
    await asyncio.sleep(4 * BEAT)
    fake_audd.start()
    await until(lambda: run.state_of(1) == "live", timeout=15, what="backend back")
    assert [s[2] for s in spans(run.db)] == [0, 1]
    assert spans(run.db)[0][1] <= stopped, "the span ends when the polls failed, not later"
    assert spans(run.db)[1][0] - spans(run.db)[0][1] >= 4 * BEAT * 1000

    await run.service.pause()
    paused = now_ms()
    await asyncio.sleep(4 * BEAT)
    assert spans(run.db)[-1][2] == 0 and spans(run.db)[-1][1] <= paused
    await run.service.resume()
    await until(lambda: run.state_of(1) == "live", what="resumed")
    await asyncio.sleep(2 * BEAT)

    await run.service.aclose()
    closed = now_ms()
    final = spans(run.db)
    assert len(final) == 3 and all(is_open == 0 for _s, _e, is_open in final)
    assert closed - 1000 <= final[-1][1] <= closed, "a clean close ends the span at once"


async def test_heartbeat_is_one_write_for_all_stations_and_plays_extend_in_their_transaction(
    fake_audd, audd, make_service
):
    stations = [station(n) for n in range(1, 6)]
    run = make_service(audd, stations, coverage_heartbeat=BEAT)
    await run.service.start()
    await until(lambda: all(run.state_of(n) == "live" for n in range(1, 6)))
    statements: list[str] = []
    run.db.conn.set_trace_callback(statements.append)
    await asyncio.sleep(6 * BEAT)
    run.db.conn.set_trace_callback(None)
    extends = [s for s in statements if s.startswith("UPDATE coverage SET end_ms")]
    assert 3 <= len(extends) <= 8, extends  # one per beat, however many stations
    assert all(s.count(",") >= 4 for s in extends), "each beat names all five spans"


async def test_a_play_extends_its_stations_span_in_the_transaction_that_stores_it(
    fake_audd, audd, make_service
):
    run = make_service(audd, [station(9)], coverage_heartbeat=3600.0)  # no beats in this test
    await run.service.start()
    await until(lambda: run.state_of(9) == "live")
    [(_start, end, _open)] = spans(run.db, 9)
    statements: list[str] = []
    run.db.conn.set_trace_callback(statements.append)
    await asyncio.sleep(0.3)
    fake_audd.push_match(9, title="Song", timestamp="2026-05-04 10:00:00")
    await until(lambda: run.play_count() == 1)
    run.db.conn.set_trace_callback(None)
    [(_start, moved, _open)] = spans(run.db, 9)
    assert moved >= end + 300
    begin = statements.index("BEGIN IMMEDIATE")
    inside = statements[begin : statements.index("COMMIT", begin)]
    assert any(s.startswith("INSERT INTO plays") for s in inside)
    assert any(s.startswith("UPDATE coverage SET end_ms") for s in inside)


async def test_a_crashed_app_leaves_the_span_ending_at_its_last_heartbeat(
    fake_audd, audd, make_service, tmp_path
):
    db_path = tmp_path / "history.db"
    beat = 0.3
    log = (tmp_path / "child.log").open("wb")  # a file, not a pipe nobody reads: never blocks
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.monitoring_process",
            fake_audd.base_url,
            str(db_path),
            "1",
            str(beat),
        ],
        env={**os.environ, TOKEN_ENV: TOKEN},
        stdout=log,
        stderr=log,
    )
    try:
        seen: list[tuple[int, int, int]] = []

        def beating() -> bool:
            if not db_path.exists():
                return False
            with sqlite3.connect(db_path) as conn:
                try:
                    rows = conn.execute("SELECT start_ms, end_ms, open FROM coverage").fetchall()
                except sqlite3.OperationalError:
                    return False  # the schema is not there yet
            seen[:] = rows
            return len(rows) == 1 and rows[0][1] - rows[0][0] >= 3 * beat * 1000

        try:
            await until(beating, timeout=30, what="the child's monitoring heartbeat")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{(tmp_path / 'child.log').read_text()[-3000:]}") from None
        last_seen_end = seen[0][1]
        os.kill(child.pid, signal.SIGKILL)
        killed = now_ms()
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        log.close()

    with sqlite3.connect(db_path) as conn:
        [(start, end, is_open)] = conn.execute(
            "SELECT start_ms, end_ms, open FROM coverage"
        ).fetchall()
    assert is_open == 1, "nobody closed it: the process died"
    assert last_seen_end <= end <= killed, "it ends at the last beat, never after the crash"
    assert killed - end <= beat * 1000 + 1500  # within a beat (plus a loaded machine's slack)

    await asyncio.sleep(1.0)  # the app stays down a while
    again = make_service(audd, [station(1)], db_path=db_path, coverage_heartbeat=BEAT)
    await again.service.start()
    await until(lambda: again.state_of(1) == "live")
    await asyncio.sleep(2 * BEAT)
    first, second = spans(again.db)
    assert first == (start, end, 0), "closed at the start of the next run, end unchanged"
    assert second[0] >= killed + 1000 and second[2] == 1

    report = coverage_report(again.db.conn, radio_ids=[1], since=from_ms(start))
    [gap] = report.stations[0].gaps[:1]
    assert (gap.start_ms, gap.end_ms) == (end, second[0])
