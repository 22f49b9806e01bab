"""Turning what a user pastes into a clean list of Udio ids, and splitting it into requests.

People paste ids one per line, comma-separated, inside udio.com share links or spreadsheets
with other columns; Udio ids are UUIDs, so we pull every UUID out of the text, in order,
without duplicates, and report the tokens that looked like ids but were not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pydantic import BaseModel

_UUID = re.compile(
    r"(?<![0-9a-fA-F-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F-])"
)
_TOKEN = re.compile(r"[^\s,;]+")


class ParsedIds(BaseModel):
    ids: list[str]
    rejected: list[str]  # tokens that were neither a UUID nor contained one


def parse_ids(text: str) -> ParsedIds:
    """Extract UUIDs (lower-cased, de-duplicated, first occurrence first)."""
    ids: list[str] = []
    rejected: list[str] = []
    seen: set[str] = set()
    for token in _TOKEN.findall(text or ""):
        found = _UUID.findall(token)
        if not found:
            if any(ch.isdigit() for ch in token) and len(token) >= 8:
                rejected.append(token)
            continue
        for raw in found:
            song_id = raw.lower()
            if song_id not in seen:
                seen.add(song_id)
                ids.append(song_id)
    return ParsedIds(ids=ids, rejected=rejected)


def batched(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive chunks of at most ``size`` ids (the reseller's per-request limit)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    chunk: list[str] = []
    for song_id in ids:
        chunk.append(song_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
