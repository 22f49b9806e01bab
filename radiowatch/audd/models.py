"""pydantic v2 models of every AudD reply: the single source of truth for the wire format.

Parsing is deliberately forgiving (docs/protocols/audd.md §11.3): a wrong-typed scalar is coerced or
dropped to ``None``, a broken list item is skipped, an absent provider block is
``None``, and unknown keys are kept in ``model_extra`` (``extra="allow"``) so new
AudD fields survive a round trip. Shape errors that make a reply unusable are the
parsers' job (callbacks.py, client.py), which raise AudDInvalidResponse.

Servers may build replies with ``model.model_dump(exclude_none=True)``: computed
helpers (``start_seconds``, ``song``...) are properties and never dumped.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    WrapValidator,
    model_validator,
)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value) if abs(value) < 1e300 else math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _to_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _or_none(value: Any, handler: Any) -> Any:
    """Validate, or drop the value to None instead of failing the whole model."""
    try:
        return handler(value)
    except (ValidationError, ValueError, TypeError):
        return None


def _items_that_parse(value: Any, handler: Any) -> Any:
    """A list whose broken items are skipped rather than failing the list (None if no list)."""
    if not isinstance(value, list):
        return None
    return _kept_items(value, handler)


def _items_or_empty(value: Any, handler: Any) -> Any:
    """Like ``_items_that_parse`` but a missing/non-list value becomes ``[]``."""
    return _kept_items(value, handler) if isinstance(value, list) else []


def _kept_items(value: list[Any], handler: Any) -> list[Any]:
    kept = []
    for item in value:
        try:
            kept.extend(handler([item]))
        except (ValidationError, ValueError, TypeError):
            continue
    return kept


Int = Annotated[int | None, BeforeValidator(_to_int)]
Float = Annotated[float | None, BeforeValidator(_to_float)]
Str = Annotated[str | None, BeforeValidator(_to_str)]
Bool = Annotated[bool | None, BeforeValidator(_to_bool)]
Id = Annotated[int | str | None, WrapValidator(_or_none)]
Json = Any


class WireModel(BaseModel):
    """Base: keep unknown keys, never fail on a wrong-typed optional field."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)


# --- provider blocks (docs/protocols/audd.md §3.4) ---------------------------------------------------------


class AppleMusic(WireModel):
    artistName: Str = None
    url: Str = None
    durationInMillis: Int = None
    name: Str = None
    isrc: Str = None
    albumName: Str = None
    trackNumber: Int = None
    composerName: Str = None
    discNumber: Int = None
    releaseDate: Str = None


class Spotify(WireModel):
    id: Str = None
    name: Str = None
    duration_ms: Int = None
    explicit: Bool = None
    popularity: Int = None
    track_number: Int = None
    type: Str = None
    uri: Str = None


class Deezer(WireModel):
    id: Int = None
    title: Str = None
    duration: Int = None
    link: Str = None


class Napster(WireModel):
    id: Str = None
    name: Str = None
    isrc: Str = None
    artistName: Str = None
    albumName: Str = None


class MusicBrainzRecording(WireModel):
    id: Str = None
    score: Int = None
    title: Str = None
    length: Int = None


