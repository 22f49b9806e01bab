"""AudD's custom catalog (`/upload/`, docs/protocols/audd.md §8) on the local catalog.

`audio_id` is the client's own number for a song; the engine maps it to a catalog track (in
engine.sqlite3) so that recognitions of that song answer with the `audio_id`, and uploading the
same `audio_id` again replaces the track ("re-fingerprints that slot"). Uploads are decoded and
fingerprinted on worker processes (one per core, upload_pool.py); catalog writes happen on one
writer thread, as the catalog requires.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any

from radiowatch.engine.api.replies import FINGERPRINT_FAILED, INVALID_AUDIO, ApiError
from radiowatch.engine.api.request import AudioUpload
from radiowatch.engine.api.upload_pool import UploadFailed, UploadPool
from radiowatch.engine.fingerprint.catalog import Fingerprint
from radiowatch.engine.fingerprint.restore import restore, same_audio
from radiowatch.engine.store import EngineStore


class CustomCatalog:
    def __init__(
        self, catalog: Any, store: EngineStore, writer: Executor, uploads: UploadPool
    ) -> None:
        self._catalog = catalog
        self._store = store
        self._writer = writer
        self._uploads = uploads

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
        fp = await self.fingerprint(
            audio,
            {
                "title": title,
                "artist": artist,
                "album": album,
                "isrc": isrc,
                "kind": kind,
                "provenance": provenance or f"custom catalog upload, audio_id {audio_id}",
            },
            name_from_file=name_from_file,
        )
        return await self.store(audio_id, fp)

    async def fingerprint(
        self, audio: AudioUpload, meta: dict[str, Any], *, name_from_file: bool = False
    ) -> Fingerprint:
        """Decode and fingerprint an upload on a worker process (upload_pool.py): adds run on
        every core, and only storing waits for the catalog's single writer."""
        try:
            return await self._uploads.fingerprint(
                audio.read_all(), audio.filename or "", meta, name_from_file=name_from_file
            )
        except UploadFailed as exc:
            if exc.decoding:
                raise ApiError(
                    INVALID_AUDIO, f"the file could not be decoded as audio: {exc}"
                ) from exc
            raise ApiError(
                FINGERPRINT_FAILED, f"the song could not be fingerprinted: {exc}"
            ) from exc

    async def store(self, audio_id: int, fp: Fingerprint) -> Any:
        """Store a fingerprinted upload under `audio_id` (replacing that id's old track)."""
        previous = self._store.custom_track(audio_id)
        track = await asyncio.get_running_loop().run_in_executor(
            self._writer, self._store_sync, fp, previous
        )
        self._store.set_custom_track(audio_id, track.track_id)
        return track

    def _store_sync(self, fp: Fingerprint, previous: str | None) -> Any:
        wanted = fp.meta.get("title") or "track"
        lost = self._catalog.unindexed()  # tracks an upgrade could not find the file of
        if wanted in lost and same_audio(self._catalog, wanted, fp):
            track = restore(self._catalog, wanted, fp)
        else:
            track = self._catalog.add_fingerprints([(wanted, fp)])[0]
        if previous is not None and previous != track.track_id:
            self._catalog.remove(previous)
        return track
