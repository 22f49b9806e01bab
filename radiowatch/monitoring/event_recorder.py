"""What one long-poll event does to the history: a play is recorded exactly once, an early
"on air" event only announced, a stream notification logged; the stream's resume point
(`since_time`) moves in the same transaction, and a recorded play is checked against the
watchlist. No Qt.

Split from the service (service.py), which follows the streams and decides when an event is
handled or retried; this module owns what handling it means. A `HistoryError` from here means
nothing was written: the service waits and hands the same event again (never skips a play).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from radiowatch.audd import LongpollEvent, MatchEvent, NotificationEvent
from radiowatch.history.errors import transaction
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.history.stream_events import StreamEvent, StreamEventLog
from radiowatch.monitoring.coverage_recorder import CoverageRecorder
from radiowatch.monitoring.events import (
    OnAirPlay,
    RecordedPlay,
    StreamState,
    WatchAlert,
    alert_for,
    notification_state,
)
from radiowatch.monitoring.notifier import Notifier
from radiowatch.monitoring.plays_from_results import play_from_match
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore, matching_rules
from radiowatch.signals import Signal

log = logging.getLogger(__name__)


class SetStatus(Protocol):
    def __call__(
        self,
        station: MonitoredStation,
        state: StreamState,
        message: str = "",
        *,
        last_play_at: datetime | None = None,
        at: datetime | None = None,
    ) -> None: ...


def now() -> datetime:
    return datetime.now(UTC)


class EventRecorder:
    """Records the events of every followed stream of one backend (`state.backend`)."""

    def __init__(
        self,
        *,
        play_store: PlayStore,
        state: StreamStateStore,
        coverage: CoverageRecorder | None,
        stream_events: StreamEventLog | None,
        watchlist: WatchlistStore | None,
        notifier: Notifier | None,
        timestamp_tz: tzinfo,
        local_tz: tzinfo | None,
        announce_starts: bool,
        set_status: SetStatus,
        heard: Callable[[int], object],
        play_recorded: Signal[[RecordedPlay]],
        play_on_air: Signal[[OnAirPlay]],
        alert_raised: Signal[[WatchAlert]],
    ) -> None:
        self._plays = play_store
        self._state = state
        self._coverage = coverage
        self._stream_events = stream_events
        self._watchlist = watchlist
        self._notifier = notifier
        self._timestamp_tz = timestamp_tz
        self._local_tz = local_tz
        self._announce_starts = announce_starts
        self._set_status = set_status
        self._heard = heard  # the stream said something: the silence watch starts again
        self._play_recorded = play_recorded
        self._play_on_air = play_on_air
        self._alert_raised = alert_raised
        self.last_alert: WatchAlert | None = None

    @property
    def backend(self) -> str:
        return self._state.backend

    def record(self, station: MonitoredStation, item: LongpollEvent) -> None:
        event = item.event
        if isinstance(event, MatchEvent):
            self._record_match(station, item, event)
        elif isinstance(event, NotificationEvent):
            self._record_notification(station, item, event)
        elif item.timestamp is not None:
            self._state.save_since_time(station.radio_id, item.timestamp)

    def _play(self, station: MonitoredStation, event: MatchEvent) -> Play | None:
        try:
            return play_from_match(
                event, station=station, backend=self.backend, timestamp_tz=self._timestamp_tz
            )
        except ValueError as exc:
            log.warning("skipping an unusable event on %s: %s", station.name, exc)
            return None

    def _record_match(
        self, station: MonitoredStation, item: LongpollEvent, event: MatchEvent
    ) -> None:
        if self._announce_starts and event.play_length is None:
            self._record_on_air(station, item, event)
            return
        play = self._play(station, event)
        with transaction(self._state.connection, "record the play") as _:
            recorded = self._plays.add(play) if play is not None else None
            if item.timestamp is not None:
                self._state.save_since_time(station.radio_id, item.timestamp)
            # A play found later in the archive says nothing of whether the stream is heard now.
            if self._coverage is not None and not (play is not None and play.found_later):
                self._coverage.touch(station.radio_id)
        if play is None or recorded is None:
            return
        if not play.found_later:  # a play found in the archive says nothing of the stream now
            self._heard(station.radio_id)
            self._set_status(station, "live", last_play_at=play.start)
        if not recorded.created:
            return
        stored = play.model_copy(update={"id": recorded.play_id})
        self._play_recorded.emit(RecordedPlay(stored, station))
        self._check_watchlist(stored)

    def _record_on_air(
        self, station: MonitoredStation, item: LongpollEvent, event: MatchEvent
    ) -> None:
        """An early event: the song is on air now; the history gets it with its final event."""
        play = self._play(station, event)
        if item.timestamp is not None:
            with transaction(self._state.connection, "move past the on-air event") as _:
                self._state.save_since_time(station.radio_id, item.timestamp)
        if play is None:
            return
        self._heard(station.radio_id)
        self._set_status(station, "live")
        self._play_on_air.emit(OnAirPlay(play, station))

    def _record_notification(
        self, station: MonitoredStation, item: LongpollEvent, event: NotificationEvent
    ) -> None:
        state, text = notification_state(event)
        at = (
            datetime.fromtimestamp(event.time, UTC)
            if event.time
            else datetime.fromtimestamp(item.timestamp / 1000, UTC)
            if item.timestamp
            else now()
        )
        key = f"{self.backend}:{station.radio_id}:{item.timestamp or event.time}:{event.notification_code}"
        with transaction(self._state.connection, "record the stream event") as _:
            if self._stream_events is not None:
                self._stream_events.record(
                    StreamEvent(
                        station.radio_id,
                        at,
                        state,
                        event.notification_code,
                        event.notification_message,
                        event.model_dump(mode="json", exclude_none=True),
                    ),
                    key=key,
                )
            if item.timestamp is not None:
                self._state.save_since_time(station.radio_id, item.timestamp)
        self._heard(station.radio_id)
        self._set_status(station, state, text, at=at)

    def _check_watchlist(self, play: Play) -> None:
        if self._watchlist is None:
            return
        for rule in matching_rules(self._watchlist.rules(), play, now=now(), tz=self._local_tz):
            alert = alert_for(rule, play, self._local_tz)
            self.last_alert = alert
            if self._notifier is not None:
                try:
                    self._notifier.notify(alert.title, alert.body, play.id, rule.id)
                except Exception:
                    log.exception("the notifier failed for rule %s", rule.id)
            self._alert_raised.emit(alert)
