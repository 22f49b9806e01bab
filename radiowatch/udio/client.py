"""Async client for a reseller's Udio task query, on httpx.

One ``UdioClient`` per (endpoint, key). ``fetch`` asks once for a list of ids (in batches);
``poll`` keeps asking for the unfinished ones with exponential backoff until all are finished
or failed, or a deadline passes. The key is sent per request (never set on the shared httpx
client) so that media downloads from other hosts never carry it.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field, ValidationError

from radiowatch.udio.endpoint import UdioEndpoint
from radiowatch.udio.errors import (
    WHERE_TO_CONFIGURE,
    UdioAuthError,
    UdioConnectionError,
    UdioError,
    UdioForbiddenError,
    UdioGoneError,
    UdioHTTPError,
    UdioNotConfiguredError,
    UdioNotFoundError,
    UdioProtocolError,
    UdioRateLimitError,
    UdioServerError,
    redact,
)
from radiowatch.udio.models import SongResult, SongStatus, UdioSong
from radiowatch.udio.task_ids import batched

UpdateCallback = Callable[[list[SongResult]], None]


class RetryPolicy(BaseModel):
    """How hard to try one request before raising. Waits are capped so a server asking for
    ``Retry-After: 3600`` gives a clear error instead of a frozen tab."""

    attempts: int = Field(default=3, ge=1)  # total tries for 429 / 5xx / connection errors
    base_delay_s: float = Field(default=0.5, ge=0)
    max_wait_s: float = Field(default=20.0, ge=0)


class PollPolicy(BaseModel):
    """Backoff between re-polls of unfinished tasks (generation takes tens of seconds)."""

    first_delay_s: float = Field(default=3.0, ge=0)
    factor: float = Field(default=1.5, ge=1.0)
    max_delay_s: float = Field(default=30.0, ge=0)
    deadline_s: float = Field(default=600.0, gt=0)


class UdioClient:
    def __init__(
        self,
        endpoint: UdioEndpoint,
        key: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        check_configured(endpoint, key)
        self.endpoint = endpoint
        self._key = key.strip()
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=endpoint.timeout_s, follow_redirects=True)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared connection pool (carries no credentials), for media downloads."""
        return self._http

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> UdioClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:  # never show the key
        return f"UdioClient(base_url={self.endpoint.base_url!r})"

    # -- one-shot ------------------------------------------------------------------------

    async def fetch(self, ids: Iterable[str]) -> list[SongResult]:
        """One result per id, in the order given. Ids the server leaves out come back FAILED
        ("unknown id"); it is a partial failure, not an exception."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, UdioSong] = {}
        for chunk in batched(wanted, self.endpoint.effective_batch_size):
            for song in await self.fetch_batch(chunk):
                found.setdefault(song.id.lower(), song)
        return [
            SongResult.from_song(found[i.lower()]) if i.lower() in found else SongResult.unknown(i)
            for i in wanted
        ]

    async def fetch_batch(self, ids: list[str]) -> list[UdioSong]:
        """The songs the server returns for one request (maybe fewer than asked for)."""
        url = self.endpoint.url_for(ids)
        response = await self._get_with_retries(url)
        try:
            payload = response.json()
        except ValueError as exc:
            raise UdioProtocolError(
                f"The Udio API at {_where(url)} did not answer with JSON. Check the base URL "
                f"and path template in {WHERE_TO_CONFIGURE}."
            ) from exc
        return parse_songs(payload, source=_where(url))

    # -- polling ---------------------------------------------------------------------------

    async def poll(
        self,
        ids: Iterable[str],
        *,
        policy: PollPolicy | None = None,
        on_update: UpdateCallback | None = None,
    ) -> list[SongResult]:
        """Fetch, then re-fetch only the unfinished ids with growing delays until each is
        finished or failed. ``on_update`` receives every round's results (for a live table).

        Ids still generating at the deadline come back PENDING with a message saying so.
        A rate limit during polling waits and keeps going; auth and config errors raise.
        """
        policy = policy or PollPolicy()
        start = time.monotonic()
        results: dict[str, SongResult] = {}
        pending = list(dict.fromkeys(ids))
        delay = policy.first_delay_s
        while pending:
            try:
                round_results = await self.fetch(pending)
            except UdioRateLimitError as exc:
                round_results = []
                delay = max(delay, exc.retry_after or 0.0)
            for result in round_results:
                results[result.id] = result
            if on_update and round_results:
                on_update(round_results)
            pending = [
                i for i in pending if i not in results or results[i].status is SongStatus.PENDING
            ]
            if not pending:
                break
            remaining = policy.deadline_s - (time.monotonic() - start)
            if remaining <= 0:
                break
            await self._sleep(min(delay, remaining))
            delay = min(delay * policy.factor, policy.max_delay_s)
        for song_id in pending:
            previous = results.get(song_id)
            results[song_id] = SongResult(
                id=song_id,
                status=SongStatus.PENDING,
                song=previous.song if previous else None,
                message=(f"Still generating after {policy.deadline_s:.0f} s; fetch again later."),
            )
        if on_update and pending:
            on_update([results[i] for i in pending])
        return [results[i] for i in dict.fromkeys(ids)]

    # -- transport ---------------------------------------------------------------------------

    async def _get_with_retries(self, url: str) -> httpx.Response:
        headers = {"Accept": "application/json", **self.endpoint.auth_scheme.headers(self._key)}
        last_error: UdioError | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                wait = self._retry.base_delay_s * (2 ** (attempt - 1))
                if (
                    isinstance(last_error, UdioRateLimitError)
                    and last_error.retry_after is not None
                ):
                    wait = last_error.retry_after
                if wait > self._retry.max_wait_s:
                    break
                await self._sleep(wait)
            try:
                response = await self._http.get(url, headers=headers)
            except httpx.HTTPError as exc:
                last_error = UdioConnectionError(
                    f"Could not reach the Udio API at {_where(url)}: "
                    f"{redact(type(exc).__name__ + ' ' + str(exc), self._key)}. Check the base "
                    f"URL in {WHERE_TO_CONFIGURE} and your network."
                )
                continue
            if response.status_code < 400:
                return response
            last_error = self._error_for(response, url)
            if not isinstance(last_error, UdioRateLimitError | UdioServerError):
                raise last_error
        assert last_error is not None
        raise last_error

    def _error_for(self, response: httpx.Response, url: str) -> UdioHTTPError:
        status = response.status_code
        detail = _server_detail(response, self._key)
        where = _where(url)
        if status == 401:
            return UdioAuthError(
                f"The Udio API at {where} rejected the key (401){detail}. Check the key and "
                f"auth scheme in {WHERE_TO_CONFIGURE}."
            )
        if status == 403:
            return UdioForbiddenError(
                f"The Udio API at {where} refused the request (403){detail}. The key works "
                "but is not allowed this: check your reseller account's credit or plan."
            )
        if status == 404:
            return UdioNotFoundError(
                f"Nothing found at {where} (404){detail}. Check the base URL and path template "
                f"in {WHERE_TO_CONFIGURE}."
            )
        if status == 410:
            return UdioGoneError(
                f"The Udio API at {where} says this is gone (410){detail}. The reseller may "
                "have retired the endpoint or deleted the task."
            )
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            hint = (
                f" Try again in {retry_after:.0f} s."
                if retry_after is not None
                else " Try again later."
            )
            return UdioRateLimitError(
                f"The Udio API at {where} is rate limiting requests (429){detail}.{hint}",
                retry_after=retry_after,
            )
        if status >= 500:
            return UdioServerError(
                f"The Udio API at {where} had a server error ({status}){detail}. Try again later.",
                status_code=status,
            )
        return UdioHTTPError(
            f"The Udio API at {where} answered HTTP {status}{detail}.", status_code=status
        )


def check_configured(endpoint: UdioEndpoint, key: str | None) -> None:
    """Raise ``UdioNotConfiguredError`` (saying where to fix it) unless a request can be made."""
    endpoint.require_base_url()
    if not key or not key.strip():
        raise UdioNotConfiguredError(
            f"No Udio API key is saved. Add it in {WHERE_TO_CONFIGURE} (the key your "
            "Udio API reseller gave you)."
        )


def parse_songs(payload: Any, *, source: str = "the Udio API") -> list[UdioSong]:
    """Songs from a reply. The seed's shape is ``{"songs": [...]}``; gateways also wrap it as
    ``{"data": ...}`` or return a bare list or a single song, so all of those are read.
    Entries that are not songs are skipped rather than failing the whole batch."""
    items = _song_items(payload)
    if items is None:
        raise UdioProtocolError(
            f"The reply from {source} has no songs list. Check the path template in "
            f"{WHERE_TO_CONFIGURE}."
        )
    songs: list[UdioSong] = []
    for item in items:
        try:
            songs.append(UdioSong.model_validate(item))
        except ValidationError:
            continue
    return songs


def _song_items(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("songs"), list):
        return payload["songs"]
    if "data" in payload:  # gateway envelope; ``"data": null`` means no such task
        return [] if payload["data"] is None else _song_items(payload["data"])
    if "id" in payload:
        return [payload]
    return None


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _server_detail(response: httpx.Response, key: str) -> str:
    """The server's own short explanation, if any, with the key scrubbed out."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for name in ("message", "error", "detail", "msg"):
            value = body.get(name)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    elif not response.headers.get("content-type", "").startswith("text/html"):
        text = response.text.strip()
    text = redact(text, key)[:200]
    return f": {text}" if text else ""


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
