"""Cue lists from enterprise replies: one cue per play, exports that open safely in a sheet."""

from __future__ import annotations

import csv
import json

from radiowatch.audd.cue_list_export import build_cues, write_cue_csv, write_cue_json
from radiowatch.audd.models import EnterpriseResult


def reply(*chunks):
    return EnterpriseResult.model_validate({"chunks": list(chunks)})


def chunk(offset, title, score=90, start=None, end=None, artist="A", audio_id=None):
    song = {"title": title, "artist": artist, "score": score, "timecode": "00:10"}
    if start is not None:
        song.update(start_offset=start, end_offset=end)
    if audio_id is not None:
        song["audio_id"] = audio_id
    return {"offset": offset, "songs": [song]}


def test_consecutive_chunks_of_one_song_are_one_cue_with_accurate_edges():
    cues = build_cues(
        reply(
            chunk("00:12", "One", start=4000, end=12000),
            chunk("00:24", "One", start=0, end=12000),
            chunk("00:36", "One", start=0, end=6500),
            chunk("01:00", "Two", start=0, end=12000),
        )
    )
    assert [(c.title, c.start_s, c.end_s, c.chunks) for c in cues] == [
        ("One", 16.0, 42.5, 3),
        ("Two", 60.0, 72.0, 1),
    ]


def test_without_offsets_a_match_covers_its_chunk_and_the_best_candidate_wins():
    result = reply(
        {
            "offset": "00:24",
            "songs": [{"title": "Low", "score": 20}, {"title": "High", "score": 95}],
        }
    )
    [cue] = build_cues(result)
    assert (cue.title, cue.start_s, cue.end_s) == ("High", 24.0, 36.0)


def test_a_song_played_again_after_a_long_gap_is_a_second_cue():
    cues = build_cues(reply(chunk("00:00", "One"), chunk("05:00", "One")))
    assert len(cues) == 2


def test_skipped_chunks_do_not_split_a_play_when_the_gap_allows_for_them():
    plays = reply(chunk("00:00", "One"), chunk("01:00", "One"), chunk("02:00", "One"))
    assert len(build_cues(plays, gap_s=12 * 4 + 13)) == 1


def test_custom_catalog_matches_are_told_apart_by_audio_id():
    cues = build_cues(
        reply(
            chunk("00:00", None, artist=None, audio_id=7),
            chunk("00:12", None, artist=None, audio_id=8),
        )
    )
    assert [c.name for c in cues] == ["custom catalog song #7", "custom catalog song #8"]


def test_csv_is_formula_safe_and_json_keeps_numbers(tmp_path):
    cues = build_cues(reply(chunk("00:12", '=HYPERLINK("x")', artist="@evil")))
    rows = list(csv.DictReader(write_cue_csv(tmp_path / "c.csv", cues).open(encoding="utf-8-sig")))
    assert rows[0]["title"].startswith("'=") and rows[0]["artist"] == "'@evil"
    assert rows[0]["start"] == "0:12" and rows[0]["start_seconds"] == "12.0"
    body = json.loads(
        write_cue_json(tmp_path / "c.json", cues, source="mix.mp3", duration_s=99.0).read_text()
    )
    assert body["cues"][0]["start_seconds"] == 12.0 and body["source"] == "mix.mp3"
    assert not list(tmp_path.glob(".*.part"))
