"""Downloading MP3s and covers from the (fake) media hosts: caps, expiry, no key leakage."""

from __future__ import annotations

import av
import pytest

from radiowatch.udio.errors import AudioNotMp3Error, AudioTooLargeError, AudioUnavailableError
from radiowatch.udio.media import download_audio, fetch_cover
from radiowatch.udio.models import UdioSong
from tests.fakes.fake_udio import SEED_SONG_IDS, TEST_KEY
from tests.udio.conftest import make_client

pytestmark = pytest.mark.asyncio


@pytest.fixture
def downloads(tmp_path):
    path = tmp_path / "downloads"
    path.mkdir()
    return path


FIRST, SECOND = SEED_SONG_IDS


async def _song(fake, song_id=FIRST) -> UdioSong:
    async with make_client(fake) as client:
        (result,) = await client.fetch([song_id])
    return result.song


async def test_download_writes_an_mp3_that_decodes_named_after_the_title(fake_udio, downloads):
    song = await _song(fake_udio)
    progress = []
    async with make_client(fake_udio) as client:
        path = await download_audio(
            client.http, song, downloads, on_progress=lambda n, t: progress.append((n, t))
        )
    assert path.name == "Final Echoes [4f6532fa].mp3"
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
    assert sum(f.samples for f in frames) / frames[0].sample_rate == pytest.approx(2.0, abs=0.1)
    assert progress[-1] == (path.stat().st_size, path.stat().st_size)
    assert [p.name for p in downloads.iterdir()] == [path.name]  # no temp file left


async def test_the_audio_host_never_receives_the_api_key(fake_udio, downloads):
    song = await _song(fake_udio)
    async with make_client(fake_udio) as client:
        await download_audio(client.http, song, downloads)
        await fetch_cover(client.http, song)
    media = [r for r in fake_udio.requests if r not in fake_udio.api_requests()]
    assert len(media) == 2
    assert all(TEST_KEY not in str(r.headers) for r in media)


@pytest.mark.parametrize(
    ("status", "words"),
    [(410, "expired"), (403, "expired or downloads are restricted"), (404, "no longer has it")],
)
async def test_expired_or_refused_link_is_a_clear_per_song_error_and_leaves_no_file(
    fake_udio, downloads, status, words
):
    song = await _song(fake_udio)
    fake_udio.expire_audio(FIRST, status=status)
    async with make_client(fake_udio) as client:
        with pytest.raises(AudioUnavailableError) as info:
            await download_audio(client.http, song, downloads)
    assert info.value.song_id == FIRST and info.value.status_code == status
    assert "Final Echoes" in str(info.value) and words in str(info.value)
    assert "details are kept" in str(info.value)
    assert list(downloads.iterdir()) == []


async def test_a_file_over_the_size_cap_is_refused(fake_udio, downloads):
    song = await _song(fake_udio)
    async with make_client(fake_udio) as client:
        with pytest.raises(AudioTooLargeError):
            await download_audio(client.http, song, downloads, max_bytes=1000)
    assert list(downloads.iterdir()) == []


async def test_an_error_page_served_with_200_is_not_saved_as_mp3(fake_udio, downloads):
    song = await _song(fake_udio)
    fake_udio.audio_bytes = b"<html><body>Access denied</body></html>"
    async with make_client(fake_udio) as client:
        with pytest.raises(AudioNotMp3Error):
            await download_audio(client.http, song, downloads)
    assert list(downloads.iterdir()) == []


async def test_a_song_still_generating_has_no_audio_to_download(fake_udio, downloads):
    fake_udio.finish_after(FIRST, polls=1)
    song = await _song(fake_udio)
    async with make_client(fake_udio) as client:
        with pytest.raises(AudioUnavailableError) as info:
            await download_audio(client.http, song, downloads)
    assert "still generating" in str(info.value)


async def test_cover_is_fetched_and_a_missing_one_is_simply_none(fake_udio):
    song = await _song(fake_udio)
    async with make_client(fake_udio) as client:
        data = await fetch_cover(client.http, song)
        missing = await fetch_cover(
            client.http, song.model_copy(update={"image_path": fake_udio.base_url + "/nope"})
        )
        none = await fetch_cover(client.http, song.model_copy(update={"image_path": None}))
    assert data.startswith(b"\x89PNG")
    assert missing is None and none is None
