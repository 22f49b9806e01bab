"""Local resize: pick the stretches of a song that play back as a target length.

A shortest path over output beats (Viterbi with a cut budget): at each output beat we either
play on (free) or, at a bar line, jump to another bar line whose surroundings sound alike
(seam cost 1 - similarity). Start and end are pinned, so the intro and the real ending are
always kept; backward jumps make the same search lengthen a song. Every (length, cut count)
cell's best path becomes a candidate, ranked by a blended score in Audjust's sign convention
(negative, closer to 0 is better).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from radiowatch.audjust import similarity
from radiowatch.audjust.errors import TargetLengthError
from radiowatch.audjust.models import Analysis, ResizeResult, Similarity

BEATS_PER_BAR = 4
EDGE_BEATS = 8  # intro and ending kept: no seam within two bars of either end
MIN_JUMP_BEATS = 8  # a jump skips or repeats at least two bars
TOP_K = 12  # destinations kept per seam position
MAX_IN_EDGES = 16  # incoming jumps kept per destination (bounds the search cost)
CUT_PENALTY = 0.05
MAX_TARGET_FACTOR = 10.0
DEFAULT_COUNT = 20
DIVERSITY_ROUNDS = 4
DIVERSITY_BUDGET_SECONDS = 0.5
MAX_SEARCH_CELLS = 60_000_000  # back-pointers (int16): ~120 MB; a 3-min song at 10x needs ~25 M


@dataclass(frozen=True)
class _Jumps:
    """Incoming jumps per destination beat: sources (the beat played before the seam) and costs."""

    src: np.ndarray  # (n, k) int
    cost: np.ndarray  # (n, k) float, inf where unused


def resize(
    analysis: Analysis | None = None,
    target_seconds: float = 30.0,
    *,
    similarity_data: Similarity | None = None,
    boundaries: list[float] | None = None,
    bar_phase: int | None = None,
    count: int = DEFAULT_COUNT,
) -> list[ResizeResult]:
    """Candidates for `target_seconds`, best first. Pass an Analysis, or Audjust's raw inputs."""
    if analysis is not None:
        similarity_data, boundaries = analysis.similarity, analysis.boundaries
        bar_phase = analysis.barPhase if bar_phase is None else bar_phase
    if similarity_data is None or boundaries is None:
        raise ValueError("resize needs an analysis, or similarity and boundaries")
    times = np.asarray(boundaries, dtype=np.float64)
    sim = similarity.decode(similarity_data)
    if sim.shape[0] != times.size:
        raise TargetLengthError(
            f"The analysis is inconsistent ({sim.shape[0]} similarity rows for {times.size} "
            "boundaries). Analyze the file again."
        )
    _check_target(target_seconds, times)
    jumps = _jump_graph(sim, bar_phase)
    found: dict[tuple, ResizeResult] = {}
    started = time.perf_counter()
    # Each round bans the seams of the previous round's best edit, so later rounds offer
    # genuinely different edits rather than the same cut shifted by a bar. Very long targets
    # (minutes of search per round) settle for the first round's variety.
    for _ in range(DIVERSITY_ROUNDS):
        if found and time.perf_counter() - started > DIVERSITY_BUDGET_SECONDS:
            break
        round_results = _search(times, sim, jumps, float(target_seconds))
        for r in round_results:
            found.setdefault(tuple(map(tuple, r.segmentsBeats)), r)
        if len(found) >= 2 * count or not round_results:
            break
        fresh = [r for r in round_results if r.cut_count] or round_results
        _ban(jumps, fresh[0].segmentsBeats)
    ranked = sorted(found.values(), key=lambda r: r.blendedScore, reverse=True)
    return _drop_dominated(ranked)[:count]


def _ban(jumps: _Jumps, segments: list[tuple[int, int]]) -> None:
    for (_, e), (j, _) in zip(segments, segments[1:], strict=False):
        jumps.cost[j, jumps.src[j] == e - 1] = np.inf


def _check_target(target: float, times: np.ndarray) -> None:
    duration = float(times[-1] - times[0])
    if not math.isfinite(target) or target <= 0:
        raise TargetLengthError("Enter a target length greater than 0 seconds.")
    if target > MAX_TARGET_FACTOR * duration:
        raise TargetLengthError(
            f"A target of {target:.0f} s is more than {MAX_TARGET_FACTOR:.0f}x the song "
            f"({duration:.0f} s). Choose at most {MAX_TARGET_FACTOR * duration:.0f} s."
        )
    n = times.size
    if n < 2 * EDGE_BEATS + MIN_JUMP_BEATS:
        raise TargetLengthError(
            f"The song has only {n} beats; resizing needs at least {2 * EDGE_BEATS + MIN_JUMP_BEATS}."
        )
    shortest = float(times[EDGE_BEATS] - times[0] + times[-1] - times[n - 1 - EDGE_BEATS])
    if target < shortest * 0.8:
        raise TargetLengthError(
            f"{target:.0f} s is too short: keeping the intro and ending needs about "
            f"{shortest:.0f} s. Choose a longer target."
        )


