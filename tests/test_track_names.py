"""What a file's name says when its tags say nothing."""

from __future__ import annotations

import pytest

from radiowatch.track_names import tags_from_file_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nora Quint - Glass Elevator.mp3", {"artist": "Nora Quint", "title": "Glass Elevator"}),
        (
            "/music/rips/Orla Fenn – Midnight Tram.flac",
            {"artist": "Orla Fenn", "title": "Midnight Tram"},
        ),
        ("Mila_Varga_-_Copper_Sunrise.wav", {"artist": "Mila Varga", "title": "Copper Sunrise"}),
        (
            "03 - Nora Quint - Glass Elevator (Radio Edit).m4a",
            {"artist": "Nora Quint", "title": "Glass Elevator (Radio Edit)"},
        ),
        ("07. Harbour Lights.ogg", {"title": "Harbour Lights"}),
        ("Jay-Z live.mp3", {"title": "Jay-Z live"}),  # a hyphen inside a name is not a separator
        ("master take 7.wav", {"title": "master take 7"}),
        ("99 Luftballons.mp3", {"title": "99 Luftballons"}),  # no separator: not a track number
        ("A - B - C.mp3", {"artist": "A", "title": "B - C"}),
        ("  spaced   out  .mp3", {"title": "spaced out"}),
        ("Artist - .mp3", {"title": "Artist -"}),
        ("01.mp3", {"title": "01"}),
    ],
)
def test_the_file_name_gives_artist_and_title(name, expected):
    assert tags_from_file_name(name) == expected


def test_a_name_with_nothing_in_it_gives_nothing():
    assert tags_from_file_name("___.mp3") == {}
