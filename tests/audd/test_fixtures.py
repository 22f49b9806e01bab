"""Every fixture body in tests/fixtures/audd parses into the right model or error,
both through the pure parsers and through the client over real loopback HTTP."""

from __future__ import annotations

import json

import pytest

from radiowatch.audd import (
    AudDAuthenticationError,
    AudDBlockedError,
    AudDCustomCatalogAccessError,
    AudDInvalidRequestError,
    AudDQuotaError,
    AudDSubscriptionError,
    EnterpriseResult,
    MatchEvent,
    NotificationEvent,
    RecognitionResult,
    Stream,
    error_from_body,
    parse_callback,
    parse_longpoll_reply,
)
from tests.fakes.fake_audd import FIXTURES, fixture


def test_every_fixture_is_covered_by_these_tests():
    names = {p.name for p in FIXTURES.glob("*.json")}
    assert names == set(RECOGNIZE) | set(ENTERPRISE) | set(ERRORS) | set(STREAMS) | set(
        CALLBACKS
    ) | set(LONGPOLL) | {"mutation_success.json"}


RECOGNIZE = {
    "recognize_success.json": ("Tears For Fears", None),
    "recognize_with_metadata_all.json": ("Tears For Fears", None),
    "recognize_with_apple_music_spotify.json": ("Tears For Fears", None),
    "recognize_custom_match.json": (None, 146),
    "recognize_no_match.json": None,
}


@pytest.mark.parametrize("name", sorted(RECOGNIZE))
@pytest.mark.asyncio
async def test_recognition_fixture_parses_over_http(name, audd, fake_audd):
    fake_audd.next_reply("/", fixture(name))
    result = await audd.recognize("https://example.com/clip.mp3")
    expected = RECOGNIZE[name]
    if expected is None:
        assert result is None
        return
    assert isinstance(result, RecognitionResult)
    assert (result.artist, result.audio_id) == expected
    assert result.is_custom_match == (expected[1] is not None)


@pytest.mark.asyncio
async def test_provider_blocks_are_typed_and_absent_ones_are_none(audd, fake_audd):
    fake_audd.next_reply("/", fixture("recognize_with_metadata_all.json"))
    result = await audd.recognize(b"clip")
    assert result.apple_music.durationInMillis == 261013
    assert result.spotify.explicit is not None
    assert result.musicbrainz and result.musicbrainz[0].id
    assert result.deezer is None and result.napster is None
    assert "artwork" in result.apple_music.model_extra


@pytest.mark.asyncio
async def test_deprecated_parameter_warning_still_returns_the_result(audd, fake_audd):
    fake_audd.next_reply("/", fixture("error_51_deprecated_with_result.json"))
    with pytest.warns(DeprecationWarning, match="deprecated"):
        result = await audd.recognize(b"clip")
    assert result.title == "Everybody Wants To Rule The World"


ENTERPRISE = {
    "enterprise_success.json": [(0.0, 0.0)],
    "enterprise_accurate_offsets.json": [(0.0, 12.0), (292.2, 299.8), (292.3, 299.7)],
    "enterprise_empty.json": [],
}


@pytest.mark.parametrize("name", sorted(ENTERPRISE))
@pytest.mark.asyncio
async def test_enterprise_fixture_gives_absolute_seconds(name, audd, fake_audd):
    fake_audd.next_reply("/enterprise/", fixture(name))
    result = await audd.recognize_enterprise(b"long recording")
    assert isinstance(result, EnterpriseResult)
    got = [round(s, 3) for m in result.matches for s in (m.start_seconds, m.end_seconds)]
    assert got == [s for pair in ENTERPRISE[name] for s in pair]
    assert result.execution_time.endswith("s")


