"""Exports leave the creator's profile image and user id out unless the user opts in."""

from __future__ import annotations

import json

from radiowatch.udio.client import parse_songs
from radiowatch.udio.models import UdioSong
from radiowatch.udio.song_export import (
    is_udio_provenance,
    provenance_of,
    song_record,
    songs_to_json,
)
from tests.fakes.fake_udio import seed_songs


def _songs() -> list[UdioSong]:
    raw = seed_songs()
    raw[0]["future_field"] = {"bpm": 120}
    return parse_songs({"songs": raw})


def test_export_leaves_profile_image_and_user_id_out_by_default():
    text = songs_to_json(_songs())
    assert "artist_image" not in text and "user_id" not in text
    assert "googleusercontent" not in text and "26bd7dea-8962-46b8-8a0c-27a9744dc44d" not in text
    record = json.loads(text)["songs"][0]
    assert record["artist"] == "IntenseOud7926"  # the public credit stays
    assert record["provenance"] == "udio:4f6532fa-ef6f-495b-a7fe-98b58453c9bc"
    assert record["future_field"] == {"bpm": 120}  # unknown fields survive


def test_personal_fields_are_exported_only_when_opted_in():
    record = song_record(_songs()[0], include_personal=True)
    assert record["user_id"] == "26bd7dea-8962-46b8-8a0c-27a9744dc44d"
    assert record["artist_image"].startswith("https://lh3.googleusercontent.com/")


def test_an_export_can_be_read_back_as_songs():
    again = parse_songs(json.loads(songs_to_json(_songs())))
    assert [s.title for s in again] == ["Final Echoes", "Echoes of Tomorrow"]
    assert again[1].lyrics.startswith("-verse 1-")


def test_udio_provenance_is_recognised_for_flagging_plays():
    assert is_udio_provenance(provenance_of("4f6532fa-ef6f-495b-a7fe-98b58453c9bc"))
    assert not is_udio_provenance("catalog") and not is_udio_provenance(None)
    assert not is_udio_provenance("udio:")
