"""What an enterprise scan will cost before it is sent: 1 request per 12-second chunk scanned.

AudD bills enterprise recognition per chunk (docs/protocols/audd.md §4.1), so a user scanning a three-hour
recording wants the number before pressing Send, and wants it to follow the skip/every/limit
fields as they type. The pattern is our reading of the docs: from ``skip_first_seconds`` the
file is cut into 12 s chunks; ``every`` consecutive chunks are scanned, then ``skip`` are left
out, repeating; ``limit`` caps the chunks scanned. A trailing partial chunk is counted (AudD's
handling of it is uncertain, so the estimate errs on the side of the larger bill).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

CHUNK_SECONDS = 12.0


class ScanPlan(BaseModel):
    """The enterprise scan options, validated the way the server validates them."""

    skip: int = Field(0, ge=0)
    every: int = Field(1, ge=1)
    limit: int | None = Field(None, ge=1)
    skip_first_seconds: int = Field(0, ge=0)
    accurate_offsets: bool = True

    def scans(self, chunk_index: int) -> bool:
        return chunk_index % (self.every + self.skip) < self.every

    def request_params(self) -> dict[str, int | bool | None]:
        """Keyword arguments for ``AudDClient.recognize_enterprise`` (defaults left out)."""
        return {
            "skip": self.skip or None,
            "every": self.every if (self.every != 1 or self.skip) else None,
            "limit": self.limit,
            "skip_first_seconds": self.skip_first_seconds or None,
            "accurate_offsets": self.accurate_offsets,
        }


def chunk_count(duration_s: float, skip_first_seconds: float = 0.0) -> int:
    """12 s chunks in the part of the file after ``skip_first_seconds``."""
    remaining = max(0.0, float(duration_s) - float(skip_first_seconds))
    return math.ceil(remaining / CHUNK_SECONDS - 1e-9) if remaining > 0 else 0


def estimated_requests(duration_s: float, plan: ScanPlan) -> int:
    """Requests (= chunks scanned) a scan of a ``duration_s``-second file will be billed."""
    chunks = chunk_count(duration_s, plan.skip_first_seconds)
    period = plan.every + plan.skip
    full, rest = divmod(chunks, period)
    scanned = full * plan.every + min(rest, plan.every)
    if plan.limit is not None:
        scanned = min(scanned, plan.limit)
    return scanned


def scanned_seconds(duration_s: float, plan: ScanPlan) -> float:
    """Seconds of audio the scan will look at (for "scans 12 s of every minute" hints)."""
    return min(
        estimated_requests(duration_s, plan) * CHUNK_SECONDS,
        max(0.0, duration_s - plan.skip_first_seconds),
    )


def describe_cost(duration_s: float | None, plan: ScanPlan) -> str:
    """One line for the UI, e.g. ``≈ 900 requests (scans 3:00:00 of 3:00:00)``."""
    period = plan.every + plan.skip
    pattern = (
        "every chunk"
        if plan.skip == 0
        else f"{plan.every} of every {period} chunks ({plan.every * 12} s per {period * 12} s)"
    )
    if duration_s is None or duration_s <= 0:
        return (
            f"1 request per 12 s scanned; scans {pattern}. Length unknown until the file is read."
        )
    n = estimated_requests(duration_s, plan)
    word = "request" if n == 1 else "requests"
    return (
        f"≈ {n} {word} — scans {format_duration(scanned_seconds(duration_s, plan))} "
        f"of {format_duration(duration_s)} ({pattern})"
    )


def format_duration(seconds: float) -> str:
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
