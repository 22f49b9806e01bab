"""One play of one track on one station: the unit of the history.

A `Play` is what the monitoring hands to the history and what the history hands back to the
UI and the exports. Times are timezone-aware; naive datetimes are taken as UTC because every
backend we speak to reports UTC or says which zone it uses (the caller converts first).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Origin = Literal["recognized", "manual"]

# Catalog tracks imported from these sources are AI-generated (`udio:<song id>`, written by
# radiowatch.udio.catalog_import); migration v4 back-fills stored plays with the same rule.
AI_GENERATED_PROVENANCE_PREFIXES = ("udio:",)


def is_ai_generated_provenance(provenance: str | None) -> bool:
    """True when a play's matched track came from an AI music generator (e.g. `udio:<id>`)."""
    if not provenance:
        return False
    return any(
        provenance.startswith(prefix) and len(provenance) > len(prefix)
        for prefix in AI_GENERATED_PROVENANCE_PREFIXES
    )


def to_epoch(moment: datetime) -> int:
    """UTC epoch seconds; naive datetimes count as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def epoch_to_datetime(seconds: int | float) -> datetime:
    """The aware UTC datetime of epoch seconds, for columns that are never NULL."""
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def from_epoch(seconds: int | float | None) -> datetime | None:
    if seconds is None:
        return None
    return epoch_to_datetime(seconds)


class Play(BaseModel):
    """A play as recorded (or corrected). `id` is None until the play is stored."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    radio_id: int | None = None
    station_name: str = ""
    start: datetime
    end: datetime | None = None
    play_length: float | None = Field(default=None, ge=0)
    artist: str = ""
    title: str = ""
    album: str | None = None
    label: str | None = None
    release_date: str | None = None
    isrc: str | None = None
    upc: str | None = None
    score: int | None = None
    song_link: str | None = None
    icy_title: str | None = None
    backend: str = ""
    provenance: str | None = None
    ai_generated: bool = False
    raw_event: dict[str, Any] | None = None
    origin: Origin = "recognized"
    false_positive: bool = False
    deleted: bool = False
    original_artist: str | None = None
    original_title: str | None = None
    edited_at: datetime | None = None
    key: str | None = Field(
        default=None,
        description="Identity of the event; derived from backend, station, start and track "
        "when not given. Manual plays get a random one.",
    )

    @field_validator("start", "end", "edited_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("artist", "title", "station_name", "backend", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return "" if value is None else str(value).strip()

    @model_validator(mode="after")
    def _ai_generated_from_provenance(self) -> Play:
        # Derived, so no path (monitoring, manual entry, a reload) can store a Udio play unflagged.
        # `model_copy(update=...)` skips validators: use `with_provenance` there.
        if not self.ai_generated and is_ai_generated_provenance(self.provenance):
            self.ai_generated = True
        return self

    def with_provenance(self, provenance: str | None) -> Play:
        """A copy with `provenance` set and `ai_generated` derived from it."""
        return self.model_copy(
            update={
                "provenance": provenance,
                "ai_generated": is_ai_generated_provenance(provenance),
            }
        )

    @property
    def effective_end(self) -> datetime | None:
        if self.end is not None:
            return self.end
        if self.play_length is not None:
            return self.start + timedelta(seconds=self.play_length)
        return None

    @property
    def found_later(self) -> bool:
        """Found in the local engine's archive after it aired (its track was added to the
        catalog later), not recognised live: the engine marks such events `found_later`
        (engine/archive/service.py). Read from the kept event, so no column is needed."""
        return bool(self.raw_event and self.raw_event.get("found_later") is True)

    @property
    def duration(self) -> float | None:
        """Seconds on air: play_length when the backend said, else end - start."""
        if self.play_length is not None:
            return self.play_length
        if self.end is not None:
            return max(0.0, (self.end - self.start).total_seconds())
        return None

    def event_key(self) -> str:
        """The idempotency key: the same event replayed maps to the same key.

        Built from what identifies a detection rather than the whole body, so a replay whose
        JSON differs in irrelevant ways (field order, a refreshed song_link) is still the same.
        """
        if self.key:
            return self.key
        identity = "\x1f".join(
            [
                self.backend,
                "" if self.radio_id is None else str(self.radio_id),
                str(to_epoch(self.start)),
                self.isrc or "",
                self.artist.casefold(),
                self.title.casefold(),
            ]
        )
        return hashlib.blake2b(identity.encode("utf-8"), digest_size=16).hexdigest()

    def raw_json(self) -> str | None:
        return None if self.raw_event is None else json.dumps(self.raw_event, ensure_ascii=False)

    @classmethod
    def from_stream_result(
        cls,
        result: dict[str, Any],
        *,
        station_name: str,
        backend: str,
        timestamp_tz: Any = UTC,
        raw_event: dict[str, Any] | None = None,
    ) -> Play:
        """Build a play from an AudD stream result (`{"radio_id", "timestamp", "play_length",
        "results": [...]}`), the shape both the callback and the long-poll event carry.

        The first candidate wins, as AudD's own receivers do. `timestamp_tz` is the zone the
        backend's `YYYY-MM-DD HH:MM:SS` is in (the spec notes AudD's cloud may use UTC+3).
        Raises ValueError with a readable reason when the result has no usable song.
        """
        songs = result.get("results") or []
        if not songs or not isinstance(songs[0], dict):
            raise ValueError("the stream result has no recognised song ('results' is empty)")
        song = songs[0]
        stamp = result.get("timestamp")
        try:
            start = datetime.strptime(str(stamp), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timestamp_tz)
        except ValueError as exc:
            raise ValueError(f"the stream result has an unreadable timestamp {stamp!r}") from exc
        length = result.get("play_length")
        return cls(
            radio_id=result.get("radio_id"),
            station_name=station_name,
            start=start.astimezone(UTC),
            play_length=float(length) if isinstance(length, int | float) else None,
            artist=song.get("artist") or "",
            title=song.get("title") or "",
            album=song.get("album"),
            label=song.get("label"),
            release_date=song.get("release_date"),
            isrc=song.get("isrc"),
            upc=song.get("upc"),
            score=song.get("score") if isinstance(song.get("score"), int) else None,
            song_link=song.get("song_link"),
            backend=backend,
            raw_event=raw_event if raw_event is not None else result,
        )
