"""AudD's custom catalog (`/upload/`, docs/protocols/audd.md §8) on the local catalog.

`audio_id` is the client's own number for a song; the engine maps it to a catalog track (in
engine.sqlite3) so that recognitions of that song answer with the `audio_id`, and uploading the
same `audio_id` again replaces the track ("re-fingerprints that slot"). Catalog writes happen on
one writer thread, as the catalog requires.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import Executor
from typing import Any

from radiowatch.engine.api.replies import FINGERPRINT_FAILED, INVALID_AUDIO, ApiError
from radiowatch.engine.api.request import AudioUpload
from radiowatch.engine.fingerprint.decode import DecodeError, decode_bytes, read_tags
from radiowatch.engine.store import EngineStore
from radiowatch.track_names import tags_from_file_name

_TAGGED = ("title", "artist", "album", "isrc")


class CustomCatalog:
    def __init__(self, catalog: Any, store: EngineStore, writer: Executor) -> None:
        self._catalog = catalog
        self._store = store
        self._writer = writer

    async def add(
        self,
        audio_id: int,
        audio: AudioUpload,
        *,
        title: str | None = None,
        artist: str | None = None,
        album: str | None = None,
        isrc: str | None = None,
        kind: str = "song",
        provenance: str | None = None,
        name_from_file: bool = False,
    ) -> Any:
        """Add (or, for a known `audio_id`, replace) a track. Missing title/artist/album/ISRC
        come from the file's tags; with `name_from_file` (the Catalog tab's adds), an untagged
        file without a given title takes what its file name says (radiowatch/track_names.py).
        AudD's own `/upload/` keeps AudD's meaning: a file name there is often generic."""
        previous = self._store.custom_track(audio_id)
        meta = {
            "title": title,
            "artist": artist,
            "album": album,
            "isrc": isrc,
            "kind": kind,
            "provenance": provenance or f"custom catalog upload, audio_id {audio_id}",
        }
        data = audio.read_all()
        track = await asyncio.get_running_loop().run_in_executor(
            self._writer, self._add_sync, data, audio.filename, meta, previous, name_from_file
        )
        self._store.set_custom_track(audio_id, track.track_id)
        return track

    def _add_sync(
        self,
        data: bytes,
        name: str,
        meta: dict[str, Any],
        previous: str | None,
        name_from_file: bool = False,
    ) -> Any:
        if not all(meta.get(k) for k in _TAGGED):
            meta = meta | _names(data, name or "", meta, name_from_file)
        try:
            samples = decode_bytes(data, name=name)
        except DecodeError as exc:
            raise ApiError(INVALID_AUDIO, f"the file could not be decoded as audio: {exc}") from exc
        try:
            track = self._catalog.add_samples(samples, **meta)
        except ValueError as exc:
            raise ApiError(
                FINGERPRINT_FAILED, f"the song could not be fingerprinted: {exc}"
            ) from exc
        if previous is not None and previous != track.track_id:
            self._catalog.remove(previous)
        return track


def _names(data: bytes, name: str, given: dict[str, Any], name_from_file: bool) -> dict[str, str]:
    """The tag fields `given` lacks, from the file's tags (and, if allowed and the file names
    no title, from its file name)."""
    found = read_tags(io.BytesIO(data))
    if name_from_file and not given.get("title") and not found.get("title"):
        suggestion = tags_from_file_name(name)
        if not (found.get("artist") or given.get("artist")) or "artist" not in suggestion:
            found = suggestion | found
        elif suggestion.get("title"):
            found = {"title": suggestion["title"]} | found
    return {k: v for k, v in found.items() if k in _TAGGED and not given.get(k)}
