"""Downloading a song's MP3 and cover image from Udio's media hosts.

These URLs point at third-party storage (Google Cloud Storage, Cloudflare Images), so requests
carry no API key. Signed links expire, and Udio restricted downloads after the 2025 label
settlement (docs/protocols/udio.md §3): a refused or missing file is an ``AudioUnavailableError``
for that one song, never a crash, and the song's metadata stays usable.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from radiowatch.udio.errors import (
    AudioDownloadError,
    AudioNotMp3Error,
    AudioTooLargeError,
    AudioUnavailableError,
)
from radiowatch.udio.models import UdioSong

DEFAULT_MAX_AUDIO_BYTES = 50 * 1024 * 1024  # a 10-minute 320 kbps MP3 is ~24 MB
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024
ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total if known)

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def audio_filename(song: UdioSong) -> str:
    """``Title [id8].mp3``: readable, unique per song, safe on every filesystem.
    (The URL's own name is double-URL-encoded, e.g. ``Final%2520Echoes.mp3``, so not used.)"""
    title = " ".join(_UNSAFE.sub(" ", song.title or "").split()).strip(" .") or "Udio song"
    return f"{title[:80]} [{song.id[:8]}].mp3"


async def download_audio(
    http: httpx.AsyncClient,
    song: UdioSong,
    dest_dir: Path,
    *,
    max_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Stream ``song.song_path`` to ``dest_dir`` and return the file's path.

    Writes to a temporary file first, so an interrupted or refused download never leaves a
    truncated MP3 that looks complete. An existing complete file is reused.
    """
    url = song.audio_url
    if not url:
        raise AudioUnavailableError(
            song.id,
            f"“{song.display_title}” has no audio link yet"
            + (" (still generating)." if not song.finished else "."),
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / audio_filename(song)
    if target.exists() and target.stat().st_size > 0:
        return target
    fd, tmp_name = tempfile.mkstemp(prefix=".udio-", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            await _stream_to(http, url, song, out, max_bytes, on_progress)
        _check_mp3(tmp, song)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


async def _stream_to(http, url, song, out, max_bytes, on_progress) -> None:
    try:
        async with http.stream("GET", url) as response:
            if response.status_code >= 400:
                raise _refused(song, response.status_code)
            total = _content_length(response)
            if total is not None and total > max_bytes:
                raise _too_large(song, max_bytes)
            written = 0
            async for chunk in response.aiter_bytes():
                written += len(chunk)
                if written > max_bytes:
                    raise _too_large(song, max_bytes)
                out.write(chunk)
                if on_progress:
                    on_progress(written, total)
    except httpx.HTTPError as exc:
        raise AudioDownloadError(
            song.id,
            f"Downloading “{song.display_title}” from {urlsplit(url).netloc} failed "
            f"({type(exc).__name__}). Check your network and try again.",
        ) from exc


def _refused(song: UdioSong, status: int) -> AudioUnavailableError:
    reason = {
        401: "refused it (401)",
        403: "refused it (403): the link has probably expired or downloads are restricted",
        404: "no longer has it (404)",
        410: "says it is gone (410): the link has expired",
    }.get(status, f"answered HTTP {status}")
    return AudioUnavailableError(
        song.id,
        f"Audio for “{song.display_title}” is not available: the audio host {reason}. "
        "The song's details are kept; fetch the task again for a fresh link.",
        status_code=status,
    )


def _too_large(song: UdioSong, max_bytes: int) -> AudioTooLargeError:
    return AudioTooLargeError(
        song.id,
        f"Audio for “{song.display_title}” is larger than the {max_bytes / 1e6:.0f} MB limit; "
        "not downloaded.",
    )


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _check_mp3(path: Path, song: UdioSong) -> None:
    """An MP3 starts with an ID3 tag or an MPEG frame sync; anything else (an HTML or XML
    error page served with 200) is refused."""
    with path.open("rb") as f:
        head = f.read(3)
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return
    raise AudioNotMp3Error(
        song.id,
        f"The audio host sent something that is not an MP3 for “{song.display_title}”; "
        "the link may have expired.",
    )


async def fetch_cover(
    http: httpx.AsyncClient, song: UdioSong, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
) -> bytes | None:
    """The cover image bytes, or None if there is none or it cannot be fetched (a cover is
    decoration: its failure is never an error for the user)."""
    if not song.image_path:
        return None
    try:
        async with http.stream("GET", song.image_path) as response:
            if response.status_code >= 400:
                return None
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    return None
            return bytes(data)
    except httpx.HTTPError:
        return None
