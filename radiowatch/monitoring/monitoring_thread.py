"""The monitoring service on a thread of its own, so 100 streams never stall the window. No Qt.

Why: on the GUI loop, everything the service does per event (httpx/h11 reading the reply,
parsing, the SQLite transaction) runs on the GUI thread; 100 stations answering at once (an
app restart, a backend coming back) held the window for 55–128 ms
(bench/monitoring/RESULTS.md). Here the service runs on a `LoopThread` with:

- its own SQLite connection, opened on that thread with `open_database` (WAL: it writes while
  the GUI's connection reads). Every store that holds the connection (PlayStore,
  StreamStateStore, WatchlistStore, StreamEventLog, CoverageStore) is created, used and
  closed there;
- its own `AudDClient`, built there from a `ClientRecipe` of the GUI's client (an httpx client
  belongs to one loop) and closed there;
- its own copy of the stations list (`PushedStations`), which the GUI side pushes in.

What crosses threads is plain, immutable data only: `RecordedPlay`, `StreamStatus` and
`WatchAlert` go out through `deliver(item)`, which is called **on the monitoring thread** and
must be thread-safe (the app passes `MonitoringBridge.deliver`, a queued Qt signal; a test can
pass `loop.call_soon_threadsafe`-based code). Commands come in as coroutines or callbacks
scheduled on the thread's loop, and the GUI side awaits them without blocking
(`LoopThread.run`). The service gets no `Notifier`: a notifier shows tray balloons, which only
the GUI thread may do, so alerts go out through `deliver` like everything else.

Nothing is lost by running here: a play and its `since_time` are still committed in one
transaction on the thread's connection, and shutdown lets the service finish before the
connection closes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import tzinfo
from pathlib import Path
from typing import Any

from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.history.coverage import CoverageStore
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.history.stream_events import StreamEventLog
from radiowatch.monitoring.client_recipe import ClientRecipe
from radiowatch.monitoring.events import OnAirPlay, RecordedPlay, StreamStatus, WatchAlert
from radiowatch.monitoring.loop_thread import LoopThread
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, PushedStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore

log = logging.getLogger(__name__)

THREAD_NAME = "radiowatch-monitoring"
CLOSE_TIMEOUT = 5.0
JOIN_TIMEOUT = 2.0
# A lock held by another process costs this thread a wait, never the window; the service
# retries the event after a HistoryError either way.
WORKER_BUSY_TIMEOUT_MS = 2000

Delivery = RecordedPlay | OnAirPlay | StreamStatus | WatchAlert


class MonitoringThread:
    """Runs one `MonitoringService` on its own thread. Create, `await start()`, `await aclose()`.

    Every method is called from the owner's thread (the GUI thread in the app); the `async`
    ones are awaited on the owner's loop and return once the monitoring thread has done the
    work. `service_options` go to `MonitoringService` (longpoll_timeout, silence_after, ...).
    """

    def __init__(
        self,
        *,
        database: Path | str,
        state_key: str,
        client: ClientRecipe,
        stations: Iterable[MonitoredStation],
        deliver: Callable[[Delivery], object],
        timestamp_tz: tzinfo = AUDD_CALLBACK_TZ,
        local_tz: tzinfo | None = None,
        paused: bool = False,
        busy_timeout_ms: int = WORKER_BUSY_TIMEOUT_MS,
        **service_options: Any,
    ) -> None:
        self._database = Path(database)
        self._state_key = state_key
        self._recipe = client
        self._initial_stations = [s.model_copy() for s in stations]
        self._deliver = deliver
        self._timestamp_tz = timestamp_tz
        self._local_tz = local_tz
        self._busy_timeout_ms = busy_timeout_ms
        self._options = service_options
        self._paused = paused
        self._closed = False
        self._worker = LoopThread(THREAD_NAME)
        self._statuses: dict[int, StreamStatus] = {}  # replaced whole on the thread, read here
        # Made on the monitoring thread, touched only there:
        self._service: MonitoringService | None = None
        self._stations: PushedStations | None = None
        self._watchlist: WatchlistStore | None = None

    # -- what the owner sees -------------------------------------------------------------------

    @property
    def thread(self) -> threading.Thread:
        """The monitoring thread (tests check that the work happens there)."""
        return self._worker.thread

    @property
    def running(self) -> bool:
        return self._worker.running

    @property
    def client_base_url(self) -> str:
        """The backend this monitoring follows (a restarted local engine has a new port)."""
        return self._recipe.base_url

    @property
    def paused(self) -> bool:
        return self._paused

    def statuses(self) -> dict[int, StreamStatus]:
        """The latest status of each stream, as last delivered (a snapshot, safe to read)."""
        return dict(self._statuses)

    def status(self, radio_id: int) -> StreamStatus | None:
        return self._statuses.get(radio_id)

    # -- commands ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the thread, open its database and client, and begin monitoring there.

        Raises what opening the database raises (DatabaseError); the thread is then ended."""
        if self._closed:
            raise RuntimeError("this MonitoringThread was closed; create a new one")
        if self._worker.running:
            return
        self._worker.start()
        try:
            await self._worker.run(self._start_here())
        except BaseException:
            await self.aclose()
            raise

    async def pause(self) -> None:
        self._paused = True
        if self._worker.running:
            await self._worker.run(self._call_service("pause"))

    async def resume(self) -> None:
        self._paused = False
        if self._worker.running:
            await self._worker.run(self._call_service("resume"))

    def stations_changed(self, stations: Iterable[MonitoredStation]) -> None:
        """The user edited the stations: the service re-registers soon. Returns at once."""
        self._worker.call_soon(self._replace_stations_here, [s.model_copy() for s in stations])

    def watchlist_changed(self) -> None:
        """A rule was saved, deleted or muted elsewhere: re-read the rules. Returns at once."""
        self._worker.call_soon(self._reload_watchlist_here)

    async def aclose(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Stop monitoring, close the client and the connection on the thread, join it.

        Returns whether the thread ended within the time allowed (if not, it is a daemon
        thread left to the process exit; every play it recorded is already committed)."""
        self._closed = True
        if not self._worker.running:
            return self._worker.join_blocking(0)
        try:
            await asyncio.wait_for(self._worker.run(self._close_here()), timeout)
        except TimeoutError:
            log.warning("monitoring did not stop within %.0f s; ending its thread", timeout)
        except Exception:
            log.exception("monitoring did not close cleanly; ending its thread")
        return await self._worker.aclose(JOIN_TIMEOUT)

    # -- on the monitoring thread --------------------------------------------------------------

    async def _start_here(self) -> None:
        db = open_database(self._database, busy_timeout_ms=self._busy_timeout_ms)
        self._worker.at_exit(db.conn.close)
        self._stations = PushedStations(self._initial_stations)
        self._watchlist = WatchlistStore(db)
        service = MonitoringService(
            client_factory=self._recipe.build,  # built in start(), closed in aclose(): here
            play_store=PlayStore(db),
            stations=self._stations,
            state=StreamStateStore(db, self._state_key),
            watchlist=self._watchlist,
            stream_events=StreamEventLog(db),
            coverage=CoverageStore(db),
            timestamp_tz=self._timestamp_tz,
            local_tz=self._local_tz,
            on_play=self._deliver_here,
            on_air=self._deliver_here,
            on_status=self._status_here,
            on_notification=self._deliver_here,
            **self._options,
        )
        self._service = service
        if self._paused:
            await service.pause()
        await service.start()

    async def _call_service(self, name: str) -> None:
        if self._service is not None:
            await getattr(self._service, name)()

    async def _close_here(self) -> None:
        service, self._service = self._service, None
        if service is not None:
            await service.aclose()  # also closes the client it built

    def _replace_stations_here(self, stations: list[MonitoredStation]) -> None:
        if self._stations is not None:
            self._stations.replace(stations)

    def _reload_watchlist_here(self) -> None:
        if self._watchlist is not None:
            self._watchlist.reload()

    def _status_here(self, status: StreamStatus) -> None:
        statuses = dict(self._statuses)
        statuses[status.radio_id] = status
        self._statuses = statuses  # one reference swap: the owner never sees a half update
        self._deliver_here(status)

    def _deliver_here(self, item: Delivery) -> None:
        self._deliver(item)
