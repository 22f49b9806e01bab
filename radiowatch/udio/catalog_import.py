"""Putting a downloaded Udio song into the user's own catalog, tagged as AI-generated.

The metadata dict is what the engine stores with the fingerprinted track; its
``provenance`` field (``udio:<id>``) is what later lets a play on a monitored station be
flagged as AI-generated. The uploader is injected (the app passes the engine's upload call)
so this module stays free of the engine and of Qt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from radiowatch.udio.errors import UdioError
from radiowatch.udio.models import UdioSong
from radiowatch.udio.song_export import provenance_of

T = TypeVar("T")
Uploader = Callable[[Path, dict[str, Any]], Awaitable[T]]

SONG_KIND = "song"


def catalog_metadata(song: UdioSong) -> dict[str, Any]:
    """``{title, artist, provenance, kind}``; ``artist`` is the Udio creator's username."""
    return {
        "title": song.title or song.display_title,
        "artist": song.artist or "Udio",
        "provenance": provenance_of(song.id),
        "kind": SONG_KIND,
    }


class CatalogImportError(UdioError):
    """The file to import is missing or empty."""


async def import_to_catalog(path: Path, song: UdioSong, uploader: Uploader[T]) -> T:
    """Check the downloaded file and hand it with its metadata to ``uploader``."""
    if not path.is_file() or path.stat().st_size == 0:
        raise CatalogImportError(
            f"Cannot add “{song.display_title}” to the catalog: {path.name} is missing or "
            "empty. Download it again."
        )
    return await uploader(path, catalog_metadata(song))
