import numpy as np
import pytest

from radiowatch.audjust.errors import TargetLengthError
from radiowatch.audjust.resizing import resize


def seam_sections(song, analysis, result):
    """(section at the seam's exit, section at its entry) for every seam, by beat centre."""
    b = analysis.boundaries
    out = []
    for (_, e), (j, _) in zip(result.segmentsBeats, result.segmentsBeats[1:], strict=False):
        would_play = (b[e] + b[min(e + 1, len(b) - 1)]) / 2
        plays = (b[j] + b[min(j + 1, len(b) - 1)]) / 2
        out.append((song.section_at(would_play), song.section_at(plays)))
    return out


def test_a_30_second_target_gives_candidates_near_30_seconds(song_analysis):
    results = resize(song_analysis, 30.0)
    assert len(results) >= 5
    assert abs(results[0].durationSeconds - 30.0) <= 3.0
    assert sum(abs(r.durationSeconds - 30.0) <= 5.0 for r in results) >= 3


def test_best_candidates_join_matching_sections(song, song_analysis):
    results = resize(song_analysis, 30.0)
    for r in results[:3]:
        seams = seam_sections(song, song_analysis, r)
        assert seams, "a shortened song needs at least one seam"
        assert all(a == b for a, b in seams), seams


def test_intro_and_ending_are_kept(song_analysis):
    last = len(song_analysis.boundaries) - 1
    for r in resize(song_analysis, 30.0):
        assert r.segmentsBeats[0][0] == 0
        assert r.segmentsBeats[-1][1] == last
        assert r.segmentsSeconds[-1][1] == song_analysis.duration


def test_seams_land_on_bar_lines(song_analysis):
    phase = song_analysis.barPhase
    for r in resize(song_analysis, 30.0):
        for (_, e), (j, _) in zip(r.segmentsBeats, r.segmentsBeats[1:], strict=False):
            assert e % 4 == phase and j % 4 == phase


def test_results_follow_audjusts_shape_and_ordering(song_analysis):
    results = resize(song_analysis, 30.0)
    scores = [r.blendedScore for r in results]
    assert scores == sorted(scores, reverse=True)
    b = song_analysis.boundaries
    for r in results:
        assert r.blendedScore < 0
        assert r.dissimilarity >= 0
        flat_beats = [b[k] for seg in r.segmentsBeats for k in seg]
        assert flat_beats == pytest.approx([t for seg in r.segmentsSeconds for t in seg], abs=1e-3)
        assert r.durationSeconds == pytest.approx(
            sum(e - s for s, e in r.segmentsSeconds), abs=0.01
        )
        assert r.cut_count == len(r.segmentsBeats) - 1


def test_a_longer_target_lengthens_with_backward_jumps(song, song_analysis):
    results = resize(song_analysis, 120.0)
    best = results[0]
    assert abs(best.durationSeconds - 120.0) <= 8.0
    assert any(
        j < e for (_, e), (j, _) in zip(best.segmentsBeats, best.segmentsBeats[1:], strict=False)
    )
    assert all(a == b for a, b in seam_sections(song, song_analysis, best))


def test_raw_audjust_inputs_without_bar_phase_work_too(song_analysis):
    results = resize(
        similarity_data=song_analysis.similarity,
        boundaries=song_analysis.boundaries,
        target_seconds=30,
    )
    assert results and abs(results[0].durationSeconds - 30) <= 3


def test_a_target_beyond_ten_times_the_song_is_refused_with_the_limit(song_analysis):
    with pytest.raises(TargetLengthError, match="10x the song") as info:
        resize(song_analysis, 11 * song_analysis.duration)
    assert f"{10 * song_analysis.duration:.0f} s" in str(info.value)


@pytest.mark.parametrize("target", [0, -5, float("nan")])
def test_a_nonsense_target_is_refused(song_analysis, target):
    with pytest.raises(TargetLengthError, match="greater than 0"):
        resize(song_analysis, target)


def test_a_target_shorter_than_intro_plus_ending_is_refused(song_analysis):
    with pytest.raises(TargetLengthError, match="too short"):
        resize(song_analysis, 1.0)


def test_ten_times_the_song_is_still_allowed(song_analysis):
    results = resize(song_analysis, 10 * song_analysis.duration, count=3)
    assert results
    assert np.isfinite(results[0].durationSeconds)
