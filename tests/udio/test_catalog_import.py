"""A downloaded Udio song goes to the catalog uploader tagged with provenance udio:<id>."""

from __future__ import annotations

import pytest

from radiowatch.udio.catalog_import import CatalogImportError, catalog_metadata, import_to_catalog
from radiowatch.udio.models import UdioSong
from tests.fakes.fake_udio import make_mp3, seed_songs

pytestmark = pytest.mark.asyncio


async def test_uploader_receives_the_file_and_provenance_metadata(tmp_path):
    song = UdioSong.model_validate(seed_songs()[0])
    path = tmp_path / "song.mp3"
    path.write_bytes(make_mp3())
    received = []

    async def uploader(p, metadata):
        received.append((p, metadata))
        return {"track_id": 7}

    assert await import_to_catalog(path, song, uploader) == {"track_id": 7}
    assert received == [
        (
            path,
            {
                "title": "Final Echoes",
                "artist": "IntenseOud7926",
                "provenance": "udio:4f6532fa-ef6f-495b-a7fe-98b58453c9bc",
                "kind": "song",
            },
        )
    ]


async def test_a_missing_file_is_refused_with_a_clear_message(tmp_path):
    song = UdioSong.model_validate(seed_songs()[1])

    async def uploader(p, metadata):  # pragma: no cover - must not be called
        raise AssertionError("uploader called")

    with pytest.raises(CatalogImportError) as info:
        await import_to_catalog(tmp_path / "gone.mp3", song, uploader)
    assert "Echoes of Tomorrow" in str(info.value) and "Download it again" in str(info.value)


async def test_untitled_songs_still_get_a_title_and_artist():
    metadata = catalog_metadata(UdioSong(id="abc12345-x", title="", artist=None))
    assert metadata["title"].startswith("Untitled") and metadata["artist"] == "Udio"


async def test_the_metadata_fits_the_local_engines_catalog_as_is(tmp_path):
    from radiowatch.engine.fingerprint.catalog import Catalog

    song = UdioSong.model_validate(seed_songs()[1])
    path = tmp_path / "echoes.mp3"
    path.write_bytes(make_mp3(seconds=3.0))
    catalog = Catalog.open(tmp_path / "engine")
    try:

        async def uploader(p, metadata):
            return catalog.add_file(p, **metadata)

        track = await import_to_catalog(path, song, uploader)
        assert catalog.get(track.track_id).provenance == f"udio:{song.id}"
        assert (track.title, track.artist, track.kind) == (
            "Echoes of Tomorrow",
            "EYST HINE",
            "song",
        )
    finally:
        catalog.close()
