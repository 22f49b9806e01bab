import numpy as np

from radiowatch.audjust import similarity


def test_tempo_is_found_within_two_percent(song, song_analysis):
    assert abs(song_analysis.tempo - song.tempo) / song.tempo < 0.02


def test_beat_boundaries_fall_on_the_true_beats(song, song_analysis):
    found = np.array(song_analysis.boundaries[1:-1])
    true = song.beat_times()
    errors = np.array([np.min(np.abs(true - t)) for t in found])
    assert np.median(errors) < 0.02
    assert np.mean(errors < 0.05) > 0.95
    assert len(found) >= 0.95 * (len(true) - 2)


def test_boundaries_start_at_zero_and_end_at_the_duration(song, song_analysis):
    assert song_analysis.boundaries[0] == 0.0
    assert song_analysis.boundaries[-1] == song_analysis.duration
    assert abs(song_analysis.duration - song.duration) < 0.01
    assert np.all(np.diff(song_analysis.boundaries) > 0)


def test_similarity_has_one_row_per_boundary_and_sees_the_abab_form(song, song_analysis):
    sim = similarity.decode(song_analysis.similarity)
    b = np.asarray(song_analysis.boundaries)
    assert sim.shape == (b.size, b.size)
    beats_per_section = int(round(song.section_seconds / song.beat))
    i = int(np.argmin(np.abs(b - 5 * song.beat * 4)))  # bar 5 of A1
    same_place_in_a2 = i + 2 * beats_per_section
    same_place_in_b1 = i + beats_per_section
    assert sim[i, same_place_in_a2] > sim[i, same_place_in_b1] + 0.2


def test_bar_phase_points_at_the_downbeats(song, song_analysis):
    b = np.asarray(song_analysis.boundaries)
    downbeats = b[song_analysis.barPhase :: 4][1:-1]
    bar = 4 * song.beat
    offsets = (downbeats + bar / 2) % bar - bar / 2
    assert np.median(np.abs(offsets)) < 0.05


def test_raw_features_are_thirteen_numbers_per_boundary_max_normalised(song_analysis):
    feats = np.asarray(song_analysis.features)
    assert feats.shape == (len(song_analysis.boundaries), 13)
    assert np.allclose(feats[:, :12].max(axis=1), 1.0, atol=1e-3)
