"""`radiowatch-engine demo`: music recognised live, offline, within a minute of starting.

It adds a demo catalog of a dozen generated songs (music_synthesis.DEMO_SONGS, each with its own
key, tempo and instruments; invented titles and artists) once, starts the "radiowatch demo FM"
station on loopback (demo_station: a real Icecast-style MP3 stream with ICY titles) playing
them in rotation with talk or noise in between, and registers it as stream DEMO_RADIO_ID. With
no callback URL set, it sets AudD's placeholder `https://audd.tech/empty/` (never contacted by
the engine), so long polls deliver the demo's plays at once.

The station's address changes each run (a free port), so the stream's URL is updated each run.
The demo songs share the user's catalog, marked kind "song" and provenance DEMO_PROVENANCE
(`radiowatch-engine catalog list --json` shows it), so `remove_demo_catalog` can take exactly
them out again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.music_synthesis import (
    DEMO_SONGS,
    STATION_RATE,
    SongRecipe,
    render_noise,
    render_song,
    render_talk,
)
from radiowatch.engine.demo.station import IcecastStation, Segment
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.runtime import EngineRuntime

log = logging.getLogger(__name__)

DEMO_RADIO_ID = 990001
DEMO_PROVENANCE = "radiowatch demo"
STATION_NAME = "radiowatch demo FM"


def demo_programme(
    song_s: float, gap_s: float, songs: tuple[SongRecipe, ...] = DEMO_SONGS
) -> Iterator[Segment]:
    """One rotation: every song, each followed by talk or noise."""
    for i, recipe in enumerate(songs):
        yield Segment(
            f"{recipe.artist} - {recipe.title}", render_song(recipe, song_s, STATION_RATE)
        )
        gap = (
            render_talk(gap_s, STATION_RATE, seed=i)
            if i % 2 == 0
            else render_noise(gap_s, STATION_RATE, seed=i)
        )
        yield Segment(f"{STATION_NAME} - station break", gap)


def ensure_demo_catalog(catalog, song_s: float) -> int:
    """Add the demo songs that are not in the catalog yet; returns how many were added.

    Demo songs have no source file, so an index upgrade cannot rebuild them (it lists them as
    unindexed): those are rendered and added again."""
    unindexed = catalog.unindexed()
    for t in demo_tracks(catalog):
        if t.track_id in unindexed:
            catalog.remove(t.track_id)
    present = {(t.artist, t.title) for t in demo_tracks(catalog)}
    added = 0
    for recipe in DEMO_SONGS:
        if (recipe.artist, recipe.title) in present:
            continue
        catalog.add_samples(
            render_song(recipe, song_s, SAMPLE_RATE),
            title=recipe.title,
            artist=recipe.artist,
            album=recipe.album,
            kind="song",
            provenance=DEMO_PROVENANCE,
        )
        added += 1
    return added


def demo_tracks(catalog) -> list:
    return [t for t in catalog.tracks() if t.provenance == DEMO_PROVENANCE]


def remove_demo_catalog(catalog) -> int:
    """Remove the demo songs (and nothing else); returns how many were removed. The next
    `radiowatch-engine demo` adds them again."""
    return sum(bool(catalog.remove(t.track_id)) for t in demo_tracks(catalog))


async def start_demo(runtime: EngineRuntime, base_url: str) -> None:
    settings = runtime.settings
    loop = asyncio.get_running_loop()
    added = await loop.run_in_executor(
        runtime.catalog_writer, ensure_demo_catalog, runtime.catalog, settings.demo_song_s
    )
    if added:
        log.info("demo: added %d generated songs to the catalog", added)
    station = IcecastStation(
        lambda: demo_programme(settings.demo_song_s, settings.demo_gap_s), name=STATION_NAME
    )
    url = await station.start()
    runtime.on_stop(station.stop)
    if not runtime.events.callback_url:
        runtime.events.set_callback_url(PLACEHOLDER_CALLBACK_URL)
    if runtime.store.stream(DEMO_RADIO_ID) is None:
        await runtime.streams.add(DEMO_RADIO_ID, url, callbacks="after", token=runtime.token)
    else:
        await runtime.streams.set_url(DEMO_RADIO_ID, url)
    log.info(
        "demo: station %s on air at %s, monitored as radio_id %d", STATION_NAME, url, DEMO_RADIO_ID
    )
