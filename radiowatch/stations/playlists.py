"""Turning what the user typed into the stream address AudD is given.

Station pages usually link a playlist (`listen.pls`, `stream.m3u`) rather than the stream.
A playlist URL is fetched (with a timeout and a size cap, because a mislabelled link may be the
endless audio stream itself) and a playlist file is read; the first http(s) entry becomes the
source. An HLS `.m3u8` (one with `#EXT-X-` tags) *is* the stream: AudD takes its URL as is.
"""

from __future__ import annotations

import asyncio
import configparser
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from radiowatch import __version__
from radiowatch.stations.errors import StationError
from radiowatch.stations.sources import (
    SourceKind,
    classify_source,
    normalise_source,
    playlist_file_path,
)

MAX_PLAYLIST_BYTES = 512 * 1024
DEFAULT_TIMEOUT = 10.0
_MAX_NESTING = 2
_PLAYLIST_TYPES = ("mpegurl", "scpls", "x-pls", "playlist")


@dataclass(frozen=True)
class ResolvedSource:
    """`source` goes to AudD; `entered` is what the user typed, kept so they can edit it."""

    source: str
    entered: str
    kind: SourceKind
    note: str = ""


def is_hls(text: str) -> bool:
    return "#EXT-X-" in text.upper()


def parse_pls(text: str) -> list[str]:
    """`FileN=` entries of a .pls playlist, in N order."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        parser = None
    entries: list[tuple[int, str]] = []
    if parser is not None:
        for section in parser.sections():
            for key, value in parser.items(section):
                match = re.fullmatch(r"file(\d+)", key.strip().lower())
                if match and value.strip():
                    entries.append((int(match.group(1)), value.strip()))
    if not entries:  # tolerate a .pls without the [playlist] header
        for line in text.splitlines():
            match = re.match(r"^\s*file(\d+)\s*=\s*(\S.*?)\s*$", line, re.IGNORECASE)
            if match:
                entries.append((int(match.group(1)), match.group(2)))
    return [value for _, value in sorted(entries)]


def parse_m3u(text: str, base_url: str | None = None) -> list[str]:
    """Entries of an .m3u/.m3u8 list; relative ones resolved against `base_url`."""
    entries = []
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        entries.append(urljoin(base_url, line) if base_url else line)
    return entries


def parse_playlist(text: str, base_url: str | None = None) -> list[str]:
    head = text.lstrip("\ufeff \r\n\t")[:200].lower()
    if head.startswith("[playlist]") or re.search(r"(?im)^\s*file\d+\s*=", text):
        return parse_pls(text)
    return parse_m3u(text, base_url)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


async def resolve_source(
    entered: str,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_PLAYLIST_BYTES,
) -> ResolvedSource:
    """Resolve `entered` to a source AudD accepts; raises StationError(field='source')."""
    entered = entered.strip()
    kind = classify_source(entered)
    if kind not in (SourceKind.PLAYLIST_URL, SourceKind.PLAYLIST_FILE):
        return ResolvedSource(normalise_source(entered), entered, kind)
    own_client = client is None
    if client is None:
        client = httpx.AsyncClient(headers={"User-Agent": f"radiowatch/{__version__}"})
    try:
        source, note = await _resolve_playlist(entered, kind, client, timeout, max_bytes, 0)
    finally:
        if own_client:
            await client.aclose()
    return ResolvedSource(source, entered, kind, note)


async def _resolve_playlist(
    entered: str,
    kind: SourceKind,
    client: httpx.AsyncClient,
    timeout: float,
    max_bytes: int,
    depth: int,
) -> tuple[str, str]:
    if kind is SourceKind.PLAYLIST_FILE:
        text, base, name = _read_playlist_file(entered, max_bytes), None, entered
        if is_hls(text):
            raise StationError(
                "source",
                f"{Path(entered).name} is an HLS playlist of media segments, which cannot be "
                "monitored from a file. Enter the stream's .m3u8 URL instead.",
            )
    else:
        fetched = await _fetch_playlist(entered, client, timeout, max_bytes)
        if fetched is None:  # the "playlist" link serves audio: it is the stream
            return entered, "The address serves audio directly; using it as the stream."
        text, base = fetched
        name = entered
        if is_hls(text):
            return entered, "HLS stream."
    entries = parse_playlist(text, base)
    for entry in entries:
        try:
            entry_kind = classify_source(entry)
        except StationError:
            continue
        if entry_kind is SourceKind.STREAM_URL:
            return entry, _note(entries, entry)
        if entry_kind is SourceKind.PLAYLIST_URL and depth < _MAX_NESTING:
            try:
                return await _resolve_playlist(
                    entry, entry_kind, client, timeout, max_bytes, depth + 1
                )
            except StationError:
                continue
    raise StationError(
        "source",
        f"The playlist {name} contains no http:// or https:// stream address. "
        "Open it in a text editor to check it, or enter the stream URL directly.",
    )


def _note(entries: list[str], chosen: str) -> str:
    if len(entries) > 1:
        return f"Playlist has {len(entries)} entries; using the first stream, {chosen}."
    return f"Resolved from playlist to {chosen}."


def _read_playlist_file(entered: str, max_bytes: int) -> str:
    path = playlist_file_path(entered)
    try:
        if path.is_dir():
            raise StationError("source", f"{path} is a folder, not a playlist file.")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise StationError(
            "source",
            f"The playlist file {path} does not exist. Check the path, or use Browse… to pick it.",
        ) from None
    except PermissionError:
        raise StationError(
            "source", f"The playlist file {path} cannot be read (permission denied)."
        ) from None
    except OSError as exc:
        raise StationError(
            "source", f"The playlist file {path} cannot be read: {exc.strerror}."
        ) from None
    if len(data) > max_bytes:
        raise StationError(
            "source",
            f"{path.name} is larger than {max_bytes // 1024} KB, too big for a playlist. "
            "Pick the .pls/.m3u file that lists the stream.",
        )
    return _decode(data)


async def _fetch_playlist(
    url: str, client: httpx.AsyncClient, timeout: float, max_bytes: int
) -> tuple[str, str] | None:
    """The playlist's text and final URL, or None if the URL turns out to serve audio."""
    host = urlsplit(url).hostname or url
    try:
        async with asyncio.timeout(timeout * 2):
            async with client.stream(
                "GET", url, timeout=timeout, follow_redirects=True
            ) as response:
                if response.status_code >= 400:
                    raise StationError(
                        "source",
                        f"The playlist at {url} answered HTTP {response.status_code} "
                        f"({response.reason_phrase}). Check the address.",
                    )
                ctype = response.headers.get("content-type", "").lower()
                if ctype.startswith(("audio/", "application/ogg", "video/")) and not any(
                    t in ctype for t in _PLAYLIST_TYPES
                ):
                    return None
                data = b""
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise StationError(
                            "source",
                            f"The address {url} sent more than {max_bytes // 1024} KB without "
                            "looking like a playlist. If it is the stream itself, enter it "
                            "without the .pls/.m3u ending, or check the link.",
                        )
                return _decode(data), str(response.url)
    except StationError:
        raise
    except (TimeoutError, httpx.TimeoutException):
        raise StationError(
            "source",
            f"{host} did not send the playlist within {timeout:.0f} seconds. "
            "Check the address or try again later.",
        ) from None
    except httpx.ConnectError:
        raise StationError(
            "source",
            f"Cannot connect to {host} to fetch the playlist. Check the address and your "
            "internet connection.",
        ) from None
    except httpx.HTTPError as exc:
        raise StationError(
            "source", f"Fetching the playlist from {host} failed ({type(exc).__name__})."
        ) from None
