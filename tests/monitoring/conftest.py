"""Fixtures for the monitoring tests: the fake AudD cloud on loopback, a client bound to it,
and a helper that builds a MonitoringService over a real SQLite file (re-openable, so a test
can "restart the app" by building a second service over the same file)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from radiowatch.audd import AudDClient
from radiowatch.history.coverage import CoverageStore
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.history.stream_events import StreamEventLog
from radiowatch.monitoring.events import RecordedPlay, StreamStatus
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore
from tests.fakes.fake_audd import FakeAudD

TOKEN = "monitoring-test-token-42"


@pytest.fixture
def fake_audd():
    with FakeAudD(tokens={TOKEN}) as fake:
        yield fake


@pytest_asyncio.fixture
async def audd(fake_audd):
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.02) as client:
        yield client


def station(radio_id: int, name: str | None = None, enabled: bool = True) -> MonitoredStation:
    return MonitoredStation(
        radio_id=radio_id,
        name=name or f"Radio {radio_id}",
        source=f"https://streams.example/{radio_id}.mp3",
        enabled=enabled,
    )


@dataclass
class Running:
    """A service plus everything a test inspects."""

    service: MonitoringService
    db: object
    plays: PlayStore
    state: StreamStateStore
    watchlist: WatchlistStore
    notifier: RecordingNotifier
    coverage: CoverageStore
    recorded: list[RecordedPlay] = field(default_factory=list)
    statuses: list[StreamStatus] = field(default_factory=list)

    def play_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM plays").fetchone()[0]

    def titles(self) -> list[str]:
        rows = self.db.execute("SELECT title FROM plays ORDER BY start_ts, id").fetchall()
        return [r[0] for r in rows]

    def state_of(self, radio_id: int) -> str | None:
        status = self.service.status(radio_id)
        return status.state if status else None


@pytest_asyncio.fixture
async def make_service(tmp_path: Path):
    created: list[Running] = []

    def build(client: AudDClient, stations, *, db_path: Path | None = None, **options) -> Running:
        db = open_database(db_path or tmp_path / "history.db")
        source = stations if hasattr(stations, "stations") else StaticStations(stations)
        running = Running(
            service=None,  # type: ignore[arg-type]
            db=db,
            plays=PlayStore(db),
            state=StreamStateStore(db, "audd"),
            watchlist=WatchlistStore(db),
            notifier=RecordingNotifier(),
            coverage=CoverageStore(db),
        )
        options.setdefault("longpoll_timeout", 2)
        options.setdefault("retry_first_delay", 0.05)
        running.service = MonitoringService(
            client=client,
            play_store=running.plays,
            stations=source,
            state=running.state,
            watchlist=running.watchlist,
            notifier=running.notifier,
            stream_events=StreamEventLog(db),
            coverage=running.coverage,
            on_play=running.recorded.append,
            on_status=running.statuses.append,
            **options,
        )
        created.append(running)
        return running

    yield build
    for running in created:
        await running.service.aclose()
        running.db.conn.close()


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll `predicate` on the loop (never block-wait inside a coroutine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)
