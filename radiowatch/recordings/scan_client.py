"""Asking a radiowatch engine for the play log of a recording (its `/playlog/` route).

The engine runs the same play detection as live monitoring and streams its findings as JSON
lines: progress, each play as soon as it is final, then a summary (docs in the engine's
api/playlog_routes.py). A local engine reads the file in place (`path`); a remote one gets it
uploaded, streamed from disk (a recording can be gigabytes: it is never read into memory).
Cancelling the coroutine closes the connection, which stops the engine's scan.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

# Progress lines come every few seconds; an upload is sent before the first one arrives.
TIMEOUT = httpx.Timeout(30.0, read=300.0)
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class PlayLogScanError(Exception):
    """The scan could not run; `str(e)` says why, in words a user can act on."""


@dataclass(frozen=True)
class ScannedPlay:
    """One airing found in the recording: seconds from its start, and the engine's song."""

    start_s: float
    end_s: float
    track_id: str
    score: int | None = None
    speed: float | None = None
    song: dict[str, Any] = field(default_factory=dict)

    @property
    def artist(self) -> str:
        return str(self.song.get("artist") or "")

    @property
    def title(self) -> str:
        return str(self.song.get("title") or "") or f"Catalog track {self.track_id}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScannedPlay:
        start, end = float(data["start_s"]), float(data["end_s"])
        if not 0 <= start < end:
            raise ValueError(f"a play from {start} s to {end} s")
        song = data.get("song") if isinstance(data.get("song"), dict) else {}
        score = data.get("score")
        speed = data.get("speed")
        return cls(
            start_s=start,
            end_s=end,
            track_id=str(data.get("track_id") or ""),
            score=int(score) if isinstance(score, int | float) else None,
            speed=float(speed) if isinstance(speed, int | float) else None,
            song=dict(song or {}),
        )


@dataclass
class ScanResult:
    plays: list[ScannedPlay]
    seconds: float  # audio read
    error: str | None = None  # the recording is damaged from `seconds` on


def is_local_engine(base_url: str) -> bool:
    """An engine on this machine can read the recording where it is."""
    return (urlsplit(base_url).hostname or "") in _LOOPBACK


async def scan_play_log(
    base_url: str,
    token: str,
    recording: Path,
    *,
    http: httpx.AsyncClient | None = None,
    min_play_s: float | None = None,
    upload: bool | None = None,
    on_progress: Callable[[float, float | None], object] | None = None,
    on_play: Callable[[ScannedPlay], object] | None = None,
) -> ScanResult:
    """The plays in `recording`, as the engine at `base_url` finds them.

    `upload`: send the file's bytes (default: only to an engine on another machine).
    `on_progress(position_s, duration_s | None)` and `on_play(play)` are called as lines
    arrive. Raises PlayLogScanError when the engine refuses or cannot read the recording.
    """
    url = base_url.rstrip("/") + "/playlog/"
    data = {"api_token": token}
    if min_play_s is not None:
        data["min_play_s"] = str(min_play_s)
    owned = http is None
    client = http or httpx.AsyncClient(timeout=TIMEOUT)
    plays: list[ScannedPlay] = []
    try:
        if not (upload if upload is not None else not is_local_engine(base_url)):
            request = client.stream(
                "POST", url, data={**data, "path": str(recording)}, timeout=TIMEOUT
            )
            return await _read(request, plays, on_progress, on_play)
        with recording.open("rb") as fh:
            files = {"file": (recording.name, fh, "application/octet-stream")}
            request = client.stream("POST", url, data=data, files=files, timeout=TIMEOUT)
            return await _read(request, plays, on_progress, on_play)
    except OSError as exc:
        raise PlayLogScanError(f"Cannot read {recording}: {exc.strerror or exc}") from exc
    except httpx.TimeoutException as exc:
        raise PlayLogScanError("The engine stopped answering during the scan.") from exc
    except httpx.HTTPError as exc:
        raise PlayLogScanError(f"Cannot reach the engine ({type(exc).__name__}: {exc}).") from exc
    finally:
        if owned:
            await client.aclose()


async def _read(request, plays, on_progress, on_play) -> ScanResult:
    result: ScanResult | None = None
    failure: str | None = None
    async with request as response:
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or "ndjson" not in kind:
            body = (await response.aread()).decode("utf-8", "replace")
            raise PlayLogScanError(_refusal(response.status_code, body))
        # read to the end (the engine closes after its last line): leaving httpx's line
        # iterator early leaves its connection's byte stream to the garbage collector
        async for line in response.aiter_lines():
            item = _parse(line)
            if item is None:
                continue
            if "play" in item:
                try:
                    play = ScannedPlay.from_json(item["play"])
                except (KeyError, TypeError, ValueError):
                    continue
                plays.append(play)
                if on_play is not None:
                    on_play(play)
            elif "progress" in item and on_progress is not None:
                progress = item["progress"]
                on_progress(float(progress.get("position_s") or 0), progress.get("duration_s"))
            elif "error" in item:
                error = item["error"]
                failure = str(error.get("message") if isinstance(error, dict) else error)
            elif "done" in item:
                done = item["done"]
                result = ScanResult(plays, float(done.get("seconds") or 0), done.get("error"))
    if failure is not None:
        raise PlayLogScanError(failure)
    if result is None:
        raise PlayLogScanError("The engine ended the scan without finishing it; try again.")
    return result


def _parse(line: str) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        item = json.loads(line)
    except ValueError:
        return None  # an unreadable line is skipped, the scan goes on
    return item if isinstance(item, dict) else None


def _refusal(status: int, body: str) -> str:
    try:
        error = json.loads(body).get("error") or {}
        message = error.get("error_message")
    except (ValueError, AttributeError):
        message = None
    if status == 404 or (message and "unknown API method" in message):
        return (
            "This backend cannot make play logs: it needs a radiowatch engine (local or remote). "
            "The AudD cloud finds songs in long files with the Cue list mode."
        )
    return message or f"The engine answered HTTP {status}."