def _dig(data: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[key] if isinstance(key, int) else data.get(key)
    return data


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(text: str | None) -> float | None:
    """``SS``, ``MM:SS`` or ``HH:MM:SS`` (or a bare number) to seconds."""
    if text is None:
        return None
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3:
        return None
    total = 0.0
    for part in parts:
        number = _to_float(part)
        if number is None or number < 0:
            return None
        total = total * 60 + number
    return total


# --- songs ------------------------------------------------------------------------------

STREAMING_PROVIDERS = ("spotify", "apple_music", "deezer", "napster", "youtube")


class Song(WireModel):
    """Fields shared by every song-shaped object: recognition, enterprise, callbacks."""

    artist: Str = None
    title: Str = None
    album: Str = None
    release_date: Str = None
    label: Str = None
    timecode: Str = None
    song_link: Str = None
    isrc: Str = None
    upc: Str = None
    audio_id: Int = None
    score: Int = None
    apple_music: Annotated[AppleMusic | None, WrapValidator(_or_none)] = None
    spotify: Annotated[Spotify | None, WrapValidator(_or_none)] = None
    deezer: Annotated[Deezer | None, WrapValidator(_or_none)] = None
    napster: Annotated[Napster | None, WrapValidator(_or_none)] = None
    musicbrainz: Annotated[list[MusicBrainzRecording] | None, WrapValidator(_items_that_parse)] = (
        None
    )

    @property
    def is_custom_match(self) -> bool:
        """A hit in the user's own catalog: only ``audio_id`` and ``timecode`` come back."""
        return self.audio_id is not None

    def _lis_tn(self) -> bool:
        if not self.song_link:
            return False
        try:
            return urlsplit(self.song_link).hostname == "lis.tn"
        except ValueError:
            return False

    def _with_query_flag(self, flag: str) -> str:
        link = self.song_link or ""
        return f"{link}{'&' if '?' in link else '?'}{flag}"

    @property
    def thumbnail_url(self) -> str | None:
        """lis.tn serves a small cover at ``<song_link>?thumb``; other hosts have none."""
        return self._with_query_flag("thumb") if self._lis_tn() else None

    def streaming_url(self, provider: str) -> str | None:
        """Where to listen on ``provider``: the provider's own link, else lis.tn's redirect."""
        if provider not in STREAMING_PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; use one of {STREAMING_PROVIDERS}")
        direct: str | None = None
        if provider == "apple_music" and self.apple_music:
            direct = self.apple_music.url
        elif provider == "spotify" and self.spotify:
            direct = _str_or_none(_dig(self.spotify.model_extra, "external_urls", "spotify"))
            direct = direct or self.spotify.uri
        elif provider == "deezer" and self.deezer:
            direct = self.deezer.link
        elif provider == "napster" and self.napster:
            direct = _str_or_none((self.napster.model_extra or {}).get("href"))
        if direct:
            return direct
        return self._with_query_flag(provider) if self._lis_tn() else None

    def cover_art_url(self, size: int = 600) -> str | None:
        """Best cover art: Apple Music artwork at ``size`` px, Spotify, Deezer, then lis.tn."""
        artwork = _dig(self.apple_music.model_extra if self.apple_music else None, "artwork", "url")
        if isinstance(artwork, str) and artwork:
            return artwork.replace("{w}", str(size)).replace("{h}", str(size))
        spotify = self.spotify.model_extra if self.spotify else None
        image = _str_or_none(_dig(spotify, "album", "images", 0, "url"))
        if image:
            return image
        deezer = self.deezer.model_extra if self.deezer else None
        for key in ("cover_xl", "cover_big", "cover_medium", "cover"):
            image = _str_or_none(_dig(deezer, "album", key))
            if image:
                return image
        return self.thumbnail_url

    def preview_url(self) -> str | None:
        """A short audio preview from the first provider that offers one."""
        apple = self.apple_music.model_extra if self.apple_music else None
        spotify = self.spotify.model_extra if self.spotify else None
        deezer = self.deezer.model_extra if self.deezer else None
        return (
            _str_or_none(_dig(apple, "previews", 0, "url"))
            or _str_or_none(_dig(spotify, "preview_url"))
            or _str_or_none(_dig(deezer, "preview"))
        )

    def pretty(self) -> str:
        """One line for logs and lists: ``Artist — Title (Album, 2014) @00:56``."""
        if self.is_custom_match and not (self.artist or self.title):
            head = f"custom catalog song #{self.audio_id}"
        else:
            head = " — ".join(p for p in (self.artist, self.title) if p) or "unknown song"
        details = [p for p in (self.album, (self.release_date or "")[:4]) if p]
        if details:
            head += f" ({', '.join(details)})"
        if self.timecode:
            head += f" @{self.timecode}"
        if self.score is not None:
            head += f" [{self.score}%]"
        return head

    def __str__(self) -> str:
        return self.pretty()


class RecognitionResult(Song):
    """``result`` of a standard recognition (docs/protocols/audd.md §3.3)."""


# --- enterprise (docs/protocols/audd.md §4.2) --------------------------------------------------------------


class EnterpriseMatch(Song):
    """One candidate inside a 12 s chunk. ``start_offset``/``end_offset`` are ms in the chunk."""

    start_offset: Int = None
    end_offset: Int = None
    _chunk_seconds: float | None = PrivateAttr(default=None)
    _chunk_offset: str | None = PrivateAttr(default=None)

    @property
    def chunk_offset(self) -> str | None:
        """The chunk's ``offset`` string, as sent."""
        return self._chunk_offset

    @property
    def start_seconds(self) -> float | None:
        """Absolute start in the submitted file: chunk start + ``start_offset`` (0 if absent)."""
        if self._chunk_seconds is None:
            return None
        return self._chunk_seconds + (self.start_offset or 0) / 1000

    @property
    def end_seconds(self) -> float | None:
        """Absolute end in the submitted file: chunk start + ``end_offset`` (0 if absent)."""
        if self._chunk_seconds is None:
            return None
        return self._chunk_seconds + (self.end_offset or 0) / 1000


class EnterpriseChunk(WireModel):
    offset: Str = None
    songs: Annotated[list[EnterpriseMatch], WrapValidator(_items_or_empty)] = []

    @model_validator(mode="after")
    def _place_songs(self) -> EnterpriseChunk:
        start = self.offset_seconds
        for song in self.songs or []:
            song._chunk_seconds = start
            song._chunk_offset = self.offset
        return self

    @property
    def offset_seconds(self) -> float | None:
        return _seconds(self.offset)


class EnterpriseResult(WireModel):
    """The whole enterprise reply: chunks in file order, plus the server's execution time."""

    chunks: Annotated[list[EnterpriseChunk], WrapValidator(_items_or_empty)] = []
    execution_time: Str = None

    @property
    def matches(self) -> list[EnterpriseMatch]:
        """Every candidate of every chunk, flattened in file order (as the SDK returns)."""
        return [song for chunk in self.chunks for song in (chunk.songs or [])]


# --- streams, lyrics ---------------------------------------------------------------------


class Stream(WireModel):
    """One entry of ``getStreams`` (docs/protocols/audd.md §5.3)."""

    radio_id: Int = None
    url: Str = None
    stream_running: Bool = None
    longpoll_category: Str = None


class LyricsResult(WireModel):
    """One entry of ``findLyrics`` (docs/protocols/audd.md §9)."""

    artist: Str = None
    title: Str = None
    lyrics: Str = None
    song_id: Id = None
    media: Json = None
    full_title: Str = None
    artist_id: Id = None
    song_link: Str = None


# --- callbacks and long-poll events (docs/protocols/audd.md §6) --------------------------------------------

AUDD_CALLBACK_TZ = timezone(timedelta(hours=3))
"""AudD's callback timestamps are most likely UTC+3 (docs/protocols/audd.md §6.1, CONFLICT)."""


class CallbackSong(Song):
    """One candidate in a stream callback's ``results``."""


class MatchEvent(WireModel):
    """A song was recognised on stream ``radio_id`` (docs/protocols/audd.md §6.1)."""

    kind: ClassVar[str] = "match"
    radio_id: Int = None
    timestamp: Str = None
    play_length: Int = None
    results: Annotated[list[CallbackSong], WrapValidator(_items_or_empty)] = []

    @property
    def song(self) -> CallbackSong | None:
        """The first (best) candidate."""
        return self.results[0] if self.results else None

    @property
    def alternatives(self) -> list[CallbackSong]:
        """Near-duplicate candidates (variant releases) after the first."""
        return list(self.results[1:])

    def played_at(self, tz: timezone = AUDD_CALLBACK_TZ) -> datetime | None:
        """``timestamp`` as an aware datetime, read in ``tz`` (UTC+3 for the AudD cloud)."""
        if not self.timestamp:
            return None
        try:
            naive = datetime.strptime(self.timestamp.strip(), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        return naive.replace(tzinfo=tz)

    def dedupe_key(self) -> tuple[Any, ...]:
        """Replays repeat events; this identifies one (docs/protocols/audd.md §14: radio, time, artist/title).

        Whether it carries a `play_length` is part of it: a radiowatch engine with
        `callbacks=both` reports a play twice, when it starts (without) and when it ends (with),
        and the second report is not a replay of the first."""
        song = self.song
        return (
            "match",
            self.radio_id,
            self.timestamp,
            song and song.artist,
            song and song.title,
            self.play_length is None,
        )

    def pretty(self) -> str:
        song = self.song.pretty() if self.song else "no song"
        return f"radio {self.radio_id} @ {self.timestamp}: {song}"


class NotificationEvent(WireModel):
    """The stream's state changed: 650 can't connect, 651 no music, 0 recovered (docs/protocols/audd.md §6.2)."""

    kind: ClassVar[str] = "notification"
    radio_id: Int = None
    stream_running: Bool = None
    notification_code: Int = None
    notification_message: Str = None
    time: Int = None

    def dedupe_key(self) -> tuple[Any, ...]:
        return ("notification", self.radio_id, self.time, self.notification_code)

    def pretty(self) -> str:
        state = "running" if self.stream_running else "stopped"
        return (
            f"radio {self.radio_id} [{self.notification_code}] {state}: "
            f"{self.notification_message or ''}"
        ).rstrip()


StreamEvent = MatchEvent | NotificationEvent
