"""From what someone typed to a saved station: the one path every way of adding one takes.

The station dialog, the first-run assistant and `radiowatch stations add` check the same things
in the same order and resolve a playlist the same way, so a station the command line accepts is
one the dialog would have accepted, with the same message when it is not:

1. `input_problems`: every check that needs no network (name, the form of the stream address,
   radio_id in range and free), all at once, so a form can show every problem in one go;
2. `save_station`: those checks again, then a playlist (URL or file) resolved to the stream in
   it (network, up to the timeout), then the store writes it.

Every failure is a StationError naming the field ('name', 'source', 'radio_id').
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from radiowatch.stations.errors import StationError
from radiowatch.stations.playlists import DEFAULT_TIMEOUT, resolve_source
from radiowatch.stations.sources import SourceKind, classify_source
from radiowatch.stations.store import Station, StationStore, validate_name, validate_radio_id


@dataclass(frozen=True)
class SavedStation:
    station: Station
    note: str = ""  # what resolving the playlist found, e.g. "Resolved from playlist to …"


def input_problems(
    store: StationStore,
    *,
    name: str,
    entered: str,
    radio_id: object = None,
    station: Station | None = None,
) -> list[StationError]:
    """Every problem found without the network; [] when the input may be saved.
    `radio_id` None means "the next free one"; `station` is the one being edited."""
    problems: list[StationError] = []
    try:
        validate_name(name)
    except StationError as exc:
        problems.append(exc)
    try:
        classify_source(entered)
    except StationError as exc:
        problems.append(exc)
    if radio_id is not None:
        try:
            store.check_radio_id_free(
                validate_radio_id(radio_id), station.id if station is not None else None
            )
        except StationError as exc:
            problems.append(exc)
    return problems


def needs_resolving(entered: str) -> bool:
    """A playlist link or file: it is fetched or read before the station can be saved."""
    try:
        return classify_source(entered) in (SourceKind.PLAYLIST_URL, SourceKind.PLAYLIST_FILE)
    except StationError:
        return False


async def save_station(
    store: StationStore,
    *,
    name: str,
    entered: str,
    radio_id: object = None,
    enabled: bool = True,
    station: Station | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    client: httpx.AsyncClient | None = None,
) -> SavedStation:
    """Check, resolve a playlist to its stream, then add the station (or update `station`).

    Raises the first StationError found; nothing is written unless every check passed. An
    edit that keeps the stream address as it was does not fetch its playlist again.
    """
    problems = input_problems(store, name=name, entered=entered, radio_id=radio_id, station=station)
    if problems:
        raise problems[0]
    entered = entered.strip()
    if station is not None and entered == station.entered:
        source, note = station.source, ""
    else:
        resolved = await resolve_source(entered, client=client, timeout=timeout)
        source, note = resolved.source, resolved.note
    number = None if radio_id is None else validate_radio_id(radio_id)
    if station is None:
        saved = store.add(
            name=name, source=source, entered=entered, radio_id=number, enabled=enabled
        )
    else:
        saved = store.update(
            station.id,
            name=name,
            source=source,
            entered=entered,
            radio_id=number,
            enabled=enabled,
        )
    return SavedStation(saved, note)
