"""What every radiowatch extension route shares (`/catalog/`, `/archive/`): the request read
with a size limit, the token checked, AudD's envelopes for the answer and for errors.

These routes sit beside AudD's methods under prefixes AudD does not use, so an AudD client
never trips on them, and they answer the way AudD's methods do: `{"status": "success",
"result": ...}`, or AudD's error envelope with the method's name. A handler returns the result
(or a ready `Response`, e.g. audio) and raises `ApiError` for what the client got wrong; any
other exception is logged and answered as an internal error, never with its text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from radiowatch.engine.api.replies import (
    SERVER_ERROR,
    ApiError,
    error_body,
    json_reply,
    success_body,
)
from radiowatch.engine.api.request import ApiRequest, read_api_request

log = logging.getLogger(__name__)

# (runtime, the request, the path's parameters) -> the result
Handler = Callable[[Any, ApiRequest, dict[str, Any]], Awaitable[Any]]


def both_slashes(
    path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str]
) -> list[Route]:
    """`path` with and without its trailing slash (AudD's clients use both)."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


async def handle(
    runtime: Any, request: Request, method: str, handler: Handler, *, limit: int
) -> Response:
    """Run `handler` for one request of API method `method` (its name in error envelopes)."""
    api = None
    try:
        api = await read_api_request(request, method=method, limit=limit)
        runtime.token_check.require(api.token)
        result = await handler(runtime, api, dict(request.path_params))
        if isinstance(result, Response):
            return result
        return json_reply(success_body(result))
    except ApiError as error:
        params = api.params if api is not None else dict(request.query_params)
        return json_reply(
            error_body(error, method=method, http_method=request.method, params=params),
            status_code=error.http_status,
        )
    except Exception:
        log.exception("%s request failed", method)
        return json_reply(
            error_body(
                ApiError(SERVER_ERROR, "Internal error."),
                method=method,
                http_method=request.method,
                params={},
            )
        )
    finally:
        if api is not None:
            await api.close()
