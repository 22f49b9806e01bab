"""Cost-aware retries (docs/protocols/audd.md §11.1): what may be retried depends on what a retry could cost.

- READ (getStreams, getCallbackUrl, long poll): any transport error, HTTP 408/429/5xx.
- RECOGNITION (recognize, enterprise, findLyrics, raw requests): only failures before the
  upload completed (connect error/timeout, write error) and HTTP 5xx. A read timeout after
  the upload is never retried: the server may already be charging for the work.
- MUTATING (setCallbackUrl, addStream, setStreamUrl, deleteStream): only pre-upload
  failures; never 5xx, because the side effect may already have happened.
- UPLOAD (custom catalog ``/upload/``): one attempt, never retried (metered).

``max_attempts`` counts attempts, so 3 means at most two retries.
"""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx


class RetryClass(enum.Enum):
    READ = "read"
    RECOGNITION = "recognition"
    MUTATING = "mutating"
    UPLOAD = "upload"


@dataclass(frozen=True)
class RetryPolicy:
    retry_class: RetryClass
    max_attempts: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.retry_class is RetryClass.UPLOAD:
            object.__setattr__(self, "max_attempts", 1)

    def with_attempts(self, attempts: int) -> RetryPolicy:
        return replace(self, max_attempts=max(1, attempts))

    def delay(self, retry_number: int) -> float:
        """Seconds before retry ``retry_number`` (0 = first retry), with ±50 % jitter."""
        return backoff_delay(retry_number, self.backoff_factor, self.backoff_max)

    def retries_exception(self, exc: BaseException) -> bool:
        if self.retry_class is RetryClass.READ:
            return isinstance(exc, httpx.RequestError)
        if self.retry_class is RetryClass.UPLOAD:
            return False
        return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.WriteError)

    def retries_status(self, status: int) -> bool:
        if self.retry_class is RetryClass.READ:
            return status in (408, 429) or status >= 500
        if self.retry_class is RetryClass.RECOGNITION:
            return status >= 500
        return False


def backoff_delay(retry_number: int, factor: float = 0.5, cap: float = 30.0) -> float:
    """``min(factor * 2**n, cap) * U(0.5, 1.5)``: the SDK's backoff, reused for long poll."""
    base = min(factor * (2 ** min(retry_number, 32)), cap)
    return base * (0.5 + random.random())


async def run_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[httpx.Response]],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> httpx.Response:
    """Call ``attempt`` until it returns a non-retryable response or attempts run out.

    When attempts run out on a retryable status the last response is returned for normal
    decoding; on an exception the last exception propagates (the caller wraps it).
    """
    for number in range(policy.max_attempts):
        last = number == policy.max_attempts - 1
        try:
            response = await attempt()
        except Exception as exc:  # noqa: BLE001 - classified just below
            if last or not policy.retries_exception(exc):
                raise
        else:
            if last or not policy.retries_status(response.status_code):
                return response
            await response.aclose()
        await sleep(policy.delay(number))
    raise AssertionError("unreachable: max_attempts >= 1")
