"""Turning what a backend reports into history `Play`s: a long-poll match, a recognised clip.

Both backends (AudD cloud, local engine) answer in AudD's shapes, so one mapping serves both;
the Recognize tab's "save to history" uses the same rules as live monitoring.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from radiowatch.audd import MatchEvent
from radiowatch.audd.models import RecognitionResult
from radiowatch.history.play import Play
from radiowatch.monitoring.stations_source import MonitoredStation


def play_from_match(
    event: MatchEvent, *, station: MonitoredStation, backend: str, timestamp_tz: tzinfo
) -> Play:
    """A `Play` from a long-poll match, with the event kept raw. Raises ValueError if unusable.

    A custom-catalog hit from the cloud carries `audio_id` rather than artist/title; it is
    marked with provenance 'catalog' so catalog watch rules and the UI can tell.
    """
    raw = event.model_dump(mode="json", exclude_none=True)
    play = Play.from_stream_result(
        raw,
        station_name=station.name,
        backend=backend,
        timestamp_tz=timestamp_tz,
        raw_event=raw,
    )
    if play.radio_id is None:
        play = play.model_copy(update={"radio_id": station.radio_id})
    icy = raw.get("stream_title")  # the local engine reports the stream's ICY title
    if isinstance(icy, str) and icy:
        play = play.model_copy(update={"icy_title": icy})
    song = event.song
    provenance = (song.model_extra or {}).get("provenance") if song is not None else None
    if isinstance(provenance, str) and provenance:
        play = play.with_provenance(provenance)  # `udio:<id>` flags the play AI-generated
    elif song is not None and song.audio_id is not None:
        play = play.with_provenance("catalog")
    if song is not None and not play.title and song.audio_id is not None:
        play = play.model_copy(update={"title": f"Catalog track #{song.audio_id}"})
    return play


def play_from_recognition(result: RecognitionResult, backend: str) -> Play:
    """A manual history entry for a clip recognised in the Recognize tab, aired now."""
    return Play(
        start=datetime.now(UTC),
        artist=result.artist or "",
        title=result.title or "",
        album=result.album,
        label=result.label,
        release_date=result.release_date,
        isrc=result.isrc,
        upc=result.upc,
        score=result.score,
        song_link=result.song_link,
        backend=backend,
        origin="manual",
    )
