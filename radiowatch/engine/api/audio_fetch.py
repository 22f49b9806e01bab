"""Downloading the audio behind a `url` parameter, safely (docs/protocols/udio.md §3.1, §13: 600 on failure).

Only http(s) URLs are fetched (no file://, no ftp:// — a request must not read the engine's
disk), with a timeout and a size cap, into a spooled temp file. A web page is refused with a
clear message rather than fed to the decoder.
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlsplit

import httpx

from radiowatch import __version__
from radiowatch.engine.api.replies import FILE_TOO_LARGE, URL_FETCH_FAILED, ApiError
from radiowatch.engine.api.request import MB, AudioUpload

FETCH_TIMEOUT_S = 30.0
_MAX_REDIRECTS = 5


def check_http_url(url: str, what: str = "url") -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ApiError(
            URL_FETCH_FAILED,
            f"the `{what}` parameter must be an http:// or https:// URL (got {url[:80]!r})",
        )
    return url


async def fetch_audio(
    url: str, *, max_bytes: int, timeout_s: float = FETCH_TIMEOUT_S
) -> AudioUpload:
    url = check_http_url(url)
    spool = tempfile.SpooledTemporaryFile(max_size=4 * MB)  # noqa: SIM115 (caller closes)
    try:
        async with (
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s),
                follow_redirects=True,
                max_redirects=_MAX_REDIRECTS,
                headers={"User-Agent": f"radiowatch-engine/{__version__}"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise ApiError(
                    URL_FETCH_FAILED,
                    f"couldn't download the file from the URL: HTTP {response.status_code}",
                )
            kind = response.headers.get("content-type", "").lower()
            if kind.startswith(("text/html", "application/xhtml")):
                raise ApiError(
                    URL_FETCH_FAILED, "the URL points to a web page, not to an audio or video file"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(max_bytes)
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                spool.write(chunk)
    except httpx.HTTPError as exc:
        spool.close()
        raise ApiError(
            URL_FETCH_FAILED,
            f"couldn't download the file from the URL ({type(exc).__name__}: {exc})",
        ) from exc
    except ApiError:
        spool.close()
        raise
    spool.seek(0)
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "download"
    return AudioUpload(name, spool, size)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        FILE_TOO_LARGE,
        f"the file at the URL is larger than this endpoint accepts ({max_bytes // MB} MB)",
    )
