"""Model helpers and tolerance: what a UI reads off a recognition result."""

from __future__ import annotations

from radiowatch.audd import (
    ERROR_CODES,
    AudDServerError,
    RecognitionResult,
    error_envelope,
    error_from_body,
    parse_callback,
    parse_longpoll_reply,
    success_envelope,
    timeout_reply,
)
from radiowatch.audd.codes import longpoll_event_reply
from radiowatch.audd.errors import exception_class
from tests.fakes.fake_audd import fixture


def full_result() -> RecognitionResult:
    return RecognitionResult.model_validate(fixture("recognize_with_metadata_all.json")["result"])


def test_streaming_urls_prefer_the_providers_own_links():
    song = full_result()
    assert song.streaming_url("apple_music").startswith("https://music.apple.com/")
    assert song.streaming_url("spotify").startswith("https://open.spotify.com/")
    assert song.streaming_url("deezer") == "https://lis.tn/NbkVb?deezer"  # no deezer block
    assert song.streaming_url("youtube") == "https://lis.tn/NbkVb?youtube"


def test_cover_art_preview_and_thumbnail():
    song = full_result()
    assert song.cover_art_url(300).endswith("/300x300bb.jpg")
    assert song.preview_url().endswith(".m4a")
    assert song.thumbnail_url == "https://lis.tn/NbkVb?thumb"
    bare = RecognitionResult(artist="A", title="T", song_link="https://youtu.be/abc")
    assert bare.thumbnail_url is None and bare.cover_art_url() is None
    assert bare.streaming_url("spotify") is None


def test_pretty_is_one_readable_line():
    assert full_result().pretty() == (
        "Tears For Fears — Everybody Wants To Rule The World "
        "(Songs From The Big Chair, 2014) @00:56"
    )


def test_unknown_fields_are_kept_and_wrong_types_are_coerced_or_dropped():
    song = RecognitionResult.model_validate(
        {
            "artist": 123,
            "title": ["not", "a", "string"],
            "score": "85",
            "audio_id": 8.9,
            "apple_music": "not an object",
            "musicbrainz": [{"id": "x", "score": "100"}, 5],
            "song_length": "03:12",
            "new_field": {"nested": True},
        }
    )
    assert (song.artist, song.title, song.score, song.audio_id) == ("123", None, 85, 8)
    assert song.apple_music is None
    assert [m.score for m in song.musicbrainz] == [100]
    assert song.model_extra == {"song_length": "03:12", "new_field": {"nested": True}}
    dumped = song.model_dump(exclude_none=True)
    assert dumped["new_field"] == {"nested": True}


def test_server_helpers_build_replies_the_client_reads_back():
    """codes.py is how the local engine builds replies: they must parse as AudD's do."""
    body = error_envelope(902, method="addStream", params={"api_token": "secret99", "radio_id": 3})
    exc = error_from_body(body)
    assert type(exc).__name__ == "AudDQuotaError"
    assert exc.request_params == {"api_token": "s***9", "radio_id": "3"}
    assert exc.message.startswith("Adding a stream stream failed: ")
    enterprise = error_from_body(error_envelope(904, enterprise=True, params={"url": "u"}))
    assert enterprise.request_params == {"url": "u", "method": "recognize"}
    assert "execution_time" in error_envelope(904, enterprise=True)
    data = fixture("callback_result.json")
    hybrid = longpoll_event_reply(1700000000000, "de4b8e91c", data)
    assert hybrid == fixture("longpoll_event_match_hybrid.json") | {
        "timestamp": 1700000000000,
        "events": [{"timestamp": 1700000000000, "category": "de4b8e91c", "data": data}],
    }
    assert parse_longpoll_reply(hybrid).events[0].event == parse_callback(data)
    assert parse_longpoll_reply(timeout_reply(5)).since_time == 5
    assert success_envelope(None) == fixture("mutation_success.json")


def test_every_known_code_has_its_own_class_and_unknown_codes_are_server_errors():
    for code, row in ERROR_CODES.items():
        assert exception_class(code).__name__ == row.exception
    assert exception_class(4242) is AudDServerError
    assert exception_class(904, api_method="upload").__name__ == "AudDCustomCatalogAccessError"
