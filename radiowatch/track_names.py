"""What a file's name says about the song in it, for files whose tags say nothing.

Rips and production masters often carry no tags at all; their names are the only metadata,
and most follow `Artist - Title.ext`. Without this, such a file entered the catalog with no
title and no artist, and a recognition of it answered with neither. Pure string handling.
"""

from __future__ import annotations

import re
from pathlib import PurePath

# "01 - ", "1. ", "03) ", "07_": a track number in front of the name, not part of it.
_TRACK_NUMBER = re.compile(r"^\d{1,3}\s*[-.)_]\s*(?=\S)")
# " - " between artist and title (also an en or em dash), but never the hyphen in "Jay-Z".
_ARTIST_TITLE = re.compile(r"\s+[-\u2013\u2014]\s+")


def tags_from_file_name(path: str | PurePath) -> dict[str, str]:
    """`Artist - Title.ext` -> artist and title; any other name -> the name as the title.

    Underscores count as spaces (`Artist_-_Title.mp3`) and a leading track number is dropped
    (`03 - Artist - Title.flac`). Returns {} only for a name with nothing in it.
    """
    text = " ".join(PurePath(path).stem.replace("_", " ").split())
    text = _TRACK_NUMBER.sub("", text, count=1) or text
    artist, sep, title = (part.strip() for part in _partition(text))
    if sep and artist and title:
        return {"artist": artist, "title": title}
    return {"title": text} if text else {}


def _partition(text: str) -> tuple[str, str, str]:
    match = _ARTIST_TITLE.search(text)
    if match is None:
        return text, "", ""
    return text[: match.start()], match.group(), text[match.end() :]
