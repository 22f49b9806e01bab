"""The stream source forms AudD accepts, and telling them apart.

AudD's `addStream` takes a direct stream URL (Icecast, SHOUTcast, HLS `.m3u8`, DASH, `.mp3`),
`twitch:<channel>`, `youtube:<video_id>` or `youtube-ch:<channel_id>`. The user may also type a
playlist (`.pls`, `.m3u`, `.m3u8`) URL or a local playlist file; those are resolved to the
stream inside them by `radiowatch.stations.playlists` before the station is saved.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from radiowatch.stations.errors import StationError

PLAYLIST_SUFFIXES = (".pls", ".m3u", ".m3u8")

_TWITCH = re.compile(r"^[A-Za-z0-9_]{2,25}$")
_YOUTUBE_VIDEO = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")

SOURCE_HELP = (
    "A stream URL (Icecast, SHOUTcast or HLS; http:// or https://), a playlist URL or file "
    "(.pls, .m3u, .m3u8), twitch:channel, youtube:VIDEO_ID or youtube-ch:CHANNEL_ID."
)


class SourceKind(StrEnum):
    STREAM_URL = "stream_url"
    PLAYLIST_URL = "playlist_url"
    PLAYLIST_FILE = "playlist_file"
    TWITCH = "twitch"
    YOUTUBE = "youtube"
    YOUTUBE_CHANNEL = "youtube_channel"


def is_playlist_name(path: str) -> bool:
    return path.lower().endswith(PLAYLIST_SUFFIXES)


def classify_source(text: str) -> SourceKind:
    """Which form `text` is in; raises StationError(field='source') when it is none of them."""
    text = text.strip()
    if not text:
        raise StationError("source", "Enter the stream's address. " + SOURCE_HELP)
    lower = text.lower()
    if lower.startswith("file://"):
        return SourceKind.PLAYLIST_FILE
    if text.startswith(("/", "~", "./", "../")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return SourceKind.PLAYLIST_FILE
    for prefix, kind, pattern, what in (
        ("twitch:", SourceKind.TWITCH, _TWITCH, "a Twitch channel name (letters, digits, _)"),
        (
            "youtube-ch:",
            SourceKind.YOUTUBE_CHANNEL,
            _YOUTUBE_CHANNEL,
            "a YouTube channel id (24 characters starting with UC)",
        ),
        ("youtube:", SourceKind.YOUTUBE, _YOUTUBE_VIDEO, "an 11-character YouTube video id"),
    ):
        if lower.startswith(prefix):
            value = text[len(prefix) :]
            if not pattern.match(value):
                raise StationError("source", f"After '{prefix}' put {what}; {value!r} is not one.")
            return kind
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise StationError("source", f"The URL {text!r} has no host name.")
        return SourceKind.PLAYLIST_URL if is_playlist_name(parts.path) else SourceKind.STREAM_URL
    if parts.scheme and "://" in text:
        raise StationError(
            "source",
            f"'{parts.scheme}://' streams are not supported. Use an http:// or https:// stream "
            "URL, a playlist, twitch:, youtube: or youtube-ch:.",
        )
    if is_playlist_name(text):
        return SourceKind.PLAYLIST_FILE
    raise StationError("source", f"{text!r} is not a stream address. " + SOURCE_HELP)


def normalise_source(text: str) -> str:
    """The canonical spelling of a non-playlist source (lower-case scheme prefix)."""
    text = text.strip()
    for prefix in ("twitch:", "youtube-ch:", "youtube:"):
        if text.lower().startswith(prefix):
            return prefix + text[len(prefix) :]
    return text


def validate_stream_source(text: str) -> str:
    """Check a source AudD can be given directly (after playlist resolution); returns it."""
    kind = classify_source(text)
    if kind is SourceKind.PLAYLIST_FILE:
        raise StationError("source", "A local file cannot be monitored; give the stream URL.")
    return normalise_source(text)


def playlist_file_path(text: str) -> Path:
    text = text.strip()
    if text.lower().startswith("file://"):
        return Path(unquote(urlsplit(text).path))
    return Path(text).expanduser()
