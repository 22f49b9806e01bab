"""Lyrics in both of the seed's section-marker dialects become the same clean sections."""

from __future__ import annotations

from radiowatch.udio.lyrics import LyricsSection, lyrics_as_text, parse_lyrics, section_marker
from tests.fakes.fake_udio import seed_songs


def test_bracket_dialect_of_the_first_seed_song_becomes_verse_and_chorus():
    sections = parse_lyrics(seed_songs()[0]["lyrics"])
    assert [s.name for s in sections] == ["Verse", "Chorus"]
    assert sections[0].lines[0] == "When the echoes are all we hear"
    assert len(sections[0].lines) == 4 and len(sections[1].lines) == 4


def test_dashed_dialect_of_the_second_seed_song_becomes_numbered_sections():
    sections = parse_lyrics(seed_songs()[1]["lyrics"])
    assert [s.name for s in sections] == [
        "Verse 1",
        "Chorus",
        "Verse 2",
        "Chorus",
        "Bridge",
        "Chorus",
    ]
    assert sections[0].lines[1] == "Voices rising, final echoes we hear (yeah)"
    assert all("" not in s.lines for s in sections)  # blank separators removed


def test_both_dialects_give_the_same_names():
    assert section_marker("[Verse 1]") == section_marker("-verse 1-") == "Verse 1"
    assert section_marker("[pre-chorus]") == section_marker("- Pre-Chorus -") == "Pre-Chorus"
    assert section_marker("-verse2-") == "Verse 2"


def test_a_sung_line_between_dashes_is_not_a_marker():
    sections = parse_lyrics("[Outro]\n- yeah -\n(oh)")
    assert sections == [LyricsSection(name="Outro", lines=["- yeah -", "(oh)"])]


def test_lines_before_any_marker_stanza_breaks_and_empty_sections_are_kept():
    text = "Intro line\r\n\r\n[Verse]\nA\n\n\n\nB\n\n[Instrumental]\n\n[Chorus]\nC\n\n"
    assert parse_lyrics(text) == [
        LyricsSection(name=None, lines=["Intro line"]),
        LyricsSection(name="Verse", lines=["A", "", "B"]),
        LyricsSection(name="Instrumental", lines=[]),
        LyricsSection(name="Chorus", lines=["C"]),
    ]


def test_no_lyrics_gives_no_sections_and_text_form_is_normalised():
    assert parse_lyrics(None) == [] and parse_lyrics("  \n ") == []
    sections = parse_lyrics("-chorus-\nLa la\n-verse 2-\nDa")
    assert lyrics_as_text(sections) == "[Chorus]\nLa la\n\n[Verse 2]\nDa"