def _jump_graph(sim: np.ndarray, bar_phase: int | None) -> _Jumps:
    """Allowed seams "next would be e, continue at j" as incoming lists per destination j."""
    n = sim.shape[0]
    idx = np.arange(n)
    cost = 1.0 - sim.astype(np.float64)
    allowed = np.abs(idx[:, None] - idx[None, :]) >= MIN_JUMP_BEATS
    allowed &= (idx[:, None] - idx[None, :]) % BEATS_PER_BAR == 0
    inner = (idx >= EDGE_BEATS) & (idx <= n - 1 - EDGE_BEATS)
    allowed &= inner[:, None] & inner[None, :]
    if bar_phase is not None:
        on_bar = idx % BEATS_PER_BAR == bar_phase % BEATS_PER_BAR
        allowed &= on_bar[:, None]
    cost = np.where(allowed, cost, np.inf)
    # Keep the best TOP_K destinations per seam position e...
    k = min(TOP_K, n)
    order = np.argsort(cost, axis=1)[:, :k]
    keep = np.zeros_like(allowed)
    np.put_along_axis(keep, order, True, axis=1)
    cost = np.where(keep, cost, np.inf)
    # ...then view them per destination j; the source state is the beat before the seam, e - 1.
    by_dest = cost.T  # [j, e]
    k_in = min(MAX_IN_EDGES, n)
    e_idx = np.argsort(by_dest, axis=1)[:, :k_in]
    in_cost = np.take_along_axis(by_dest, e_idx, axis=1)
    return _Jumps(src=np.maximum(e_idx - 1, 0), cost=in_cost)


def _search(times: np.ndarray, sim: np.ndarray, jumps: _Jumps, target: float) -> list[ResizeResult]:
    n = times.size
    last = n - 1
    duration = float(times[-1] - times[0])
    beat = duration / last
    slack = min(max(0.15 * target, 4.0), 30.0)
    lo_steps = max(1, int((target - slack) / beat))
    hi_steps = int(math.ceil((target + slack) / beat)) + 1
    max_cuts = min(24, int(math.ceil(1.5 * target / duration)) + 2)
    cuts = max_cuts + 1
    if (hi_steps + 1) * cuts * n > MAX_SEARCH_CELLS:
        raise TargetLengthError(
            f"A {target / 60:.0f}-minute edit of this song is too large to search. "
            "Choose a shorter target, or loop a shorter edit."
        )
    score = np.full((cuts, n), np.inf)
    score[0, 0] = 0.0
    back = np.zeros((hi_steps + 1, cuts, n), dtype=np.int32 if n > 32000 else np.int16)
    ends: list[tuple[float, int, int]] = []  # (path cost, steps, cuts)
    seam_cost = jumps.cost + CUT_PENALTY
    for step in range(1, hi_steps + 1):
        new = np.full_like(score, np.inf)
        new[:, 1:] = score[:, :-1]
        new[:, 1:][:, -1] = score[:, last - 1]  # only play-on reaches the end
        back[step, :, 1:] = np.arange(n - 1)
        new[:, 0] = np.inf
        for c in range(1, cuts):
            vals = score[c - 1][jumps.src] + seam_cost
            best = np.argmin(vals, axis=1)
            best_val = vals[np.arange(n), best]
            better = best_val < new[c]
            new[c, better] = best_val[better]
            back[step, c, better] = jumps.src[better, best[better]]
        new[:, last] = np.where(np.isfinite(new[:, last]), new[:, last], np.inf)
        if step >= lo_steps:
            for c in np.flatnonzero(np.isfinite(new[:, last])):
                ends.append((float(new[c, last]), step, int(c)))
        new[:, last] = np.inf  # the end is final: nothing continues from it
        score = new
    results = [_candidate(times, sim, back, step, c, target) for _, step, c in ends]
    return sorted(results, key=lambda r: r.blendedScore, reverse=True)


def _drop_dominated(ranked: list[ResizeResult]) -> list[ResizeResult]:
    """Hide candidates that only add cuts: same length as a kept one, more cuts, no better seams."""
    kept: list[ResizeResult] = []
    for r in ranked:
        if not any(
            abs(k.durationSeconds - r.durationSeconds) < 0.5
            and k.cut_count < r.cut_count
            and k.dissimilarity <= r.dissimilarity + 1e-9
            for k in kept
        ):
            kept.append(r)
    return kept


def _candidate(
    times: np.ndarray, sim: np.ndarray, back: np.ndarray, steps: int, cuts: int, target: float
) -> ResizeResult:
    b = times.size - 1
    seams: list[tuple[int, int]] = []  # (e = the beat that would have come next, j = jumped to)
    for step in range(steps, 0, -1):
        prev = int(back[step, cuts, b])
        if prev != b - 1:
            seams.append((prev + 1, b))
            cuts -= 1
        b = prev
    seams.reverse()
    segments: list[tuple[int, int]] = []
    start = 0
    for e, j in seams:
        segments.append((start, e))
        start = j
    segments.append((start, times.size - 1))
    costs = [float(1.0 - sim[e, j]) for e, j in seams]
    seconds = [(round(float(times[s]), 3), round(float(times[e]), 3)) for s, e in segments]
    length = float(sum(e - s for s, e in seconds))
    dissimilarity = float(sum(costs))
    worst = max(costs, default=0.0)
    blended = -(
        2.0 * abs(length - target) / max(target, 1.0)
        + 0.5 * dissimilarity
        + 0.5 * worst
        + CUT_PENALTY * len(seams)
    )
    return ResizeResult(
        dissimilarity=round(dissimilarity, 6),
        blendedScore=round(blended, 6),
        segmentsBeats=segments,
        segmentsSeconds=seconds,
        durationSeconds=round(length, 3),
        worstSeam=round(worst, 6),
        cuts=len(seams),
    )
