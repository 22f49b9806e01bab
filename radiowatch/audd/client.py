"""AudDClient: one async client for the AudD cloud and radiowatch's local engine.

Point ``base_url``/``enterprise_url`` at ``https://api.audd.io``/``https://enterprise.audd.io``
(defaults) or at a local engine (``http://127.0.0.1:PORT`` and
``http://127.0.0.1:PORT/enterprise``). The token goes in the POST body, never in a URL,
so httpx errors and logs cannot show it.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import httpx

from radiowatch import __version__
from radiowatch.audd.audio_source import AudioSource, PreparedSource, prepare_source
from radiowatch.audd.errors import (
    AudDConnectionError,
    AudDError,
    AudDTokenMissingError,
    scrub,
)
from radiowatch.audd.longpoll import LongpollSubscription, longpoll_category
from radiowatch.audd.models import EnterpriseResult, LyricsResult, RecognitionResult
from radiowatch.audd.observability import AudDEvent, OnEvent, emit, public_url
from radiowatch.audd.replies import (
    Decode,
    decode_envelope,
    enterprise_result,
    lyrics_results,
    recognition_result,
)
from radiowatch.audd.retry import RetryClass, RetryPolicy, run_with_retries
from radiowatch.audd.return_metadata import ReturnMetadata, format_return
from radiowatch.audd.streams import StreamsAPI
from radiowatch.audd.websocket import WebSocketSession

DEFAULT_BASE_URL = "https://api.audd.io"
DEFAULT_ENTERPRISE_URL = "https://enterprise.audd.io"
TOKEN_ENV = "AUDD_API_TOKEN"

STANDARD_TIMEOUT = httpx.Timeout(60.0, connect=30.0, pool=30.0)
ENTERPRISE_TIMEOUT = httpx.Timeout(3600.0, connect=30.0, pool=30.0)


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _user_agent() -> str:
    py = platform.python_version()
    return f"radiowatch/{__version__} python/{py} ({platform.system().lower() or 'unknown'})"


class AudDClient:
    """Async AudD client. Use as ``async with AudDClient(...) as audd:`` or call ``aclose()``.

    Token resolution, per request: the explicit/``set_api_token`` value, else
    ``$AUDD_API_TOKEN``, else ``token_provider()`` (the app passes its keyring lookup).
    Each request snapshots the token when it starts, so rotating it never affects a
    request already in flight.
    """

    def __init__(
        self,
        api_token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        enterprise_url: str = DEFAULT_ENTERPRISE_URL,
        token_provider: Callable[[], str | None] | None = None,
        on_event: OnEvent | None = None,
        max_retries: int = 3,
        backoff_factor: float = 0.5,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._token = api_token or None
        self._token_provider = token_provider
        self.base_url = base_url.rstrip("/")
        self.enterprise_url = enterprise_url.rstrip("/")
        self.on_event = on_event
        self.max_retries = max(1, max_retries)
        self.backoff_factor = backoff_factor
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=STANDARD_TIMEOUT, headers={"User-Agent": _user_agent()}
        )
        self.streams = StreamsAPI(self)

    # --- lifecycle -------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (shared with long poll)."""
        return self._http

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AudDClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- token -----------------------------------------------------------------------

    def set_api_token(self, token: str | None) -> None:
        """Use ``token`` for requests that start from now on (None: fall back to env/provider)."""
        self._token = token or None

    def api_token(self) -> str:
        """The token the next request will use; AudDTokenMissingError if there is none."""
        token = self._token or os.environ.get(TOKEN_ENV) or None
        if token is None and self._token_provider is not None:
            try:
                token = self._token_provider() or None
            except Exception as exc:  # noqa: BLE001 - a broken store must read as "no token"
                raise AudDTokenMissingError() from exc
        if not token:
            raise AudDTokenMissingError()
        return token

    @property
    def has_token(self) -> bool:
        try:
            self.api_token()
        except AudDTokenMissingError:
            return False
        return True

    def policy(self, retry_class: RetryClass) -> RetryPolicy:
        return RetryPolicy(retry_class, self.max_retries, self.backoff_factor)

    # --- core request ----------------------------------------------------------------

    def url_for(self, api_method: str | None, *, enterprise: bool = False) -> str:
        base = self.enterprise_url if enterprise else self.base_url
        return f"{base}/" if not api_method else f"{base}/{api_method}/"

    async def call(
        self,
        api_method: str,
        params: dict[str, Any] | None = None,
        *,
        retry: RetryClass,
        source: PreparedSource | None = None,
        enterprise: bool = False,
        path_method: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        decode: Decode = "method",
    ) -> dict[str, Any]:
        """POST one AudD method and return the decoded success envelope (a dict).

        ``decode``: ``"recognition"`` (docs/protocols/audd.md §11.3 rules incl. code 51 and HTTP≥400),
        ``"method"`` (stream methods, upload) or ``"raw"`` (any JSON object, no status check).
        ``path_method`` is the URL path part (None → ``/``); ``api_method`` names the call in
        errors and events.
        """
        token = self.api_token()
        fields: dict[str, Any] = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if source is not None:
            fields.update(source.fields())
        fields["api_token"] = token
        url = self.url_for(path_method, enterprise=enterprise)
        policy = self.policy(retry)
        if source is not None and not source.rewindable:
            policy = policy.with_attempts(1)
        if timeout is None and enterprise:
            timeout = ENTERPRISE_TIMEOUT
        response, elapsed_ms = await self._post_with_retries(
            api_method, url, fields, source, policy, timeout, token
        )
        request_id = response.headers.get("x-request-id")
        try:
            body = decode_envelope(
                response.status_code,
                response.content,
                decode,
                api_method=api_method,
                sent=fields,
                token=token,
                request_id=request_id,
            )
        except AudDError as exc:
            self._emit_response(
                api_method,
                url,
                request_id,
                response.status_code,
                elapsed_ms,
                error_code=getattr(exc, "code", 0),
            )
            raise
        self._emit_response(api_method, url, request_id, response.status_code, elapsed_ms)
        return body

    def _emit_response(
        self,
        api_method: str,
        url: str,
        request_id: str | None,
        status: int,
        elapsed_ms: float,
        *,
        error_code: int | None = None,
    ) -> None:
        event = AudDEvent(
            "response", api_method, public_url(url), request_id, status, elapsed_ms, error_code
        )
        emit(self.on_event, event)

    async def _post_with_retries(
        self,
        api_method: str,
        url: str,
        fields: dict[str, Any],
        source: PreparedSource | None,
        policy: RetryPolicy,
        timeout: float | httpx.Timeout | None,
        token: str,
    ) -> tuple[httpx.Response, float]:
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = (
                timeout
                if isinstance(timeout, httpx.Timeout)
                else (httpx.Timeout(timeout) if timeout > 0 else None)
            )
            if kwargs["timeout"] is None:
                del kwargs["timeout"]
        attempt_no = 0
        started = time.perf_counter()

        async def attempt() -> httpx.Response:
            nonlocal attempt_no, started
            attempt_no += 1
            emit(
                self.on_event,
                AudDEvent("request", api_method, public_url(url), extras={"attempt": attempt_no}),
            )
            started = time.perf_counter()
            try:
                # The file part streams from disk while it is sent; it is reopened (or rewound)
                # for every attempt and closed when the attempt ends.
                with source.attempt_files() if source is not None else nullcontext() as files:
                    response = await self._http.post(url, data=fields, files=files, **kwargs)
                    await response.aread()
            except httpx.HTTPError as exc:
                emit(
                    self.on_event,
                    AudDEvent(
                        "exception",
                        api_method,
                        public_url(url),
                        elapsed_ms=(time.perf_counter() - started) * 1000,
                        extras={"attempt": attempt_no, "error": type(exc).__name__},
                    ),
                )
                raise
            return response

        try:
            response = await run_with_retries(policy, attempt)
        except httpx.HTTPError as exc:
            text = scrub(str(exc) or type(exc).__name__, (token,))
            raise AudDConnectionError(
                f"could not reach {public_url(url)}: {text}", original=None
            ) from None
        return response, (time.perf_counter() - started) * 1000

    # --- recognition -----------------------------------------------------------------

    async def recognize(
        self,
        source: AudioSource,
        *,
        return_metadata: ReturnMetadata = None,
        market: str | None = None,
        timeout: float | None = None,
        extra_parameters: dict[str, Any] | None = None,
    ) -> RecognitionResult | None:
        """Recognise a short clip (only the first 12 s count). None when nothing matched."""
        params = {
            **(extra_parameters or {}),
            **_present(**{"return": format_return(return_metadata), "market": market}),
        }
        body = await self.call(
            "recognize",
            params,
            retry=RetryClass.RECOGNITION,
            source=prepare_source(source),
            timeout=timeout,
            decode="recognition",
        )
        return recognition_result(body)

    async def recognize_enterprise(
        self,
        source: AudioSource,
        *,
        return_metadata: ReturnMetadata = None,
        skip: int | None = None,
        every: int | None = None,
        limit: int | None = None,
        skip_first_seconds: int | None = None,
        use_timecode: bool | None = None,
        accurate_offsets: bool | None = True,
        timeout: float | None = None,
        extra_parameters: dict[str, Any] | None = None,
    ) -> EnterpriseResult:
        """Scan a long file in 12 s chunks. ``accurate_offsets`` is on by default, as in the SDK."""
        params = {
            **(extra_parameters or {}),
            **_present(
                **{"return": format_return(return_metadata)},
                skip=skip,
                every=every,
                limit=limit,
                skip_first_seconds=skip_first_seconds,
                use_timecode=_flag(use_timecode),
                accurate_offsets=_flag(accurate_offsets),
            ),
        }
        body = await self.call(
            "recognizeEnterprise",
            params,
            retry=RetryClass.RECOGNITION,
            source=prepare_source(source),
            enterprise=True,
            timeout=timeout,
            decode="recognition",
        )
        return enterprise_result(body)

    async def find_lyrics(self, query: str) -> list[LyricsResult]:
        """``findLyrics``: songs whose lyrics contain ``query``."""
        body = await self.call(
            "findLyrics",
            {"q": query},
            retry=RetryClass.RECOGNITION,
            path_method="findLyrics",
            decode="recognition",
        )
        return lyrics_results(body)

    async def upload(self, audio_id: int, source: AudioSource) -> None:
        """Add a song to the custom catalog under ``audio_id``. One attempt, never retried."""
        await self.call(
            "upload",
            {"audio_id": int(audio_id)},
            retry=RetryClass.UPLOAD,
            source=prepare_source(source),
            path_method="upload",
            decode="method",
        )

    async def raw_request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        retry: RetryClass = RetryClass.RECOGNITION,
    ) -> dict[str, Any]:
        """POST ``/<method>/`` and return the JSON object as sent (errors are not raised)."""
        return await self.call(
            method, params, retry=retry, path_method=method.strip("/"), decode="raw"
        )

    # --- long poll, websocket --------------------------------------------------------

    def longpoll_category(self, radio_id: int) -> str:
        return longpoll_category(self.api_token(), radio_id)

    def longpoll(
        self,
        category: str | None = None,
        *,
        radio_id: int | None = None,
        since_time: int | None = None,
        timeout: int = 50,
        skip_callback_check: bool = False,
        set_placeholder_callback: bool = False,
        on_error: Callable[[Exception], None] | None = None,
        max_consecutive_errors: int | None = None,
    ) -> LongpollSubscription:
        """Subscribe to one stream's events; iterate with ``async for``.

        Pass either ``category`` or ``radio_id`` (derived with the current token).
        Unless ``skip_callback_check``, the first iteration checks that the account has a
        callback URL; with ``set_placeholder_callback`` it sets AudD's placeholder when
        none is set (never overwriting one), else it raises AudDCallbackUrlMissingError.
        """
        if (category is None) == (radio_id is None):
            raise TypeError("pass exactly one of category= or radio_id=")
        if category is None:
            category = self.longpoll_category(int(radio_id))  # type: ignore[arg-type]
        preflight = None
        if not skip_callback_check:

            async def preflight() -> None:
                await self.streams.ensure_callback_url(set_placeholder=set_placeholder_callback)

        return LongpollSubscription(
            category,
            base_url=self.base_url,
            http_client=self._http,
            since_time=since_time,
            timeout=timeout,
            preflight=preflight,
            on_error=on_error,
            on_event=self.on_event,
            max_consecutive_errors=max_consecutive_errors,
            backoff_factor=self.backoff_factor,
        )

    def websocket(
        self,
        *,
        return_metadata: ReturnMetadata = None,
        reply_timeout: float = 15.0,
        max_reconnects: int = 5,
    ) -> WebSocketSession:
        """A WebSocket recognition session (docs/protocols/audd.md §9); use ``async with``."""
        return WebSocketSession(
            self.base_url,
            token=self.api_token(),
            return_metadata=format_return(return_metadata),
            reply_timeout=reply_timeout,
            max_reconnects=max_reconnects,
            on_event=self.on_event,
            backoff_factor=self.backoff_factor,
        )


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
