"""Async client for the AudD protocol: the AudD cloud or radiowatch's local engine. No Qt.

One client speaks to both backends because the local engine is AudD-compatible
(docs/protocols/audd.md). Everything here is asyncio + httpx + pydantic v2.

Public API (stable; other packages code against this)
----------------------------------------------------
Client (``client.py``)::

    async with AudDClient(api_token=None, *, base_url="https://api.audd.io",
                          enterprise_url="https://enterprise.audd.io",
                          token_provider=None, on_event=None, max_retries=3,
                          backoff_factor=0.5, http_client=None) as audd:
        # token: explicit > $AUDD_API_TOKEN > token_provider() (asked per request)
        audd.set_api_token("new")            # in-flight requests keep the old token
        r = await audd.recognize(source, return_metadata=["apple_music", "spotify"],
                                 market="gb")
        #   source: "https://..." URL | path str/Path | bytes | binary file object
        #   -> RecognitionResult | None (no match)
        e = await audd.recognize_enterprise(source, skip=, every=, limit=,
                                            skip_first_seconds=, use_timecode=,
                                            accurate_offsets=True, return_metadata=)
        #   -> EnterpriseResult (.chunks, .matches with .start_seconds/.end_seconds)
        await audd.upload(audio_id, source)      # custom catalog; never retried
        lyrics = await audd.find_lyrics("text")  # -> list[LyricsResult]
        raw = await audd.raw_request("someMethod", {"k": "v"})  # -> dict, never raises API errors
    # Typed failures: AudDTokenMissingError before any request, AudDAPIError subclasses for
    # error replies, AudDConnectionError, AudDInvalidResponse (see errors.py).

Streams (``streams.py``), as ``audd.streams``::

    await audd.streams.set_callback_url(url, return_metadata=["apple_music"])
    await audd.streams.get_callback_url()  -> str      (AudDBlockedError code 19 if none)
    await audd.streams.ensure_callback_url()  -> str   (sets the placeholder only if none set)
    await audd.streams.add(url, radio_id, callbacks="before"|None)
    await audd.streams.set_url(radio_id, url); await audd.streams.delete(radio_id)
    await audd.streams.list()  -> list[Stream]

Long poll (``longpoll.py``)::

    category = longpoll_category(token, radio_id)       # spec 7.1
    poll = audd.longpoll(radio_id=7, since_time=None, timeout=50,
                         set_placeholder_callback=False)  # pre-flights getCallbackUrl
    async for item in poll:              # LongpollEvent, exactly once, in order
        item.timestamp                   # ms; persist poll.since_time to resume later
        item.event                       # MatchEvent | NotificationEvent
    poll.remember(key)                   # seed de-dup with keys already in the history
    # Tokenless: LongpollConsumer(category, base_url=..., http_client=None).iterate(...)
    # Errors between polls are retried with backoff forever (on_error callback sees them);
    # the iterator only raises for pre-flight failures or after max_consecutive_errors.

Callbacks / wire parsing (``callbacks.py``)::

    parse_callback(body) -> MatchEvent | NotificationEvent    (body: dict | str | bytes)
    parse_longpoll_reply(body) -> LongpollReply (.events, .since_time, .kind, .error)
    MatchEvent: radio_id, timestamp (str), play_length, results (list[CallbackSong]),
                .song, .alternatives, .played_at(tz) ; NotificationEvent: radio_id,
                stream_running, notification_code, notification_message, time

WebSocket recognition (``websocket.py``, spec 9)::

    async with audd.websocket(return_metadata=["apple_music"]) as ws:
        await ws.send(recording_bytes)   # does not wait for the reply
        reply = await ws.receive()       # RecognitionResult | None, in send order
        r = await ws.recognize(b"...")   # send + wait for that one reply
    # reconnects with backoff and re-sends unanswered recordings in order.

Models (``models.py``): RecognitionResult, EnterpriseResult/EnterpriseChunk/EnterpriseMatch,
Stream, LyricsResult, CallbackSong, MatchEvent, NotificationEvent, provider blocks
(AppleMusic, Spotify, Deezer, Napster, MusicBrainzRecording). All keep unknown fields
(``model_extra``); provider blocks are optional. Helpers on songs: ``streaming_url(p)``,
``cover_art_url(size)``, ``thumbnail_url``, ``preview_url()``, ``pretty()``.

Errors (``errors.py``): AudDError > AudDConnectionError, AudDInvalidResponse (bad JSON/shape),
AudDTokenMissingError, AudDAPIError (code, message, request_id, request_params with the token
masked, request_method, branded_message, http_status) > AudDAuthenticationError,
AudDQuotaError, AudDSubscriptionError > AudDCustomCatalogAccessError, AudDInvalidRequestError
> AudDCallbackUrlMissingError, AudDInvalidAudioError, AudDStreamLimitError,
AudDRateLimitError, AudDNotReleasedError, AudDBlockedError, AudDNeedsUpdateError,
AudDServerError.  ``error_from_body(body)`` builds one from a reply.

Wire tables for servers (``codes.py``): ERROR_CODES (code -> ErrorCode with class name and
default text), ``mask_token``, ``error_envelope(...)``, ``success_envelope(...)``,
``timeout_reply(ts)``, PLACEHOLDER_CALLBACK_URL.

Reply decoding (``replies.py``): ``decode_envelope(status, content, kind)`` (docs/protocols/audd.md §11.3) and
``recognition_result`` / ``enterprise_result`` / ``streams_result`` ... as pure functions.

Retries (``retry.py``): RetryClass READ / RECOGNITION / MUTATING / UPLOAD (one attempt).
Observability (``observability.py``): ``on_event(AudDEvent)`` with kind request/response/
exception, method, url, request_id, http_status, elapsed_ms, error_code; never token or body.
"""

