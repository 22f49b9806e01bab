"""Which stations to monitor: a small protocol, so the service does not care who keeps the list.

`StationStoreSource` adapts the Stations tab's `StationStore` (the `stations` table); tests and
the benchmark can pass a `StaticStations` list instead. A source with `subscribe(listener)`
lets the service re-register streams as soon as the user edits a station. `PushedStations` is
the source of a service on the monitoring thread: the GUI side, which owns the `StationStore`
and its database connection, pushes each new list in (monitoring_thread.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from pydantic import BaseModel

from radiowatch.signals import Signal
from radiowatch.stations.store import StationStore


class MonitoredStation(BaseModel):
    radio_id: int
    name: str
    source: str
    """What the backend is given: a stream URL or a twitch:/youtube: form."""
    enabled: bool = True


class StationSource(Protocol):
    def stations(self) -> list[MonitoredStation]:
        """Every station, enabled or not (a disabled one must be unregistered)."""
        ...


class StaticStations:
    def __init__(self, stations: Iterable[MonitoredStation]) -> None:
        self._stations = list(stations)

    def stations(self) -> list[MonitoredStation]:
        return list(self._stations)

    def replace(self, stations: Iterable[MonitoredStation]) -> None:
        self._stations = list(stations)


class StationStoreSource:
    """The Stations tab's `StationStore`, seen as a source; `subscribe` tells of edits."""

    def __init__(self, store: StationStore) -> None:
        self._store = store

    def stations(self) -> list[MonitoredStation]:
        return [
            MonitoredStation(radio_id=s.radio_id, name=s.name, source=s.source, enabled=s.enabled)
            for s in self._store.list()
        ]

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._store.subscribe(listener)


class PushedStations:
    """A list someone else keeps current: `replace()` swaps it and tells the subscribers.

    Not thread-safe by itself: call `replace` on the thread of the service that subscribed
    (the monitoring thread does this on its own loop)."""

    def __init__(self, stations: Iterable[MonitoredStation]) -> None:
        self._stations = list(stations)
        self.changed: Signal[[]] = Signal("pushed stations changed")

    def stations(self) -> list[MonitoredStation]:
        return list(self._stations)

    def replace(self, stations: Iterable[MonitoredStation]) -> None:
        self._stations = list(stations)
        self.changed.emit()

    def subscribe(self, listener: Callable[[], object]) -> Callable[[], None]:
        return self.changed.subscribe(listener)
