"""Async client for the Audjust API (https://api.audjust.com), on httpx.

A desktop app has no public webhook, so long jobs are followed by polling their `resultUrl`
until it holds the result, within a deadline (Audjust promises to finish within 7 minutes;
after that a request counts as failed). `resultWebhook` is still sent because analyze and
export require it: it points at a `.invalid` host (RFC 2606), which can never resolve, so the
results are not posted to any third party. Resize is called without a webhook and answers
synchronously.

The API key travels only in the `X-API-Key` header to the API host. It is never sent to the
result URLs (plain file links) and never appears in an error message or repr.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from radiowatch.audjust.errors import (
    AudjustApiError,
    AuthenticationError,
    RateLimitError,
    RequestFailedError,
    RequestTimedOutError,
    UsageLimitError,
)
from radiowatch.audjust.models import Analysis, ExportFormat, ResizeResult, Similarity

DEFAULT_BASE_URL = "https://api.audjust.com"
UNREACHABLE_WEBHOOK = "https://radiowatch.invalid/audjust-webhook"
DEFAULT_DEADLINE = 7 * 60.0
DEFAULT_POLL_INTERVAL = 3.0
KEY_PORTAL = "the Audjust API key portal"
WHERE_TO_SET_KEY = "File → Accounts & tokens → Audjust API key"


class AnalyzeOutcome(BaseModel):
    request_id: str
    analysis: Analysis
    credit_cost: int | None = None


class ResizeOutcome(BaseModel):
    request_id: str | None = None
    results: list[ResizeResult]
    credit_cost: int | None = None


class ExportOutcome(BaseModel):
    request_id: str
    files: list[Path]
    failures: dict[str, str] = {}
    credit_cost: int | None = None


def mask_secret(value: str | None) -> str:
    """`ab***yz`: enough to tell keys apart, useless to an attacker."""
    if not value:
        return "(not set)"
    return f"{value[:2]}***{value[-2:]}" if len(value) > 6 else "***"


class AudjustClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float = DEFAULT_DEADLINE,
        result_webhook: str = UNREACHABLE_WEBHOOK,
    ) -> None:
        if not api_key or not api_key.strip():
            raise AuthenticationError(f"No Audjust API key is set. Add one in {WHERE_TO_SET_KEY}.")
        self._key = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self._owns_http = http is None
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.result_webhook = result_webhook

    def __repr__(self) -> str:
        return f"AudjustClient(base_url={self.base_url!r}, api_key={mask_secret(self._key)!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AudjustClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    # -- endpoints ---------------------------------------------------------------------------

    async def analyze(self, source_url: str, *, raw_features: bool = False) -> AnalyzeOutcome:
        """Queue an analysis of a publicly downloadable file and wait for it (polling)."""
        body = {
            "resultWebhook": self.result_webhook,
            "sourceFileUrl": source_url,
            "features": ["raw_features"] if raw_features else [],
        }
        ack = await self._post("analyze", body)
        request_id, result_url = _queued(ack, "resultUrl")
        payload = await self._poll_json(result_url, request_id)
        try:
            analysis = Analysis.model_validate(payload.get("result"))
        except ValidationError as exc:
            raise AudjustApiError(
                f"Audjust returned an analysis radiowatch cannot read (request {request_id})."
            ) from exc
        return AnalyzeOutcome(
            request_id=request_id, analysis=analysis, credit_cost=_credit(payload)
        )

    async def resize(
        self,
        target_seconds: float,
        *,
        analysis: Analysis | None = None,
        similarity: Similarity | None = None,
        boundaries: Sequence[float] | None = None,
    ) -> ResizeOutcome:
        """Synchronous resize (no webhook): the candidates come back in the response."""
        if analysis is not None:
            similarity, boundaries = analysis.similarity, analysis.boundaries
        if similarity is None or boundaries is None:
            raise ValueError("resize needs an analysis, or similarity and boundaries")
        body = {
            "targetLengthSeconds": target_seconds,
            "similarity": similarity.model_dump(),
            "boundaries": list(boundaries),
        }
        payload = await self._post("resize", body)
        if "result" not in payload and "resultUrl" in payload:
            request_id, result_url = _queued(payload, "resultUrl")
            payload = await self._poll_json(result_url, request_id)
        try:
            results = [ResizeResult.model_validate(r) for r in payload.get("result") or []]
        except ValidationError as exc:
            raise AudjustApiError(
                "Audjust returned resize results radiowatch cannot read."
            ) from exc
        return ResizeOutcome(
            request_id=payload.get("requestId"), results=results, credit_cost=_credit(payload)
        )

    async def export(
        self,
        source_url: str,
        segments_groups: Sequence[Sequence[Sequence[float]]],
        fmt: ExportFormat,
        destinations: Sequence[str | Path],
    ) -> ExportOutcome:
        """Queue an export and download each produced file to its destination as it appears."""
        if len(destinations) != len(segments_groups):
            raise ValueError("export needs one destination per segment group")
        body = {
            "resultWebhook": self.result_webhook,
            "sourceFileUrl": source_url,
            "exportFormat": ExportFormat(fmt).value,
            "segmentsGroups": [[[float(s), float(e)] for s, e in g] for g in segments_groups],
        }
        ack = await self._post("export", body)
        request_id = str(ack.get("requestId") or "")
        urls = ack.get("resultUrls")
        if not request_id or not isinstance(urls, list) or len(urls) != len(destinations):
            raise AudjustApiError("Audjust acknowledged the export without usable result links.")
        outcomes = await asyncio.gather(
            *(
                self._download(url, Path(dest), request_id)
                for url, dest in zip(urls, destinations, strict=True)
            ),
            return_exceptions=True,
        )
        files: list[Path] = []
        failures: dict[str, str] = {}
        for url, outcome in zip(urls, outcomes, strict=True):
            if isinstance(outcome, Path):
                files.append(outcome)
            elif isinstance(outcome, AudjustApiError):
                failures[url] = str(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
        if not files:
            first = next(iter(failures.values()), "no file was produced")
            raise RequestFailedError(f"The Audjust export produced no file: {first}")
        return ExportOutcome(
            request_id=request_id, files=files, failures=failures, credit_cost=_credit(ack)
        )

    # -- transport ---------------------------------------------------------------------------

    async def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/{endpoint}"
        try:
            response = await self._http.post(url, json=body, headers={"X-API-Key": self._key})
        except httpx.TimeoutException as exc:
            raise AudjustApiError(
                f"Audjust did not answer in time ({endpoint}). Try again later."
            ) from exc
        except httpx.TransportError as exc:
            raise AudjustApiError(
                f"Could not reach Audjust ({type(exc).__name__}). Check the internet connection."
            ) from exc
        payload = _json(response)
        if response.status_code >= 400 or payload.get("success") is False:
            raise _error(response, payload)
        return payload

    async def _poll_json(self, result_url: str, request_id: str) -> dict[str, Any]:
        response = await self._poll(result_url, request_id)
        payload = _json(response)
        if payload.get("success") is False:
            reason = payload.get("message") or payload.get("error") or "no reason given"
            raise RequestFailedError(
                f"Audjust could not complete request {request_id}: {reason}. "
                f"See recent requests in {KEY_PORTAL}."
            )
        return payload

    async def _download(self, url: str, dest: Path, request_id: str) -> Path:
        response = await self._poll(url, request_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(response.content)
        return dest

    async def _poll(self, url: str, request_id: str) -> httpx.Response:
        """GET `url` until it exists; no API key here: result links are plain file URLs."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.deadline
        while True:
            try:
                response = await self._http.get(url)
                if response.status_code == 200:
                    return response
                if response.status_code not in (403, 404, 425) and response.status_code < 500:
                    raise AudjustApiError(
                        f"Audjust result for request {request_id} is unavailable "
                        f"(HTTP {response.status_code}).",
                        status=response.status_code,
                    )
            except httpx.TransportError:
                pass  # transient; the deadline decides
            if loop.time() + self.poll_interval > give_up:
                raise RequestTimedOutError(
                    f"Audjust did not finish request {request_id} within "
                    f"{_minutes(self.deadline)}; treat it as failed. "
                    f"See recent requests in {KEY_PORTAL}."
                )
            await asyncio.sleep(self.poll_interval)


