"""Hostile and malformed bodies: every parser answers with a value or a typed AudDError,
never another exception and never a hang (property-based, hypothesis)."""

from __future__ import annotations

import contextlib
import copy
import json
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiowatch.audd import (
    AudDError,
    EnterpriseResult,
    LongpollReply,
    MatchEvent,
    NotificationEvent,
    error_from_body,
    parse_callback,
    parse_longpoll_reply,
)
from radiowatch.audd.models import Song
from radiowatch.audd.replies import (
    callback_url_result,
    decode_envelope,
    enterprise_result,
    lyrics_results,
    recognition_result,
    streams_result,
)
from radiowatch.audd.websocket import decode_recognition_reply
from tests.fakes.fake_audd import FIXTURES

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "00:56", "99:99:99", "1e309", "-1", "true", "NaN", "https://lis.tn/x"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
envelope_keys = st.sampled_from(
    [
        "status",
        "result",
        "error",
        "notification",
        "events",
        "timestamp",
        "timeout",
        "time",
        "results",
        "radio_id",
        "songs",
        "offset",
        "artist",
        "title",
        "apple_music",
        "spotify",
        "deezer",
        "musicbrainz",
        "error_code",
        "error_message",
        "data",
        "execution_time",
        "request_params",
        "start_offset",
        "audio_id",
        "score",
    ]
)
shaped = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(envelope_keys | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)
FIXTURE_BODIES = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]


@st.composite
def mutated_fixtures(draw):
    """A real fixture with one value somewhere replaced by something hostile."""
    body = copy.deepcopy(draw(st.sampled_from(FIXTURE_BODIES)))
    node = body
    for _ in range(draw(st.integers(0, 4))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        children = [(k, v) for k, v in children if isinstance(v, dict | list) and v]
        if not children:
            break
        node = draw(st.sampled_from(children))[1]
    if isinstance(node, dict) and node:
        node[draw(st.sampled_from(sorted(node)))] = draw(shaped)
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = draw(shaped)
    return body


bodies = (
    shaped
    | json_values
    | mutated_fixtures()
    | st.binary(max_size=200)
    | st.text(max_size=200)
    | mutated_fixtures().map(lambda b: json.dumps(b)[: len(json.dumps(b)) // 2])
)


def exercise(value):
    """Touch every helper a UI would call on a parsed value."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, LongpollReply):
            for event in item.events:
                (event.dedupe_key(), event.event.pretty(), event.is_match)
            continue
        if isinstance(item, EnterpriseResult):
            for match in item.matches:
                assert match.start_seconds is None or match.end_seconds is not None
                exercise(match)
            continue
        if isinstance(item, MatchEvent):
            (item.song, item.alternatives, item.played_at(), item.dedupe_key(), item.pretty())
            for song in item.results:
                exercise(song)
            continue
        if isinstance(item, NotificationEvent):
            (item.dedupe_key(), item.pretty())
            continue
        if isinstance(item, Song):
            (
                item.pretty(),
                item.preview_url(),
                item.cover_art_url(),
                item.thumbnail_url,
                item.is_custom_match,
            )
            for provider in ("spotify", "apple_music", "deezer", "napster", "youtube"):
                item.streaming_url(provider)


def answers_or_typed_error(parse, body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(AudDError):
            exercise(parse(body))


@PROPERTY
@given(bodies)
def test_callback_parser_never_crashes(body):
    answers_or_typed_error(parse_callback, body)


@PROPERTY
@given(bodies)
def test_longpoll_reply_parser_never_crashes(body):
    answers_or_typed_error(parse_longpoll_reply, body)


@PROPERTY
@given(bodies)
def test_websocket_reply_decoder_never_crashes(body):
    payload = json.dumps(body, allow_nan=True) if isinstance(body, dict | list) else body
    answers_or_typed_error(decode_recognition_reply, payload)


@PROPERTY
@given(
    st.sampled_from([200, 400, 500, 503]),
    st.sampled_from(["recognition", "method", "raw"]),
    st.sampled_from(
        [recognition_result, enterprise_result, lyrics_results, streams_result, callback_url_result]
    ),
    bodies,
)
def test_reply_decoding_never_crashes(status, decode, read_result, body):
    content = body if isinstance(body, bytes | str | dict) else json.dumps(body, allow_nan=True)

    def parse(content):
        envelope = decode_envelope(
            status,
            content,
            decode,
            api_method="recognize",
            sent={"api_token": "secret-token"},
            token="secret-token",
        )
        return read_result(envelope)

    answers_or_typed_error(parse, content)


@PROPERTY
@given(st.dictionaries(envelope_keys | st.text(max_size=8), shaped, max_size=6))
def test_error_envelopes_of_any_shape_build_a_typed_error(body):
    body["status"] = "error"
    exc = error_from_body(body, secrets=("secret-token",))
    assert isinstance(exc, AudDError)
    assert isinstance(exc.code, int)
    str(exc)


def test_absurdly_deep_nesting_is_a_typed_error_not_a_recursion_crash():
    deep = "[" * 100_000 + "]" * 100_000
    for parse in (parse_callback, parse_longpoll_reply, decode_recognition_reply):
        with contextlib.suppress(AudDError):
            parse(deep)
