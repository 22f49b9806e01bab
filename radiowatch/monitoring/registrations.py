"""Keeping the backend's streams in step with the station list: addStream for a new station,
setStreamUrl for a changed source, deleteStream for one disabled or removed, and the early
"on air" events asked for (`callbacks=both`) where the backend knows them. Only streams that
radiowatch registered itself are ever deleted; others on the account are left alone. No Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from radiowatch.audd import AudDClient, AudDError
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.monitoring.stream_state import StreamStateStore

log = logging.getLogger(__name__)


async def register_streams(
    client: AudDClient,
    state: StreamStateStore,
    stations: list[MonitoredStation],
    *,
    callbacks: Literal["both"] | None,
    on_refused: Callable[[MonitoredStation, AudDError], object],
) -> dict[int, Any]:
    """Register, update and delete streams; returns the backend's streams by radio id as they
    are afterwards. A stream the backend refuses is reported to `on_refused` (when enabled)
    and does not stop the others."""
    remote = {s.radio_id: s for s in await client.streams.list() if s.radio_id is not None}
    ours = state.registered()
    known_ids = {s.radio_id for s in stations}
    for station in stations:
        try:
            await _register_one(
                client, state, station, remote.get(station.radio_id), ours, callbacks
            )
        except AudDError as exc:
            log.warning("stream %s: %s", station.radio_id, exc)
            if station.enabled:
                on_refused(station, exc)
    # Stations deleted from radiowatch whose stream we registered: free the slot.
    for radio_id in set(ours) - known_ids:
        try:
            if radio_id in remote:
                await client.streams.delete(radio_id)
            state.set_registered(radio_id, None)
        except AudDError as exc:
            log.warning("could not delete stream %s: %s", radio_id, exc)
    if any(s.enabled and s.radio_id not in remote for s in stations):
        remote = {s.radio_id: s for s in await client.streams.list() if s.radio_id is not None}
    return remote


async def _register_one(
    client: AudDClient,
    state: StreamStateStore,
    station: MonitoredStation,
    stream: Any,
    ours: dict[int, str],
    callbacks: Literal["both"] | None,
) -> None:
    radio_id = station.radio_id
    if not station.enabled:
        if stream is not None and radio_id in ours:
            await client.streams.delete(radio_id)
        if radio_id in ours:
            state.set_registered(radio_id, None)
        return
    if stream is None:
        try:
            await client.streams.add(station.source, radio_id, callbacks=callbacks)
        except AudDError:
            if callbacks is None:
                raise
            # an engine from before callbacks=both: plays are then recorded when they end
            await client.streams.add(station.source, radio_id)
    elif (stream.url or "") != station.source:
        await client.streams.set_url(radio_id, station.source)
    mode = (stream.model_extra or {}).get("callbacks") if stream is not None else None
    if callbacks and mode is not None and mode != callbacks:  # registered in another mode
        await client.streams.add(station.source, radio_id, callbacks=callbacks)
    if ours.get(radio_id) != station.source:
        state.set_registered(radio_id, station.source)
