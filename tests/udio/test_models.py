"""Reading songs and settings: tolerant of nulls, unknown fields and other gateways' shapes."""

from __future__ import annotations

import pytest

from radiowatch.udio.client import UdioClient, parse_songs
from radiowatch.udio.endpoint import UdioEndpoint
from radiowatch.udio.errors import UdioNotConfiguredError, UdioProtocolError
from radiowatch.udio.media import audio_filename
from radiowatch.udio.models import SongStatus, UdioSong
from tests.fakes.fake_udio import SEED_SONG_IDS, TEST_KEY

FIRST, SECOND = SEED_SONG_IDS


@pytest.mark.parametrize(
    ("base_url", "key"), [("", TEST_KEY), ("http://127.0.0.1:9", ""), ("ftp://x", TEST_KEY)]
)
def test_missing_base_url_or_key_says_where_to_set_it(base_url, key):
    with pytest.raises(UdioNotConfiguredError) as info:
        UdioClient(UdioEndpoint(base_url=base_url), key)
    assert "Accounts & tokens" in str(info.value)


def test_unknown_fields_are_kept_and_nulls_are_accepted():
    (song,) = parse_songs(
        {
            "songs": [
                {
                    "id": FIRST,
                    "title": None,
                    "tags": None,
                    "duration": None,
                    "song_path": None,
                    "finished": False,
                    "stems": {"vocals": "v.mp3"},
                }
            ]
        }
    )
    assert song.model_extra["stems"] == {"vocals": "v.mp3"}
    assert song.tags == [] and song.audio_url is None and song.status is SongStatus.PENDING
    assert song.display_title.startswith("Untitled")


def test_reply_shapes_of_other_gateways_are_read():
    assert parse_songs([{"id": FIRST}])[0].id == FIRST
    assert parse_songs({"data": {"songs": [{"id": FIRST}]}})[0].id == FIRST
    assert parse_songs({"data": None}) == []
    assert parse_songs({"songs": [{"no_id": 1}, {"id": SECOND}]})[0].id == SECOND
    with pytest.raises(UdioProtocolError):
        parse_songs({"status": "ok"})


def test_filenames_are_safe_for_every_filesystem():
    song = UdioSong(id="abcdef12-0000", title='AC/DC: "Live"?')
    assert audio_filename(song) == "AC DC Live [abcdef12].mp3"
    assert audio_filename(UdioSong(id="abcdef12-0000", title="...")) == "Udio song [abcdef12].mp3"