def _queued(ack: dict[str, Any], url_field: str) -> tuple[str, str]:
    request_id, url = ack.get("requestId"), ack.get(url_field)
    if not request_id or not url:
        raise AudjustApiError(
            "Audjust acknowledged the request without a request id or result link."
        )
    return str(request_id), str(url)


def _credit(payload: dict[str, Any]) -> int | None:
    value = payload.get("creditCost")
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _minutes(seconds: float) -> str:
    if seconds >= 60:
        m = math.ceil(seconds / 60)
        return f"{m} minute{'s' if m != 1 else ''}"
    return f"{seconds:g} s"


def _error(response: httpx.Response, payload: dict[str, Any]) -> AudjustApiError:
    status = response.status_code
    message = str(payload.get("message") or payload.get("error") or "").strip()
    lowered = message.lower()
    if status == 429 or "rate limit" in lowered:
        retry = response.headers.get("Retry-After")
        retry_after = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
        wait = f"{retry_after:.0f} s" if retry_after else "a minute"
        return RateLimitError(
            f"Audjust's rate limit was reached (100 requests per minute). Wait {wait} and try again.",
            status=status,
            retry_after=retry_after,
        )
    if "usage limit" in lowered or status == 402:
        return UsageLimitError(
            "Your Audjust plan has no credits left. Check usage or upgrade in "
            f"{KEY_PORTAL}, or switch the Resize backend to Local (free).",
            status=status,
        )
    if status in (401, 403) or "api key" in lowered:
        detail = message or "the key was refused"
        return AuthenticationError(
            f"Audjust rejected the API key ({detail}). Check or replace it in {WHERE_TO_SET_KEY}.",
            status=status,
        )
    if "missing parameter" in lowered:
        return AudjustApiError(f"Audjust reports a missing parameter: {message}.", status=status)
    return AudjustApiError(
        f"Audjust refused the request (HTTP {status}{': ' + message if message else ''}).",
        status=status,
    )
