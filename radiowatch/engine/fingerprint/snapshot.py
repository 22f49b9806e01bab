"""The catalog's in-memory view for readers: swapped as a whole, so a reader never sees half an
update, and rebuilt from the previous one after the catalog's own writes.

Reloading it from SQLite reads every track row (~0.3 s per 10,000 tracks), which is fine at
open and when another process changed the catalog, but made adding or removing one track in a
100,000-track catalog take seconds; the writer therefore derives the next snapshot from the
current one (`with_added`, `without`, `with_track`, `with_segments`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from radiowatch.engine.fingerprint import index as idx
from radiowatch.engine.fingerprint import legacy_index
from radiowatch.engine.fingerprint.reference_peaks import ReferencePeaks


@dataclass(frozen=True)
class Track:
    track_id: str
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    isrc: str | None = None
    kind: str = "song"
    source_file: str | None = None
    duration_s: float = 0.0
    provenance: str | None = None
    added_at: float = 0.0


@dataclass(frozen=True)
class Snapshot:
    """Everything identify() needs, swapped as a whole so readers never see a half update."""

    segments: idx.SegmentSet | legacy_index.SegmentSet
    bases: np.ndarray  # sorted track bases
    ends: np.ndarray
    track_ids: tuple[str, ...]
    tracks: dict[str, Track]
    has_removed: bool  # segments still hold hashes of removed tracks (until the next merge)
    # every track's peaks, for verifying candidates; None if some track has none stored
    reference_peaks: ReferencePeaks | None = None
    format: int = 2
    # per track (aligned with bases): its keys in the index, to tell when segments still hold
    # keys of removed tracks
    n_hashes: np.ndarray | None = None

    def lookup(
        self, hashes: np.ndarray, budget: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if budget is not None and isinstance(self.segments, idx.SegmentSet):
            q, p = self.segments.lookup(hashes, budget)
        else:
            q, p = self.segments.lookup(hashes)
        if not self.has_removed:
            return q, p
        live = idx.position_is_live(p, np.stack([self.bases, self.ends], axis=1))
        return q[live], p[live]

    @property
    def total_frames(self) -> int:
        return self.segments.total_frames

    @property
    def entries(self) -> int:
        return self.segments.entries


def live_entries(snap: Snapshot) -> int:
    return int(snap.n_hashes.sum()) if snap.n_hashes is not None else 0


def with_added(
    snap: Snapshot,
    new: list[tuple[Track, int, int, int, bool]],
    segment: idx.Segment,
    load_peaks,
) -> Snapshot:
    """`snap` plus tracks (track, base, n_frames, n_hashes, has_peaks) stored in `segment`;
    their bases lie after every existing track's."""
    tracks = dict(snap.tracks)
    tracks.update((t.track_id, t) for t, *_rest in new)
    bases = np.concatenate([snap.bases, np.array([b for _t, b, *_r in new], np.int64)])
    ends = np.concatenate([snap.ends, np.array([b + n for _t, b, n, *_r in new], np.int64)])
    n_hashes = np.concatenate([_n_hashes(snap), np.array([h for *_r, h, _p in new], np.int64)])
    ids = snap.track_ids + tuple(t.track_id for t, *_rest in new)
    segments = idx.SegmentSet(
        [*snap.segments.segments, segment],
        int((ends - bases).sum()),
    )
    has_peaks = snap.reference_peaks is not None or not snap.track_ids
    reference = (
        ReferencePeaks(bases, ends, ids, load_peaks)
        if has_peaks and all(p for *_r, p in new)
        else None
    )
    return replace(
        snap,
        segments=segments,
        bases=bases,
        ends=ends,
        track_ids=ids,
        tracks=tracks,
        reference_peaks=reference,
        n_hashes=n_hashes,
        has_removed=segments.entries != int(n_hashes.sum()),
    )


def without(snap: Snapshot, track_id: str, load_peaks) -> Snapshot:
    """`snap` without one track; its keys stay in the segments (filtered) until a merge."""
    if track_id not in snap.tracks:
        return snap
    keep = np.array([t != track_id for t in snap.track_ids], bool)
    tracks = {k: v for k, v in snap.tracks.items() if k != track_id}
    ids = tuple(t for t in snap.track_ids if t != track_id)
    bases, ends = snap.bases[keep], snap.ends[keep]
    n_hashes = _n_hashes(snap)[keep]
    reference = (
        ReferencePeaks(bases, ends, ids, load_peaks) if snap.reference_peaks is not None else None
    )
    return replace(
        snap,
        bases=bases,
        ends=ends,
        track_ids=ids,
        tracks=tracks,
        reference_peaks=reference,
        n_hashes=n_hashes,
        has_removed=snap.segments.entries != int(n_hashes.sum()),
    )


def with_track(snap: Snapshot, track: Track) -> Snapshot:
    """`snap` with one track's metadata replaced."""
    return replace(snap, tracks={**snap.tracks, track.track_id: track})


def with_segments(snap: Snapshot, segments: list) -> Snapshot:
    """`snap` reading `segments` (after a merge)."""
    segset = idx.SegmentSet(segments, snap.segments.total_frames)
    return replace(snap, segments=segset, has_removed=segset.entries != int(_n_hashes(snap).sum()))


def _n_hashes(snap: Snapshot) -> np.ndarray:
    return snap.n_hashes if snap.n_hashes is not None else np.zeros(len(snap.track_ids), np.int64)