from radiowatch.audd.callbacks import (
    LongpollReply,
    parse_callback,
    parse_longpoll_reply,
)
from radiowatch.audd.client import AudDClient
from radiowatch.audd.codes import (
    ERROR_CODES,
    PLACEHOLDER_CALLBACK_URL,
    error_envelope,
    mask_token,
    success_envelope,
    timeout_reply,
)
from radiowatch.audd.errors import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDCallbackUrlMissingError,
    AudDConnectionError,
    AudDCustomCatalogAccessError,
    AudDError,
    AudDInvalidAudioError,
    AudDInvalidRequestError,
    AudDInvalidResponse,
    AudDNeedsUpdateError,
    AudDNotReleasedError,
    AudDQuotaError,
    AudDRateLimitError,
    AudDServerError,
    AudDStreamLimitError,
    AudDSubscriptionError,
    AudDTokenMissingError,
    error_from_body,
)
from radiowatch.audd.longpoll import (
    LongpollConsumer,
    LongpollEvent,
    LongpollSubscription,
    longpoll_category,
)
from radiowatch.audd.models import (
    CallbackSong,
    EnterpriseChunk,
    EnterpriseMatch,
    EnterpriseResult,
    LyricsResult,
    MatchEvent,
    NotificationEvent,
    RecognitionResult,
    Stream,
)
from radiowatch.audd.observability import AudDEvent
from radiowatch.audd.retry import RetryClass, RetryPolicy
from radiowatch.audd.websocket import WebSocketSession

__all__ = [
    "ERROR_CODES",
    "PLACEHOLDER_CALLBACK_URL",
    "AudDAPIError",
    "AudDAuthenticationError",
    "AudDBlockedError",
    "AudDCallbackUrlMissingError",
    "AudDClient",
    "AudDConnectionError",
    "AudDCustomCatalogAccessError",
    "AudDError",
    "AudDEvent",
    "AudDInvalidAudioError",
    "AudDInvalidRequestError",
    "AudDInvalidResponse",
    "AudDNeedsUpdateError",
    "AudDNotReleasedError",
    "AudDQuotaError",
    "AudDRateLimitError",
    "AudDServerError",
    "AudDStreamLimitError",
    "AudDSubscriptionError",
    "AudDTokenMissingError",
    "CallbackSong",
    "EnterpriseChunk",
    "EnterpriseMatch",
    "EnterpriseResult",
    "LongpollConsumer",
    "LongpollEvent",
    "LongpollReply",
    "LongpollSubscription",
    "LyricsResult",
    "MatchEvent",
    "NotificationEvent",
    "RecognitionResult",
    "RetryClass",
    "RetryPolicy",
    "Stream",
    "WebSocketSession",
    "error_envelope",
    "error_from_body",
    "longpoll_category",
    "mask_token",
    "parse_callback",
    "parse_longpoll_reply",
    "success_envelope",
    "timeout_reply",
]
