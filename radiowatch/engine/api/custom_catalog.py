"""AudD's custom catalog (`/upload/`, docs/protocols/audd.md §8) on the local catalog.

`audio_id` is the client's own number for a song; the engine maps it to a catalog track (in
engine.sqlite3) so that recognitions of that song answer with the `audio_id`, and uploading the
same `audio_id` again replaces the track ("re-fingerprints that slot"). Catalog writes happen on
one writer thread, as the catalog requires.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any

from radiowatch.engine.api.replies import FINGERPRINT_FAILED, INVALID_AUDIO, ApiError
from radiowatch.engine.api.request import AudioUpload
from radiowatch.engine.fingerprint.decode import DecodeError, decode_bytes
from radiowatch.engine.store import EngineStore


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
    ) -> Any:
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
            self._writer, self._add_sync, data, audio.filename, meta, previous
        )
        self._store.set_custom_track(audio_id, track.track_id)
        return track

    def _add_sync(self, data: bytes, name: str, meta: dict[str, Any], previous: str | None) -> Any:
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
