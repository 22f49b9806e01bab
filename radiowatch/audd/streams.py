"""Stream management methods (docs/protocols/audd.md §5), available as ``AudDClient.streams``.

Reads (getStreams, getCallbackUrl) retry freely; mutations retry only when the
request provably never reached the server (retry.py), so nothing is done twice silently.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.audd.errors import (
    AudDBlockedError,
    AudDCallbackUrlMissingError,
)
from radiowatch.audd.models import Stream
from radiowatch.audd.replies import callback_url_result, streams_result
from radiowatch.audd.retry import RetryClass
from radiowatch.audd.return_metadata import ReturnMetadata, format_return


class MethodCaller(Protocol):
    """What the streams API needs of the client: one AudD method call (AudDClient.call)."""

    async def call(
        self,
        api_method: str,
        params: dict[str, Any] | None = None,
        *,
        retry: RetryClass,
        path_method: str | None = None,
    ) -> dict[str, Any]: ...


def add_return_to_url(url: str, return_metadata: str | None) -> str:
    """Append ``return=<providers>`` to a callback URL's own query (docs/protocols/audd.md §5.1).

    Refuses a URL that already carries ``return=``: two would be ambiguous.
    """
    if not return_metadata:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "return" for key, _ in query):
        raise ValueError("the callback URL already has a return= parameter; pass one or the other")
    query.append(("return", return_metadata))
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_callback_url_missing(exc: AudDBlockedError) -> bool:
    """Code 19 also means "blocked": only a getCallbackUrl 19 without branding means "unset"."""
    return exc.code == 19 and not exc.branded_message


class StreamsAPI:
    def __init__(self, client: MethodCaller) -> None:
        self._client = client

    async def _call(self, method: str, params: dict[str, Any], retry: RetryClass) -> None:
        await self._client.call(method, params, retry=retry, path_method=method)

    async def set_callback_url(
        self,
        url: str,
        *,
        return_metadata: ReturnMetadata = None,
        extra_parameters: dict[str, Any] | None = None,
    ) -> None:
        """Set the account's one callback URL; ``return_metadata`` rides in its query."""
        final = add_return_to_url(url, format_return(return_metadata))
        await self._call(
            "setCallbackUrl", {**(extra_parameters or {}), "url": final}, RetryClass.MUTATING
        )

    async def get_callback_url(self) -> str:
        """The callback URL; AudDBlockedError (code 19) when none was ever set."""
        body = await self._client.call(
            "getCallbackUrl", {}, retry=RetryClass.READ, path_method="getCallbackUrl"
        )
        return callback_url_result(body)

    async def ensure_callback_url(self, *, set_placeholder: bool = False) -> str:
        """Long-poll pre-flight (docs/protocols/audd.md §7.6): the current callback URL, never overwritten.

        With none set: with ``set_placeholder`` set AudD's placeholder and return it,
        else raise AudDCallbackUrlMissingError explaining what to do.
        """
        try:
            return await self.get_callback_url()
        except AudDBlockedError as exc:
            if not is_callback_url_missing(exc):
                raise
            if not set_placeholder:
                raise AudDCallbackUrlMissingError(
                    0,
                    "Long poll needs a callback URL on the account and none is set. Set one "
                    f"(or AudD's placeholder {PLACEHOLDER_CALLBACK_URL}) with setCallbackUrl.",
                    request_id=exc.request_id,
                    request_params=exc.request_params,
                    request_method="getCallbackUrl",
                ) from exc
        await self.set_callback_url(PLACEHOLDER_CALLBACK_URL)
        return PLACEHOLDER_CALLBACK_URL

    async def add(
        self,
        url: str,
        radio_id: int,
        *,
        callbacks: Literal["before", "both"] | None = None,
        extra_parameters: dict[str, Any] | None = None,
    ) -> None:
        """Start monitoring ``url`` as ``radio_id``; ``callbacks="before"`` reports song starts.

        ``callbacks="both"`` is a radiowatch engine's extension: each play is reported when the
        engine is sure of it (without ``play_length``) and again when it ends (with it)."""
        params = {**(extra_parameters or {}), "url": url, "radio_id": int(radio_id)}
        if callbacks is not None:
            params["callbacks"] = callbacks
        await self._call("addStream", params, RetryClass.MUTATING)

    async def set_url(self, radio_id: int, url: str) -> None:
        await self._call(
            "setStreamUrl", {"radio_id": int(radio_id), "url": url}, RetryClass.MUTATING
        )

    async def delete(self, radio_id: int) -> None:
        await self._call("deleteStream", {"radio_id": int(radio_id)}, RetryClass.MUTATING)

    async def list(self) -> list[Stream]:
        body = await self._client.call(
            "getStreams", {}, retry=RetryClass.READ, path_method="getStreams"
        )
        return streams_result(body)
