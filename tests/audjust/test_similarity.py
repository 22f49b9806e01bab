import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from radiowatch.audjust import similarity
from radiowatch.audjust.models import Similarity

STEP = 1.0 / (similarity.CODE_MAX - similarity.CODE_MIN)


def symmetric(values: np.ndarray) -> np.ndarray:
    m = np.tril(values)
    return m + np.tril(m, -1).T


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 40), st.just(1)), elements=st.floats(0, 1)).flatmap(
        lambda a: arrays(np.float64, (a.shape[0], a.shape[0]), elements=st.floats(0, 1))
    )
)
def test_matrix_round_trips_within_half_a_quantisation_step(values):
    m = symmetric(values)
    decoded = similarity.decode(similarity.encode(m))
    assert decoded.shape == m.shape
    assert np.max(np.abs(decoded - m)) <= STEP / 2 + 1e-6
    assert np.allclose(decoded, decoded.T)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: arrays(np.float64, (n, n), elements=st.floats(0, 1))))
def test_encoded_string_survives_json_unchanged(values):
    enc = similarity.encode(symmetric(values))
    again = Similarity.model_validate(json.loads(json.dumps(enc.model_dump())))
    assert again == enc
    assert len(enc.data) == similarity.triangle_size(values.shape[0])


def test_layout_matches_audjusts_get_diag_index():
    # A 3x3 matrix with distinct values: the string is row-major lower triangle.
    m = np.array([[1.0, 0.1, 0.2], [0.1, 0.9, 0.3], [0.2, 0.3, 0.8]])
    enc = similarity.encode(m)
    flat = similarity.decode_flat(enc)
    for row in range(3):
        for col in range(3):
            assert abs(flat[similarity.diag_index(row, col)] - m[row, col]) <= STEP / 2
    assert [
        similarity.diag_index(r, c) for r, c in [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]
    ] == list(range(6))


def test_uses_printable_ascii_with_audjusts_min_and_max():
    enc = similarity.encode(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert (enc.min, enc.max) == (32, 126)
    assert enc.data == "~ ~"


def test_decodes_the_string_from_audjusts_own_example():
    # The first characters of the doc's example; values follow (code - 32) / 94.
    flat = similarity.decode_flat(Similarity(data='~@~!"~', min=32, max=126))
    assert flat[0] == pytest.approx(1.0)
    assert flat[1] == pytest.approx((ord("@") - 32) / 94)
    assert flat[3] == pytest.approx(1 / 94)


def test_a_string_of_impossible_length_is_rejected():
    with pytest.raises(ValueError, match="triangle"):
        similarity.decode(Similarity(data="~~", min=32, max=126))
