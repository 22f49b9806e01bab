"""The long-poll engine: keeps the backend's streams in step with the stations, follows each
stream's events, records every play exactly once and raises watchlist alerts. No Qt.

Why it is built this way:
- One asyncio task per stream on the running loop, so a slow or dead stream never holds up
  the others. In the app that loop is the monitoring thread's own (monitoring_thread.py), with
  its own SQLite connection and AudD client, so reading replies and committing plays never
  holds the GUI thread; the service itself does not care which loop it runs on (tests run it
  on a plain asyncio loop). Polls go through small HTTP clients shared by a few streams each
  (longpoll_connections.py explains why not one big pool).
- A play and the stream's resume point (`since_time`) are committed in one transaction, the
  play insert being idempotent (G1's `PlayStore.add`; event_recorder.py writes each event). A
  crash or a restart therefore replays at most the last event, which the insert ignores: no
  play lost, none doubled.
- If the history cannot be written (locked, full disk), the stream stops on that event and
  retries it; it never moves on past a play it did not store.
- Coverage (when each station was actually heard) is recorded as the statuses change, by a
  `CoverageRecorder` (coverage_recorder.py) with its own heartbeat task, when the service is
  given a `CoverageStore`.
- Both backends speak the AudD protocol, so the same code runs against the AudD cloud and the
  local engine. Streams are registered with addStream/setStreamUrl/deleteStream
  (registrations.py); only streams radiowatch registered itself are ever deleted.

- With `announce_starts` (radiowatch engines, local or remote), streams are registered with
  `callbacks=both`: the engine reports a play as soon as it is sure of it (no `play_length`),
  which goes out as `play_on_air` for the now-playing card and is not written to the history,
  and again when it ends, which is recorded as above.

Listeners get plain-Python events (`play_recorded`, `play_on_air`, `status_changed`,
`alert_raised` or the `on_play`/`on_air`/`on_status`/`on_notification` shortcuts), called on
the service's loop thread;
ui/monitor/monitoring_bridge.py hands them to the GUI thread as Qt signals.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from radiowatch.audd import (
    AudDClient,
    AudDError,
    AudDEvent,
    AudDInvalidResponse,
    LongpollEvent,
    LongpollSubscription,
)
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.history.coverage import HEARTBEAT_S, CoverageStore, to_ms
from radiowatch.history.errors import HistoryError
from radiowatch.history.plays import PlayStore
from radiowatch.history.stream_events import StreamEventLog
from radiowatch.monitoring.backoff import Backoff
from radiowatch.monitoring.coverage_recorder import CoverageRecorder
from radiowatch.monitoring.event_recorder import EventRecorder
from radiowatch.monitoring.events import (
    OnAirPlay,
    RecordedPlay,
    StreamState,
    StreamStatus,
    WatchAlert,
)
from radiowatch.monitoring.longpoll_connections import LongpollConnections
from radiowatch.monitoring.notifier import Notifier
from radiowatch.monitoring.pacing import Pacer
from radiowatch.monitoring.registrations import register_streams
from radiowatch.monitoring.stations_source import MonitoredStation, StationSource
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.warm_up import prepared_connections
from radiowatch.monitoring.watchlist import WatchlistStore, WatchRule
from radiowatch.signals import Signal

log = logging.getLogger(__name__)

FIRST_POLL_LOOKBACK_MS = 5 * 60 * 1000


def _now() -> datetime:
    return datetime.now(UTC)


class MonitoringService:
    """Follows every enabled station on one backend.

    Give it an `AudDClient` (not closed by the service) or a `client_factory` (the service
    creates the client in `start()` and closes it in `aclose()`). `state.backend` names the
    backend ('audd' for the cloud, 'local' for the engine) and is written into each play.
    `timestamp_tz` is the zone of the backend's `YYYY-MM-DD HH:MM:SS` event times: UTC+3 for
    the AudD cloud (docs/protocols/audd.md §6.1), UTC for the local engine.
    """

    def __init__(
        self,
        *,
        play_store: PlayStore,
        stations: StationSource,
        state: StreamStateStore,
        client: AudDClient | None = None,
        client_factory: Callable[[], AudDClient] | None = None,
        watchlist: WatchlistStore | None = None,
        notifier: Notifier | None = None,
        stream_events: StreamEventLog | None = None,
        coverage: CoverageStore | None = None,
        coverage_heartbeat: float = HEARTBEAT_S,
        timestamp_tz: tzinfo = AUDD_CALLBACK_TZ,
        local_tz: tzinfo | None = None,
        on_play: Callable[[RecordedPlay], object] | None = None,
        on_air: Callable[[OnAirPlay], object] | None = None,
        on_status: Callable[[StreamStatus], object] | None = None,
        on_notification: Callable[[WatchAlert], object] | None = None,
        longpoll_timeout: int = 50,
        silence_after: timedelta = timedelta(minutes=20),
        watchdog_interval: float = 30.0,
        manage_streams: bool = True,
        set_placeholder_callback: bool = True,
        retry_first_delay: float = 1.0,
        announce_starts: bool = False,
    ) -> None:
        if (client is None) == (client_factory is None):
            raise TypeError("pass exactly one of client= or client_factory=")
        self._client = client
        self._client_factory = client_factory
        self._stations = stations
        self._state = state
        self._watchlist = watchlist
        self._coverage = (
            CoverageRecorder(coverage, state.backend, heartbeat_s=coverage_heartbeat)
            if coverage is not None
            else None
        )
        self._longpoll_timeout = longpoll_timeout
        self._silence_after = silence_after
        self._watchdog_interval = watchdog_interval
        self._manage_streams = manage_streams
        self._set_placeholder = set_placeholder_callback
        self._retry_first_delay = retry_first_delay

        self._announce_starts = announce_starts
        self.play_recorded: Signal[[RecordedPlay]] = Signal("play_recorded")
        self.play_on_air: Signal[[OnAirPlay]] = Signal("play_on_air")
        self.status_changed: Signal[[StreamStatus]] = Signal("status_changed")
        self.alert_raised: Signal[[WatchAlert]] = Signal("alert_raised")
        self._recorder = EventRecorder(
            play_store=play_store,
            state=state,
            coverage=self._coverage,
            stream_events=stream_events,
            watchlist=watchlist,
            notifier=notifier,
            timestamp_tz=timestamp_tz,
            local_tz=local_tz,
            announce_starts=announce_starts,
            set_status=self._set_status,
            heard=self._heard,
            play_recorded=self.play_recorded,
            play_on_air=self.play_on_air,
            alert_raised=self.alert_raised,
        )
        if on_play:
            self.play_recorded.connect(on_play)
        if on_air:
            self.play_on_air.connect(on_air)
        if on_status:
            self.status_changed.connect(on_status)
        if on_notification:
            self.alert_raised.connect(on_notification)

        self._followed: dict[int, MonitoredStation] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._statuses: dict[int, StreamStatus] = {}
        self._last_activity: dict[int, datetime] = {}
        self._before_outage: dict[int, StreamStatus] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._reconcile_lock = asyncio.Lock()
        self._connections: LongpollConnections | None = None  # built by the supervisor
        self._pacer = Pacer()
        self._paused = False
        self._closed = False
        self._unsubscribe: Callable[[], None] | None = None
        self._pending_reconcile: asyncio.Task[None] | None = None
        self._stations_dirty = False

    # -- public API ------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        return self._state.backend

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def last_alert(self) -> WatchAlert | None:
        """The latest watchlist alert raised (the tray's balloon opens its play)."""
        return self._recorder.last_alert

    def statuses(self) -> dict[int, StreamStatus]:
        return dict(self._statuses)

    def status(self, radio_id: int) -> StreamStatus | None:
        return self._statuses.get(radio_id)

    async def start(self) -> None:
        """Begin monitoring in the background; returns at once. Must run on the loop."""
        if self._closed:
            raise RuntimeError("this MonitoringService was closed; create a new one")
        if self._supervisor is not None:
            return
        if self._client is None and self._client_factory is not None:
            self._client = self._client_factory()
        if self._coverage is not None:
            self._coverage.begin_run()
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._beat_coverage(), name="monitoring-coverage-heartbeat"
            )
        for station in self._enabled_stations():
            self._set_status(station, "paused" if self._paused else "connecting")
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name="monitoring-supervisor"
        )
        subscribe = getattr(self._stations, "subscribe", None)
        if subscribe is not None and self._unsubscribe is None:
            self._unsubscribe = subscribe(self._stations_changed)
        self._watchdog = asyncio.get_running_loop().create_task(
            self._watch_silence(), name="monitoring-silence-watchdog"
        )

    async def reconcile(self) -> None:
        """Bring the backend's streams and our long polls in line with the stations list.

        Call after the user adds, edits, enables or removes a station. Errors for one stream
        (say, out of stream slots) show on that station's status and do not stop the others.
        """
        async with self._reconcile_lock:
            stations = self._stations.stations()
            if self._manage_streams:
                await self._sync_registrations(stations)
            wanted = {s.radio_id: s for s in stations if s.enabled}
            for radio_id in list(self._tasks):
                if radio_id not in wanted or wanted[radio_id] != self._followed.get(radio_id):
                    await self._stop_following(radio_id)
            for radio_id in list(self._statuses):
                if radio_id not in wanted:
                    del self._statuses[radio_id]
                    if self._coverage is not None:
                        self._coverage.observe(radio_id, heard=False)
            if not self._paused:
                await self._ensure_connections()
            if not self._paused:  # checked again: a pause may have come during the await
                for station in wanted.values():
                    if station.radio_id not in self._tasks:
                        self._follow(station)

    async def _ensure_connections(self) -> None:
        if self._connections is None:
            # One-off costs kept off the GUI thread: loading the CA bundle (~80 ms), httpx's
            # first client (~60 ms of lazy imports), the first parse of an event (~60 ms).
            agent = self._require_client().http.headers.get("User-Agent")
            self._connections = await asyncio.to_thread(prepared_connections, agent)

    def _stations_changed(self) -> None:
        """The user edited the stations: re-register soon (edits in a burst coalesce).

        A station new to the monitoring shows as connecting (or paused) at once, not only
        when the re-registration has run or its first event arrives. An edit made while a
        reconcile (the supervisor's, or an earlier edit's) is already under way is applied by
        one more reconcile after it: that one may have read the list before the edit."""
        if self._closed or self._supervisor is None:
            return  # not started yet: start() reads the current list
        self._announce_new_stations()
        self._stations_dirty = True
        if self._pending_reconcile and not self._pending_reconcile.done():
            return  # its loop sees the flag

        async def later() -> None:
            while self._stations_dirty:
                await asyncio.sleep(0.2)
                supervisor = self._supervisor
                if supervisor is not None and not supervisor.done():
                    await asyncio.wait({supervisor})
                self._stations_dirty = False
                try:
                    await self.reconcile()
                except (AudDError, HistoryError) as exc:
                    log.warning("could not apply the station changes: %s", exc)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("station edits seen outside the event loop; call reconcile() yourself")
            return
        self._pending_reconcile = loop.create_task(later())

    def _announce_new_stations(self) -> None:
        for station in self._enabled_stations():
            if station.radio_id not in self._statuses:
                self._set_status(station, "paused" if self._paused else "connecting")

    async def pause(self) -> None:
        """Stop listening (streams stay registered). On resume each stream catches up from
        where it stopped, so plays that aired meanwhile are still recorded."""
        self._paused = True
        for radio_id in list(self._tasks):
            await self._stop_following(radio_id)
        for station in self._enabled_stations():
            self._set_status(station, "paused", "Monitoring is paused")

    async def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        for station in self._enabled_stations():
            self._set_status(station, "connecting")
        if self._supervisor is None:
            await self.start()
        elif self._supervisor.done():
            # Same path as a start: retries until the backend answers, never raises here.
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name="monitoring-supervisor"
            )

    def describe_rule(self, rule_id: int) -> str | None:
        rule = self._watchlist.get(rule_id) if self._watchlist is not None else None
        return rule.describe() if rule is not None else None

    def mute_rule(self, rule_id: int, until: datetime | None) -> WatchRule | None:
        if self._watchlist is None:
            return None
        return self._watchlist.mute(rule_id, until)

    async def aclose(self) -> None:
        """Cancel every long poll and background task; close the client if we created it."""
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        pending = (self._supervisor, self._watchdog, self._heartbeat, self._pending_reconcile)
        tasks = [t for t in (*pending, *self._tasks.values()) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._coverage is not None:
            self._coverage.close_all()  # a clean stop: heard until now, not after
        self._tasks.clear()
        self._followed.clear()
        if self._connections is not None:
            await self._connections.aclose()
        if self._client_factory is not None and self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- registration ----------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Pre-flight the callback URL and reconcile, retrying until the backend answers."""
        await self._ensure_connections()
        backoff = Backoff(self._retry_first_delay)
        while True:
            try:
                if self._manage_streams:
                    await self._require_client().streams.ensure_callback_url(
                        set_placeholder=self._set_placeholder
                    )
                await self.reconcile()
                return
            except asyncio.CancelledError:
                raise
            except (AudDError, HistoryError) as exc:
                message = f"Cannot start monitoring: {exc}"
                log.warning("%s (retrying)", message)
                for station in self._enabled_stations():
                    self._set_status(station, "down", message)
                await asyncio.sleep(backoff.next_delay())

    async def _sync_registrations(self, stations: list[MonitoredStation]) -> None:
        def refused(station: MonitoredStation, exc: AudDError) -> None:
            self._set_status(station, "down", f"The backend refused the stream: {exc}")

        remote = await register_streams(
            self._require_client(),
            self._state,
            stations,
            callbacks="both" if self._announce_starts else None,
            on_refused=refused,
        )
        self._apply_running(remote, stations)

    def _apply_running(self, remote: dict[int, Any], stations: list[MonitoredStation]) -> None:
        """getStreams says which streams the backend is ingesting: those are live."""
        for station in stations:
            stream = remote.get(station.radio_id)
            status = self._statuses.get(station.radio_id)
            if not station.enabled or stream is None or self._paused:
                continue
            if stream.stream_running and (status is None or status.state == "connecting"):
                self._set_status(station, "live")

    async def _refresh_running(self) -> None:
        """Ask the backend again about streams still shown as connecting."""
        waiting = [
            s
            for s in self._enabled_stations()
            if self._statuses.get(s.radio_id) is not None
            and self._statuses[s.radio_id].state == "connecting"
        ]
        if not waiting or not self._manage_streams or self._client is None:
            return
        try:
            streams = await self._client.streams.list()
        except AudDError as exc:
            log.info("could not refresh the stream states: %s", exc)
            return
        self._apply_running({s.radio_id: s for s in streams if s.radio_id is not None}, waiting)

    # -- following one stream --------------------------------------------------------------

    def _follow(self, station: MonitoredStation) -> None:
        self._followed[station.radio_id] = station
        self._tasks[station.radio_id] = asyncio.get_running_loop().create_task(
            self._follow_stream(station), name=f"longpoll-{station.radio_id}"
        )

    async def _stop_following(self, radio_id: int) -> None:
        task = self._tasks.pop(radio_id, None)
        self._followed.pop(radio_id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._connections is not None:
            self._connections.release(radio_id)

    async def _follow_stream(self, station: MonitoredStation) -> None:
        backoff = Backoff(self._retry_first_delay)
        self._last_activity.setdefault(station.radio_id, _now())
        while True:
            poll = None
            try:
                poll = self._subscribe(station)
                async for item in poll:
                    await self._pacer.turn()
                    await self._handle(station, item)
                    backoff.reset()
            except asyncio.CancelledError:
                raise
            except (AudDError, HistoryError) as exc:
                self._on_poll_error(station, exc)
            finally:
                if poll is not None:
                    await _close(poll)
            await asyncio.sleep(backoff.next_delay())

    def _subscribe(self, station: MonitoredStation) -> LongpollSubscription:
        """One stream's subscription, resuming from the committed `since_time`.

        Built directly (rather than `client.longpoll`) to get a per-stream `on_event` hook,
        which tells us the backend answers again after an outage. The callback URL pre-flight
        ran once in `_supervise`, not once per stream.
        """
        client = self._require_client()
        parent_hook = client.on_event

        def on_event(event: AudDEvent) -> None:
            if parent_hook is not None:
                parent_hook(event)
            if event.kind == "response" and event.http_status == 200:
                self._on_poll_ok(station)

        return LongpollSubscription(
            client.longpoll_category(station.radio_id),
            base_url=client.base_url,
            http_client=self._require_connections().client_for(station.radio_id),
            since_time=self._resume_point(station.radio_id),
            timeout=self._longpoll_timeout,
            on_error=lambda exc: self._on_poll_error(station, exc),
            on_event=on_event,
            backoff_factor=client.backoff_factor,
        )

    def _resume_point(self, radio_id: int) -> int:
        """Where to resume; for a stream never followed, a little before now.

        Without `since_time` the server sends only events published after the poll arrives,
        so a song recognised between addStream and the first poll would be lost. Starting
        `FIRST_POLL_LOOKBACK` back (our clock; it also absorbs clock skew) costs at most a
        few replayed events, which the idempotent insert ignores.
        """
        since = self._state.since_time(radio_id)
        if since is None:
            since = int(time.time() * 1000) - FIRST_POLL_LOOKBACK_MS
            self._state.save_since_time(radio_id, since)
        return since

    def _on_poll_error(self, station: MonitoredStation, exc: BaseException) -> None:
        if isinstance(exc, AudDInvalidResponse):
            # An unreadable reply is skipped; the stream itself carries on.
            log.warning("skipped an unreadable long-poll reply for %s: %s", station.name, exc)
            return
        log.warning("long poll for %s (%s): %s", station.name, station.radio_id, exc)
        current = self._statuses.get(station.radio_id)
        if current is not None and station.radio_id not in self._before_outage:
            self._before_outage[station.radio_id] = current
        text = str(exc) if isinstance(exc, HistoryError) else f"Cannot reach the backend: {exc}"
        self._set_status(station, "down", text)

    def _on_poll_ok(self, station: MonitoredStation) -> None:
        """The backend answered again: show what the stream was doing before the outage."""
        before = self._before_outage.pop(station.radio_id, None)
        if before is None:
            return
        state = before.state if before.state not in ("down", "paused") else "connecting"
        self._set_status(station, state, before.message if state == before.state else "")

    async def _handle(self, station: MonitoredStation, item: LongpollEvent) -> None:
        """Record one event; on a history error wait and retry the same event (never skip)."""
        backoff = Backoff(self._retry_first_delay, cap=30.0)
        while True:
            try:
                self._recorder.record(station, item)
                return
            except HistoryError as exc:
                log.error("cannot record an event for %s: %s", station.name, exc)
                self._set_status(station, "down", str(exc))
                await asyncio.sleep(backoff.next_delay())

    # -- status ----------------------------------------------------------------------------

    async def _beat_coverage(self) -> None:
        """Confirm, every few seconds, that the stations heard are still heard."""
        assert self._coverage is not None
        while True:
            await asyncio.sleep(self._coverage.heartbeat_s)
            try:
                self._coverage.heartbeat()
            except Exception:  # a bug here must not end the beats: spans would end early
                log.exception("the coverage heartbeat failed")

    async def _watch_silence(self) -> None:
        """A live stream with nothing recognised for `silence_after` is shown as silent; streams
        still connecting are re-checked with getStreams."""
        while True:
            await asyncio.sleep(self._watchdog_interval)
            self.check_silence(_now())
            await self._refresh_running()

    def _heard(self, radio_id: int) -> None:
        self._last_activity[radio_id] = _now()

    def check_silence(self, now: datetime) -> None:
        for radio_id, status in list(self._statuses.items()):
            last = self._last_activity.get(radio_id)
            if status.state == "live" and last is not None and now - last >= self._silence_after:
                minutes = int(self._silence_after.total_seconds() // 60)
                station = self._followed.get(radio_id)
                if station is not None:
                    self._set_status(station, "silent", f"No music recognised for {minutes} min")

    def _set_status(
        self,
        station: MonitoredStation,
        state: StreamState,
        message: str = "",
        *,
        last_play_at: datetime | None = None,
        at: datetime | None = None,
    ) -> None:
        """`at` is when the backend says the change happened (a notification's time); the
        coverage may end there, never start there."""
        old = self._statuses.get(station.radio_id)
        last = last_play_at or (old.last_play_at if old else None)
        if (
            old is not None
            and old.state == state
            and old.message == message
            and old.last_play_at == last
        ):
            return
        since = old.since if old is not None and old.state == state else _now()
        status = StreamStatus(station.radio_id, station.name, state, message, since, last)
        self._statuses[station.radio_id] = status
        if self._coverage is not None:
            self._coverage.observe(station.radio_id, status.covered, to_ms(at) if at else None)
        self.status_changed.emit(status)

    # -- helpers ---------------------------------------------------------------------------

    def _enabled_stations(self) -> list[MonitoredStation]:
        try:
            return [s for s in self._stations.stations() if s.enabled]
        except HistoryError as exc:
            log.error("cannot read the stations: %s", exc)
            return []

    def _require_connections(self) -> LongpollConnections:
        if self._connections is None:  # only followed after the supervisor prepared them
            raise RuntimeError("long-poll connections are not ready")
        return self._connections

    def _require_client(self) -> AudDClient:
        if self._client is None:
            raise RuntimeError("MonitoringService.start() has not run")
        return self._client


async def _close(poll: Any) -> None:
    closer = getattr(poll, "aclose", None)
    if closer is not None:
        try:
            await closer()
        except Exception:
            log.debug("closing a long poll failed", exc_info=True)