ERRORS = {
    "error_900_invalid_token.json": (AudDAuthenticationError, 900),
    "error_901_no_token_limit.json": (AudDAuthenticationError, 901),
    "error_700_no_file.json": (AudDInvalidRequestError, 700),
    "error_19_getCallbackUrl_not_set.json": (AudDBlockedError, 19),
    "error_19_branded_blocked.json": (AudDBlockedError, 19),
    "error_902_addStream_limit.json": (AudDQuotaError, 902),
    "error_904_enterprise_unauthorized.json": (AudDSubscriptionError, 904),
    "error_904_upload_no_access.json": (AudDCustomCatalogAccessError, 904),
    "error_51_deprecated_with_result.json": (AudDInvalidRequestError, 51),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_fixture_maps_to_its_exception(name):
    body = fixture(name)
    api_method = "upload" if "upload" in name else None
    exc = error_from_body(body, api_method=api_method)
    cls, code = ERRORS[name]
    assert type(exc) is cls
    assert exc.code == code
    assert str(exc).startswith(f"[#{code}] ")


@pytest.mark.asyncio
async def test_error_reply_over_http_keeps_request_details(audd, fake_audd):
    fake_audd.next_reply("/", fixture("error_900_invalid_token.json"))
    with pytest.raises(AudDAuthenticationError) as info:
        await audd.recognize("https://audd.tech/example.mp3")
    exc = info.value
    assert exc.request_params == {"api_token": "d***a", "url": "https://audd.tech/example.mp3"}
    assert exc.request_method == "recognize"
    assert exc.http_status == 200


def test_branded_error_text_becomes_branded_message_not_a_song():
    exc = error_from_body(fixture("error_19_branded_blocked.json"))
    assert exc.branded_message == "Music recognition is powered by AudD.io — Blocked"


def test_enterprise_error_uses_requested_params():
    exc = error_from_body(fixture("error_904_enterprise_unauthorized.json"))
    assert exc.request_params["limit"] == "1"


@pytest.mark.asyncio
async def test_upload_without_access_is_custom_catalog_error_over_http(audd, fake_audd):
    fake_audd.catalog_tokens.clear()
    with pytest.raises(AudDCustomCatalogAccessError):
        await audd.upload(42, b"song")


STREAMS = {
    "getStreams_empty.json": [],
    "getStreams_two_streams.json": [1, 42],
    "getCallbackUrl_success.json": "https://audd.tech/empty/",
}


@pytest.mark.parametrize("name", sorted(STREAMS))
@pytest.mark.asyncio
async def test_stream_read_fixtures_parse_over_http(name, audd, fake_audd):
    if name.startswith("getCallbackUrl"):
        fake_audd.next_reply("/getCallbackUrl/", fixture(name))
        assert await audd.streams.get_callback_url() == STREAMS[name]
        return
    fake_audd.next_reply("/getStreams/", fixture(name))
    streams = await audd.streams.list()
    assert all(isinstance(s, Stream) for s in streams)
    assert [s.radio_id for s in streams] == STREAMS[name]


def test_stream_fixture_categories_match_the_spec_hash():
    from radiowatch.audd import longpoll_category

    for item in fixture("getStreams_two_streams.json")["result"]:
        assert longpoll_category("test", item["radio_id"]) == item["longpoll_category"]


@pytest.mark.asyncio
async def test_mutation_success_fixture_is_accepted_by_every_mutation(audd, fake_audd):
    for path in ("/setCallbackUrl/", "/addStream/", "/setStreamUrl/", "/deleteStream/"):
        fake_audd.next_reply(path, fixture("mutation_success.json"))
    await audd.streams.set_callback_url("https://example.com/cb")
    await audd.streams.add("https://example.com/radio.mp3", 1)
    await audd.streams.set_url(1, "https://example.com/other.mp3")
    await audd.streams.delete(1)


CALLBACKS = {
    "callback_result.json": (MatchEvent, 111, 0),
    "callback_result_before.json": (MatchEvent, None, 0),
    "callback_result_alternatives.json": (MatchEvent, 111, 1),
    "callback_notification.json": (NotificationEvent, None, None),
}


@pytest.mark.parametrize("name", sorted(CALLBACKS))
@pytest.mark.parametrize("as_type", [dict, str, bytes])
def test_callback_fixture_parses_from_any_body_type(name, as_type):
    body = fixture(name)
    raw = body if as_type is dict else json.dumps(body)
    raw = raw.encode() if as_type is bytes else raw
    event = parse_callback(raw)
    cls, play_length, alternatives = CALLBACKS[name]
    assert type(event) is cls
    if cls is MatchEvent:
        assert event.radio_id == 7 and event.play_length == play_length
        assert len(event.alternatives) == alternatives
        assert event.song.score == 100
        assert event.played_at().isoformat() == "2020-04-13T10:31:43+03:00"
    else:
        assert (event.radio_id, event.notification_code, event.time) == (3, 650, 1587939136)
        assert event.stream_running is False


LONGPOLL = {
    "longpoll_timeout.json": ("timeout", 0, 1777901270049),
    "longpoll_error_bad_timeout.json": ("error", 0, None),
    "longpoll_event_match_golongpoll.json": ("events", 1, 1586763103000),
    "longpoll_event_match_hybrid.json": ("events", 1, 1586763103000),
    "longpoll_event_match_sdk_flat.json": ("events", 1, 1586763103000),
    "longpoll_event_notification_golongpoll.json": ("events", 1, 1587939136000),
    "longpoll_event_notification_sdk_flat.json": ("events", 1, 1587939136000),
}


@pytest.mark.parametrize("name", sorted(LONGPOLL))
def test_longpoll_fixture_is_classified(name):
    reply = parse_longpoll_reply(fixture(name))
    kind, events, since = LONGPOLL[name]
    assert (reply.kind, len(reply.events), reply.since_time) == (kind, events, since)
    assert not reply.rejected


def test_hybrid_envelope_delivers_its_event_once():
    reply = parse_longpoll_reply(fixture("longpoll_event_match_hybrid.json"))
    assert len(reply.events) == 1
    assert reply.events[0].category == "de4b8e91c"
