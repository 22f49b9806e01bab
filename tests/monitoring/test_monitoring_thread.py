"""The monitoring on a thread of its own, against the fake AudD cloud on loopback: the work
(reading replies, writing the history) happens on that thread, commands reach it without
blocking the caller's loop, restarts lose and double nothing, and shutdown joins the thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from radiowatch.audd import AudDClient
from radiowatch.history.database import open_database
from radiowatch.monitoring.client_recipe import ClientRecipe
from radiowatch.monitoring.events import RecordedPlay, StreamStatus, WatchAlert
from radiowatch.monitoring.loop_thread import LoopThread
from radiowatch.monitoring.monitoring_thread import MonitoringThread
from radiowatch.monitoring.watchlist import WatchlistStore, WatchRule
from tests.monitoring.conftest import TOKEN, station, until

pytestmark = pytest.mark.asyncio


class Received:
    """What the monitoring thread delivered, and on which thread each item came."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self.threads: set[int] = set()

    def __call__(self, item: object) -> None:  # called on the monitoring thread
        self.threads.add(threading.get_ident())
        self.items.append(item)

    def plays(self) -> list[RecordedPlay]:
        return [i for i in self.items if isinstance(i, RecordedPlay)]

    def states(self, radio_id: int) -> list[str]:
        return [
            i.state for i in self.items if isinstance(i, StreamStatus) and i.radio_id == radio_id
        ]

    def alerts(self) -> list[WatchAlert]:
        return [i for i in self.items if isinstance(i, WatchAlert)]


def monitoring(fake_audd, db_path: Path, stations, received: Received, **options):
    recipe = ClientRecipe(
        base_url=fake_audd.base_url,
        enterprise_url=fake_audd.enterprise_url,
        api_token=TOKEN,
        backoff_factor=0.02,
    )
    options.setdefault("longpoll_timeout", 2)
    options.setdefault("retry_first_delay", 0.05)
    return MonitoringThread(
        database=db_path,
        state_key="audd",
        client=recipe,
        stations=stations,
        deliver=received,
        **options,
    )


def count_plays(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0]


@pytest.fixture
def db_path(tmp_path) -> Path:
    path = tmp_path / "history.db"
    open_database(path).conn.close()  # the app's own connection made the schema
    return path


async def test_plays_are_recorded_on_the_monitoring_thread_not_the_callers(fake_audd, db_path):
    received = Received()
    worker = monitoring(fake_audd, db_path, [station(1), station(2)], received)
    await worker.start()
    try:
        assert worker.thread is not threading.current_thread() and worker.thread.is_alive()
        await until(lambda: len(fake_audd.account().streams) == 2, what="addStream")
        fake_audd.push_match(1, artist="A", title="First")
        fake_audd.push_match(2, artist="B", title="Second")
        await until(lambda: len(received.plays()) == 2, what="two plays delivered")

        # A play is delivered right after its transaction commits, in the same call on the
        # same thread: so the SQLite writes ran on the monitoring thread, never on this one.
        assert received.threads == {worker.thread.ident}
        assert threading.get_ident() not in received.threads
        assert count_plays(db_path) == 2, "committed, visible to another connection"
        assert worker.status(1).state == "live"
    finally:
        assert await worker.aclose()


async def test_shutdown_joins_the_thread_and_closes_its_connection(fake_audd, db_path):
    received = Received()
    worker = monitoring(fake_audd, db_path, [station(1)], received)
    await worker.start()
    await until(lambda: 1 in fake_audd.account().streams)
    fake_audd.push_match(1, title="Kept")
    await until(lambda: len(received.plays()) == 1)

    assert await worker.aclose() is True
    assert not worker.thread.is_alive() and not worker.running
    # The thread's connection is closed: the last one out removes the WAL file.
    assert not db_path.with_name(db_path.name + "-wal").exists()
    assert count_plays(db_path) == 1
    with pytest.raises(RuntimeError, match="closed"):
        await worker.start()


