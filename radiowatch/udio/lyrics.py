"""Udio lyrics split into named sections, whichever marker dialect the song uses.

The seed shows two dialects (docs/protocols/udio.md §1): ``[Verse]`` / ``[Chorus]`` on their own
line, and ``-verse 1-`` / ``-chorus-``. Both become ``LyricsSection("Verse 1", [...])``.
Bracket markers are unambiguous; a dashed line is only a marker when it names a known section
kind, so a sung line such as ``- yeah -`` stays a lyric.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_SECTION_KINDS = (
    "verse|pre-chorus|prechorus|post-chorus|chorus|bridge|intro|outro|hook|refrain|interlude|"
    "breakdown|drop|instrumental|solo|guitar solo|coda|spoken|spoken word|rap|build|build-up|"
    "break|final chorus|ending|vamp|tag"
)
_BRACKET = re.compile(r"^\s*\[\s*([^\[\]]{1,40}?)\s*\]\s*$")
_DASHED = re.compile(rf"^\s*-+\s*((?:{_SECTION_KINDS})(?:\s*\d+)?)\s*-+\s*$", re.IGNORECASE)


class LyricsSection(BaseModel):
    """A section's display name (None for lines before any marker) and its lines; an empty
    string in ``lines`` is a stanza break inside the section."""

    name: str | None = None
    lines: list[str] = Field(default_factory=list)


def section_marker(line: str) -> str | None:
    """The clean section name if ``line`` is a marker in either dialect, else None."""
    match = _BRACKET.match(line) or _DASHED.match(line)
    if not match:
        return None
    return _clean_name(match.group(1))


def parse_lyrics(text: str | None) -> list[LyricsSection]:
    """Sections in order. Runs of blank lines collapse to one stanza break, and sections
    with no lines are kept (``[Instrumental]`` is worth showing)."""
    sections: list[LyricsSection] = []
    current: LyricsSection | None = None
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        name = section_marker(line)
        if name is not None:
            current = LyricsSection(name=name)
            sections.append(current)
            continue
        if current is None:
            if not line:
                continue
            current = LyricsSection(name=None)
            sections.append(current)
        if line or (current.lines and current.lines[-1]):
            current.lines.append(line)
    for section in sections:
        while section.lines and not section.lines[-1]:
            section.lines.pop()
    return sections


def lyrics_as_text(sections: list[LyricsSection]) -> str:
    """One normalised plain-text form (``[Verse 1]`` headings), for copying and exports."""
    blocks = []
    for section in sections:
        head = [f"[{section.name}]"] if section.name else []
        blocks.append("\n".join(head + section.lines))
    return "\n\n".join(blocks)


def _clean_name(raw: str) -> str:
    words = re.sub(r"\s+", " ", raw.strip(" -:")).split(" ")
    name = " ".join("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")) for w in words)
    return re.sub(r"([A-Za-z])(\d+)$", r"\1 \2", name)
