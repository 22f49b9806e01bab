"""Parse what AudD pushes: callback POST bodies (docs/protocols/audd.md §6) and long-poll replies (docs/protocols/audd.md §7.4).

Both parsers take a dict, str or bytes and either return typed events or raise
:class:`AudDInvalidResponse` (or an :class:`AudDAPIError` for an error envelope).
They never raise anything else, whatever the input: the monitoring engine feeds
them bytes straight off the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from radiowatch.audd.errors import AudDAPIError, AudDInvalidResponse, error_from_body
from radiowatch.audd.models import MatchEvent, NotificationEvent, StreamEvent, _to_int


def load_object(body: Any) -> dict[str, Any]:
    """JSON text/bytes or a dict → dict; anything else is AudDInvalidResponse."""
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes | bytearray | memoryview):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AudDInvalidResponse("reply is not UTF-8 text", raw_text=repr(body[:200])) from exc
    if not isinstance(body, str):
        raise AudDInvalidResponse(f"expected a JSON object, got {type(body).__name__}")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise AudDInvalidResponse("reply is not valid JSON", raw_text=body) from exc
    if not isinstance(data, dict):
        raise AudDInvalidResponse("reply is JSON but not an object", raw_text=body)
    return data


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    number = _to_int(value)
    return number if number is not None and number >= 0 else None


def parse_callback(body: Any) -> StreamEvent:
    """A callback body → MatchEvent or NotificationEvent (``notification`` checked first)."""
    data = load_object(body)
    try:
        if "notification" in data:
            return _notification(data)
        if data.get("status") == "error" and isinstance(data.get("error"), dict):
            raise error_from_body(data)
        if "result" in data:
            return _match(data)
    except (ValidationError, RecursionError, TypeError, ValueError) as exc:
        raise AudDInvalidResponse(f"callback body has a broken field: {exc}") from exc
    raise AudDInvalidResponse("callback body has neither 'result' nor 'notification'")


def _notification(data: dict[str, Any]) -> NotificationEvent:
    inner = data["notification"]
    if not isinstance(inner, dict):
        raise AudDInvalidResponse("'notification' is not an object")
    event = NotificationEvent.model_validate(inner)
    if event.time is None:
        event.time = _timestamp(data.get("time"))
    return event


def _match(data: dict[str, Any]) -> MatchEvent:
    inner = data["result"]
    if not isinstance(inner, dict):
        raise AudDInvalidResponse("callback 'result' is not an object")
    if not isinstance(inner.get("results"), list) or not inner["results"]:
        raise AudDInvalidResponse("callback 'result.results' must be a non-empty list")
    event = MatchEvent.model_validate(inner)
    if not event.results:
        raise AudDInvalidResponse("callback 'result.results' holds no song object")
    return event


@dataclass(frozen=True)
class LongpollEvent:
    """One delivered event: the callback body plus where it sits in the stream.

    ``timestamp`` is the server's ms clock for the event (the value to resume from);
    ``category`` is set when the reply said so (golongpoll envelope).
    """

    timestamp: int | None
    category: str | None
    event: StreamEvent

    @property
    def is_match(self) -> bool:
        return isinstance(self.event, MatchEvent)

    def dedupe_key(self) -> tuple[Any, ...]:
        return self.event.dedupe_key()


@dataclass
class LongpollReply:
    """One long-poll reply, classified (docs/protocols/audd.md §7.4 decision list).

    ``kind``: ``events`` (A/B/C envelopes), ``timeout``, ``error`` (``{"error": ...}``) or
    ``keepalive`` (an object with none of those). ``since_time`` is the value to send next,
    or None when the reply does not say. ``rejected`` lists events that could not be parsed
    (skipped so one poisoned event cannot block the stream forever).
    """

    kind: Literal["events", "timeout", "error", "keepalive"]
    events: list[LongpollEvent] = field(default_factory=list)
    since_time: int | None = None
    error: str | None = None
    rejected: list[AudDInvalidResponse | AudDAPIError] = field(default_factory=list)


def parse_longpoll_reply(body: Any) -> LongpollReply:
    """Classify a long-poll reply. Raises AudDInvalidResponse only for a non-object body."""
    data = load_object(body)
    top_ts = _timestamp(data.get("timestamp"))
    if isinstance(data.get("events"), list) and data["events"]:
        return _golongpoll(data["events"], top_ts)
    if "result" in data or "notification" in data:
        try:
            event = parse_callback(data)
        except (AudDInvalidResponse, AudDAPIError) as exc:
            return LongpollReply("events", since_time=top_ts, rejected=[exc])
        return LongpollReply("events", [LongpollEvent(top_ts, None, event)], since_time=top_ts)
    if "timeout" in data:
        return LongpollReply("timeout", since_time=top_ts)
    if "error" in data:
        text = data["error"]
        return LongpollReply("error", since_time=None, error=str(text)[:500])
    return LongpollReply("keepalive", since_time=top_ts)


def _golongpoll(items: list[Any], top_ts: int | None) -> LongpollReply:
    reply = LongpollReply("events", since_time=top_ts)
    for item in items:
        if not isinstance(item, dict):
            reply.rejected.append(AudDInvalidResponse("long-poll event is not an object"))
            continue
        ts = _timestamp(item.get("timestamp"))
        if ts is not None:
            reply.since_time = ts if reply.since_time is None else max(reply.since_time, ts)
        try:
            event = parse_callback(item.get("data"))
        except (AudDInvalidResponse, AudDAPIError) as exc:
            reply.rejected.append(exc)
            continue
        category = item.get("category")
        reply.events.append(
            LongpollEvent(ts, category if isinstance(category, str) else None, event)
        )
    return reply