async def test_a_restart_on_a_new_thread_loses_nothing_and_doubles_nothing(fake_audd, db_path):
    first = Received()
    worker = monitoring(fake_audd, db_path, [station(1)], first)
    await worker.start()
    await until(lambda: 1 in fake_audd.account().streams)
    for minute in range(3):
        fake_audd.push_match(1, title=f"Before {minute}", timestamp=f"2026-05-04 10:0{minute}:00")
    await until(lambda: len(first.plays()) == 3)
    await worker.aclose()

    for minute in range(3, 5):  # aired while the app was closed
        fake_audd.push_match(1, title=f"Closed {minute}", timestamp=f"2026-05-04 10:0{minute}:00")
    second = Received()
    worker = monitoring(fake_audd, db_path, [station(1)], second)
    await worker.start()
    try:
        await until(lambda: len(second.plays()) == 2, what="catch-up after the restart")
        await asyncio.sleep(0.3)
        assert [r.play.title for r in second.plays()] == ["Closed 3", "Closed 4"]
        assert count_plays(db_path) == 5
    finally:
        await worker.aclose()


async def test_a_station_added_while_running_shows_connecting_at_once(fake_audd, db_path):
    received = Received()
    worker = monitoring(fake_audd, db_path, [station(1)], received)
    await worker.start()
    try:
        await until(lambda: 1 in fake_audd.account().streams)
        worker.stations_changed([station(1), station(2)])
        await until(lambda: received.states(2), what="a status for the new station")
        assert received.states(2)[0] == "connecting"
        await until(lambda: 2 in fake_audd.account().streams, what="the new stream registered")
        fake_audd.push_match(2, title="New here")
        await until(lambda: [r.play.title for r in received.plays()] == ["New here"])
    finally:
        await worker.aclose()


async def test_a_rule_saved_on_another_connection_reaches_the_thread(fake_audd, db_path):
    received = Received()
    gui_db = open_database(db_path)
    rules = WatchlistStore(gui_db)
    worker = monitoring(fake_audd, db_path, [station(1, "Radio One")], received)
    rules.subscribe(worker.watchlist_changed)
    await worker.start()
    try:
        await until(lambda: 1 in fake_audd.account().streams)
        fake_audd.push_match(1, artist="Tears For Fears", title="Before the rule")
        await until(lambda: len(received.plays()) == 1)
        rules.save(WatchRule(field="artist", pattern="tears for fears"))  # the GUI's connection
        fake_audd.push_match(1, artist="Tears For Fears", title="Mad World")
        await until(lambda: received.alerts(), what="an alert for the new rule")
        assert [a.play.title for a in received.alerts()] == ["Mad World"]
        assert received.alerts()[0].title == "Tears For Fears — Mad World on Radio One"
    finally:
        await worker.aclose()
        gui_db.conn.close()


async def test_pause_and_resume_reach_the_thread_and_catch_up(fake_audd, db_path):
    received = Received()
    worker = monitoring(fake_audd, db_path, [station(1)], received)
    await worker.start()
    try:
        await until(lambda: 1 in fake_audd.account().streams)
        await worker.pause()
        assert worker.paused and worker.status(1).state == "paused"
        fake_audd.push_match(1, title="While paused")
        await asyncio.sleep(0.3)
        assert received.plays() == []
        await worker.resume()
        await until(lambda: len(received.plays()) == 1, what="catch-up on resume")
        assert not worker.paused
    finally:
        await worker.aclose()


async def test_a_database_that_cannot_be_opened_ends_the_thread(fake_audd, tmp_path):
    from radiowatch.history.database import DatabaseError

    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not an SQLite database, it is a text file" * 100)
    worker = monitoring(fake_audd, bad, [station(1)], Received())
    with pytest.raises(DatabaseError, match="damaged"):
        await worker.start()
    assert not worker.thread.is_alive()


async def test_the_loop_thread_runs_exit_steps_on_its_own_thread():
    worker = LoopThread("test-loop")
    worker.start()
    seen: list[int] = []
    worker.at_exit(lambda: seen.append(threading.get_ident()))

    async def where() -> int:
        await asyncio.sleep(0)
        return threading.get_ident()

    ident = await worker.run(where())
    pending = worker.submit(asyncio.sleep(3600))  # left running: cancelled at stop
    assert ident == worker.thread.ident != threading.get_ident()
    assert await worker.aclose(timeout=2)
    assert seen == [ident] and pending.cancelled()
    with pytest.raises(RuntimeError, match="not running"):
        worker.submit(where())


async def test_the_client_recipe_copies_the_backend_and_hides_the_token(fake_audd):
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.02) as gui:
        recipe = ClientRecipe.of(gui)
    assert TOKEN not in repr(recipe) and "mo***42" in repr(recipe)
    sibling = recipe.build()
    try:
        assert sibling.http is not gui.http
        assert (sibling.base_url, sibling.backoff_factor) == (fake_audd.base_url, 0.02)
        assert sibling.api_token() == TOKEN
    finally:
        await sibling.aclose()
