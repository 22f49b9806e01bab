"""Pydantic models for the Udio task API (`GET /udio/query?ids=...`, see docs/protocols/udio.md).

The reseller's page calls all 31 fields "required", but several are null in its own examples
and unfinished tasks carry empty strings, so every field here has a default and the media and
error fields are nullable. Fields we do not know yet are kept (``extra="allow"``) so the raw
JSON can be stored and re-read when a reseller adds something.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SongStatus(StrEnum):
    """Where a requested id stands, as the table shows it."""

    PENDING = "pending"
    FINISHED = "finished"
    FAILED = "failed"


class ReplacedTags(BaseModel):
    """One step of Udio's prompt optimisation: the original tag string expanded to these tags."""

    model_config = ConfigDict(extra="allow")

    tags: list[str] = Field(default_factory=list)
    type: str | None = None


class UdioSong(BaseModel):
    """One generated song (a single entry of the ``songs`` array)."""

    model_config = ConfigDict(extra="allow")

    id: str
    generation_id: str | None = None
    title: str | None = None
    artist: str | None = None  # a Udio username, not a real artist
    artist_image: str | None = None  # personal data: a profile photo URL
    user_id: str | None = None  # personal data
    attribution: str | None = None
    description: str | None = None
    prompt: str | None = None
    lyrics: str | None = None
    tags: list[str] = Field(default_factory=list)
    user_tags: list[str] = Field(default_factory=list)
    replaced_tags: dict[str, ReplacedTags] = Field(default_factory=dict)
    song_path: str | None = None
    original_song_path: str | None = None
    image_path: str | None = None
    video_path: str | None = None
    audio_conditioning_type: str | None = None
    duration: float | None = None
    finished: bool = False
    error_code: Any | None = None
    error_detail: Any | None = None
    error_id: Any | None = None
    error_type: Any | None = None
    created_at: str | None = None
    published_at: str | None = None
    publishable: bool | None = None
    plays: int | None = None
    likes: int | None = None
    liked: bool | None = None
    disliked: bool | None = None

    @field_validator("tags", "user_tags", mode="before")
    @classmethod
    def _null_list_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("replaced_tags", mode="before")
    @classmethod
    def _null_map_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def has_error(self) -> bool:
        return any(
            v not in (None, "")
            for v in (self.error_type, self.error_code, self.error_detail, self.error_id)
        )

    @property
    def status(self) -> SongStatus:
        if self.has_error:
            return SongStatus.FAILED
        return SongStatus.FINISHED if self.finished else SongStatus.PENDING

    @property
    def error_message(self) -> str | None:
        """The generation error as one readable line, or None."""
        if not self.has_error:
            return None
        parts = [str(p) for p in (self.error_type, self.error_detail) if p not in (None, "")]
        if self.error_code not in (None, ""):
            parts.append(f"code {self.error_code}")
        return "Udio reported a generation error: " + ("; ".join(parts) or "no details")

    @property
    def audio_url(self) -> str | None:
        """The MP3 to download, or None while generating (an empty string counts as none)."""
        return self.song_path or None

    @property
    def display_title(self) -> str:
        return self.title or f"Untitled ({self.id[:8]})"


class SongResult(BaseModel):
    """What the client knows about one requested id: the song if the server returned it,
    else why not."""

    id: str
    status: SongStatus
    song: UdioSong | None = None
    message: str | None = None

    @classmethod
    def from_song(cls, song: UdioSong) -> SongResult:
        return cls(id=song.id, status=song.status, song=song, message=song.error_message)

    @classmethod
    def unknown(cls, song_id: str) -> SongResult:
        return cls(
            id=song_id,
            status=SongStatus.FAILED,
            message="Udio does not know this id: check it was copied whole, or it may have been deleted.",
        )
