"""Serialising Udio songs for exports and storage, with personal data left out by default.

``artist_image`` is the creator's Google profile photo URL and ``user_id`` identifies their
account: personal data a play log or a shared spreadsheet does not need (docs/protocols/udio.md
§2.3). They are only written when the user opts in. The creator's public Udio username
(``artist``) is kept: it is what the song is credited to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from radiowatch.udio.models import UdioSong

PERSONAL_FIELDS = frozenset({"artist_image", "user_id"})


PROVENANCE_PREFIX = "udio:"


def provenance_of(song_id: str) -> str:
    """The provenance tag every imported Udio track carries: ``udio:<id>``."""
    return PROVENANCE_PREFIX + song_id


def is_udio_provenance(provenance: str | None) -> bool:
    """True for a track imported from Udio, i.e. a play that should be flagged AI-generated."""
    return (
        bool(provenance)
        and provenance.startswith(PROVENANCE_PREFIX)
        and len(provenance) > len(PROVENANCE_PREFIX)
    )


def song_record(song: UdioSong, *, include_personal: bool = False) -> dict[str, Any]:
    """All fields (unknown ones too, for forward compatibility) plus ``provenance``,
    minus the personal ones unless ``include_personal``."""
    record = song.model_dump(mode="json")
    if not include_personal:
        for name in PERSONAL_FIELDS:
            record.pop(name, None)
    record["provenance"] = provenance_of(song.id)
    return record


def songs_to_json(songs: Iterable[UdioSong], *, include_personal: bool = False) -> str:
    """A JSON document ``{"songs": [...]}`` in the API's own shape, so it can be re-read
    with ``parse_songs``."""
    records = [song_record(s, include_personal=include_personal) for s in songs]
    return json.dumps({"songs": records}, ensure_ascii=False, indent=2)
