"""Audjust's compressed self-similarity format, encoded and decoded exactly as Audjust does.

The matrix is symmetric, so only the lower triangle (with the diagonal) is stored, row by row:
cell (row, col) lives at index i*(i+1)/2 + j with i = max(row, col), j = min(row, col). Each cell
is one character whose code point maps linearly from [min, max] to similarity [0, 1]. With the
printable ASCII range 32..126 that is 95 levels; a decoded value is within half a step of the
original. The string contains `"` and `\\`, which `json` escapes and unescapes losslessly.
"""

from __future__ import annotations

import numpy as np

from radiowatch.audjust.models import Similarity

CODE_MIN = 32
CODE_MAX = 126


def triangle_size(n: int) -> int:
    """Number of characters for an n x n matrix."""
    return n * (n + 1) // 2


def diag_index(row: int, col: int) -> int:
    """Position of cell (row, col) in the string, Audjust's `getDiagIndex`."""
    i, j = max(row, col), min(row, col)
    return (i + 1) * i // 2 + j


def encode(matrix: np.ndarray, *, lo: int = CODE_MIN, hi: int = CODE_MAX) -> Similarity:
    """Encode a symmetric matrix of similarities in [0, 1] (values outside are clipped)."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"similarity must be a square matrix, got shape {m.shape}")
    if not 0 <= lo < hi <= 0x10FFFF:
        raise ValueError(f"invalid code range {lo}..{hi}")
    rows, cols = np.tril_indices(m.shape[0])
    values = np.clip(np.nan_to_num(m[rows, cols], nan=0.0), 0.0, 1.0)
    codes = lo + np.rint(values * (hi - lo)).astype(np.int64)
    if hi < 128:
        text = codes.astype(np.uint8).tobytes().decode("ascii")
    else:
        text = "".join(map(chr, codes.tolist()))
    return Similarity(data=text, min=lo, max=hi)


def decode_flat(sim: Similarity) -> np.ndarray:
    """The flat lower-triangle values as float32, Audjust's `parseSimilarityMapString`."""
    if sim.max <= sim.min:
        raise ValueError(f"similarity max ({sim.max}) must exceed min ({sim.min})")
    if sim.data.isascii():
        codes = np.frombuffer(sim.data.encode("ascii"), dtype=np.uint8).astype(np.float32)
    else:
        codes = np.fromiter(map(ord, sim.data), dtype=np.float32, count=len(sim.data))
    return (codes - sim.min) / np.float32(sim.max - sim.min)


def matrix_size(sim: Similarity) -> int:
    """n such that the string holds an n x n matrix; ValueError if the length fits none."""
    length = len(sim.data)
    n = int((np.sqrt(8 * length + 1) - 1) // 2)
    while triangle_size(n) < length:
        n += 1
    if triangle_size(n) != length:
        raise ValueError(f"similarity data has {length} characters, not a triangle size n(n+1)/2")
    return n


def decode(sim: Similarity) -> np.ndarray:
    """The full symmetric n x n float32 matrix."""
    flat = decode_flat(sim)
    n = matrix_size(sim)
    out = np.empty((n, n), dtype=np.float32)
    rows, cols = np.tril_indices(n)
    out[rows, cols] = flat
    out[cols, rows] = flat
    return out
