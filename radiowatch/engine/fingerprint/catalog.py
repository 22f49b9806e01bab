"""The user's catalog: track metadata in SQLite plus the fingerprint index, behind one object.

Public API (for the server, the CLI and the GUI's engine process):

    from radiowatch.engine.fingerprint.catalog import Catalog, Track, Match
    from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, decode_file, read_tags, track_tags, decode_bytes, DecodeError

    cat = Catalog.open(data_dir)                  # creates the dir on first use; opens in ms
    track = cat.add_file(path, title=None, artist=None, album=None, isrc=None,
                         kind="song", provenance=None, track_id=None)    # DecodeError/ValueError
    track = cat.add_samples(samples, title=..., ...)   # float32 mono at SAMPLE_RATE
    cat.tracks() -> list[Track]; cat.get(track_id) -> Track | None
    cat.update(track_id, title=..., artist=...) -> Track; cat.remove(track_id) -> bool
    cat.identify(samples) -> Match | None         # samples: float32 mono at SAMPLE_RATE
    cat.identify(None, peaks=p)                   # the same from already-found query peaks
    cat.track_peaks(track_id) -> (frames, half_bands) | None    # a track's stored peaks
    cat.refresh()                                 # cheap; picks up tracks added by another process
    cat.close()

    Track: track_id (str), title, artist, album, isrc, kind ("song"|"jingle"|"ad"),
           source_file, duration_s, provenance (str|None), added_at (unix s)
    Match: track (Track), offset_s (where the query starts in the reference, s; NEGATIVE
           when the song starts inside the query, e.g. after silence or the end of another
           song: -3.0 = the song starts 3 s into the query. Stream monitoring needs the true
           value to anchor a play; AudD-facing outputs clamp it at 0, as AudD reports where
           in the song the query starts: recognition.song and the `query` command's JSON),
           score (calibrated: >= MATCH_THRESHOLD means a match; ~0..100),
           speed (matched speed factor, e.g. 1.02 = played 2% fast), query_start_s (where
           in the query the matched song starts, s; 0 when it was already playing),
           matched_hashes (raw count)

Threading: `identify` and `refresh` may be called from several threads at once; adds, updates
and removes must come from one writer (a process or one thread). Readers in other processes
see a new track after `refresh()` once the writer's add has committed.

Crash safety: a track's fingerprints go to a new segment file written to a temp name, fsynced
and atomically renamed; only then is the SQLite row committed. A segment without a row is
never read (and is swept by the next writer), so a crash mid-add leaves the index readable.
A track's peaks (for verifying matches, see reference_peaks.py) live in its row, committed with
it. An index written before rows kept peaks still works, scored by hash votes alone.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import index as idx
from radiowatch.engine.fingerprint import legacy_index, legacy_matcher, matcher
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, decode_file, read_tags, track_tags
from radiowatch.engine.fingerprint.landmarks import FRAME_S, Peaks, catalog_peaks
from radiowatch.engine.fingerprint.reference_peaks import (
    WITH_LEVELS,
    ReferencePeaks,
    encode_peaks,
)
from radiowatch.engine.fingerprint.snapshot import (
    Snapshot,
    Track,
    with_added,
    with_segments,
    with_track,
    without,
)
from radiowatch.engine.fingerprint.triplets import catalog_keys

# Score (verification.verification_score) at or above which identify() reports a match, chosen
# on the benchmark's negatives (held-out music, speech, noise) against the catalog grown with
# decoys up to 100,000 tracks: their best scores were 4.3 (53 tracks), 5.5 (1,000) and 5.9
# (10,000), see bench/fingerprint/RESULTS.md.
MATCH_THRESHOLD = 6.5
# An index written before tracks kept their peaks is scored by hash votes
# (matcher.calibrated_score), whose threshold was 9.0: rescaled onto the same threshold.
_HASH_SCORE_SCALE = MATCH_THRESHOLD / 9.0


def confidence(score: float) -> int:
    """The AudD-style 0-100 confidence shown to users for a match score.

    A score is in standard deviations above chance, unbounded (a clean 10 s clip scores 30-60);
    AudD clients read `score` as a 0-100 confidence. The map is monotone and puts the match
    threshold at 50: 100 * (1 - 2 ** (-score / MATCH_THRESHOLD)): twice the threshold -> 75,
    four times -> 94.
    """
    if score <= 0:
        return 0
    return int(round(100 * (1 - 2 ** (-float(score) / MATCH_THRESHOLD))))


KINDS = ("song", "jingle", "ad")
TRACK_GAP = 64  # frames between tracks on the global position axis
_MIN_HASHES = 20  # fewer than this: silent or featureless audio, refused at ingest
# The index format this code writes. 1: pair hashes in .npy segments (read, never written: a
# format-1 catalog answers queries with legacy_matcher until `upgrade.upgrade_catalog` has
# rebuilt it); 2: triplet keys in .seg segments (index.py, triplets.py).
FORMAT = 2
# Segments below this many entries are "small": when more than MAX_SMALL_SEGMENTS pile up, an
# add merges them into one (a bounded rewrite, well under 2 s). Bigger ones are merged only by
# compact(), which a bulk import runs at its end: merging a 100,000-track segment is minutes.
SMALL_SEGMENT = 8_000_000
MAX_SMALL_SEGMENTS = 4
MAX_BIG_SEGMENTS = 4
_NO_PEAKS = encode_peaks(Peaks(np.zeros(0, np.int32), np.zeros(0, np.float32)))
_FIELDS = ("title", "artist", "album", "isrc", "kind", "source_file", "provenance")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracks (
    track_id TEXT PRIMARY KEY, title TEXT, artist TEXT, album TEXT, isrc TEXT,
    kind TEXT NOT NULL DEFAULT 'song', source_file TEXT, duration_s REAL NOT NULL,
    provenance TEXT, added_at REAL NOT NULL, base INTEGER NOT NULL, n_frames INTEGER NOT NULL,
    n_hashes INTEGER NOT NULL, peaks BLOB
);
CREATE TABLE IF NOT EXISTS segments (name TEXT PRIMARY KEY, entries INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unindexed (track_id TEXT PRIMARY KEY, reason TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Match:
    track: Track
    offset_s: float
    score: float
    speed: float
    tempo: float = 1.0
    query_start_s: float = 0.0
    matched_hashes: int = 0


@dataclass
class Fingerprint:
    """A track's fingerprint, computed (possibly in a worker process) before it is stored."""

    hashes: np.ndarray
    frames: np.ndarray
    n_frames: int
    duration_s: float
    meta: dict = field(default_factory=dict)
    peaks: bytes | None = None  # reference_peaks.encode_peaks


def fingerprint_samples(samples: np.ndarray, **meta) -> Fingerprint:
    """Hash a decoded track; raises ValueError for silent or featureless audio."""
    samples = np.asarray(samples, np.float32)
    duration = samples.size / SAMPLE_RATE
    if duration < 1.0:
        raise ValueError(f"too short to fingerprint ({duration:.1f} s; need at least 1 s)")
    if float(np.max(np.abs(samples))) < 1e-3:
        raise ValueError("silent: no audible signal to fingerprint")
    peaks = catalog_peaks(samples)
    hashes, frames = catalog_keys(peaks)
    if hashes.size < _MIN_HASHES:
        raise ValueError("no usable audio features (silence, a constant tone or pure noise?)")
    n_frames = int(samples.size // int(round(FRAME_S * SAMPLE_RATE))) + 1
    return Fingerprint(hashes, frames, n_frames, duration, meta, encode_peaks(peaks))


def fingerprint_file(path: str | Path, **meta) -> Fingerprint:
    """Decode and hash a file (DecodeError / ValueError carry user-facing reasons).

    Title, artist, album and ISRC come from the file's tags unless given; when neither the
    caller nor the tags name a title or an artist, from the file's name (`Artist - Title`).
    """
    samples = decode_file(path)
    named = meta.get("title") or meta.get("artist")
    for key, value in (read_tags(path) if named else track_tags(path)).items():
        if not meta.get(key):
            meta[key] = value
    meta.setdefault("source_file", str(Path(path).resolve()))
    return fingerprint_samples(samples, **meta)


class Catalog:
    """Track metadata (SQLite) plus the fingerprint index (segments) in one data dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            root / "catalog.sqlite", timeout=30, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(tracks)")}
        if "peaks" not in columns:  # an index from before tracks kept their peaks
            self._db.execute("ALTER TABLE tracks ADD COLUMN peaks BLOB")
        self._db_lock = threading.RLock()
        self._data_version = -1
        self._snapshot: Snapshot | None = None
        self._segments: dict[str, idx.Segment | legacy_index.Segment] = {}
        self.format = self._stored_format()
        self.refresh(force=True)

    def _stored_format(self) -> int:
        """The format of the committed index; a new catalog starts at FORMAT."""
        with self._db_lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is not None:
                return int(row[0])
            if self._db.execute("SELECT 1 FROM tracks LIMIT 1").fetchone() is None:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
                return FORMAT
            return 1  # tracks but no format key: written before formats were numbered

    @property
    def needs_upgrade(self) -> bool:
        """The index is in an older format (it still answers queries; see upgrade.py)."""
        return self.format < FORMAT

    @classmethod
    def open(cls, root: str | Path) -> Catalog:
        return cls(Path(root))

    def close(self) -> None:
        with self._db_lock:
            self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading -------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Reload the snapshot if another connection committed since; cheap when nothing did."""
        with self._db_lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if not force and version == self._data_version:
                return False
            for _attempt in range(5):
                try:
                    snap = self._load_snapshot()
                    break
                except FileNotFoundError:  # a merge replaced a segment between list and open
                    time.sleep(0.05)
            else:
                snap = self._load_snapshot()
            self._snapshot = snap
            self._data_version = version
            return True

    def _load_snapshot(self) -> Snapshot:
        rows = self._db.execute(
            "SELECT track_id, title, artist, album, isrc, kind, source_file, duration_s, "
            "provenance, added_at, base, n_frames, n_hashes, peaks IS NOT NULL "
            "FROM tracks ORDER BY base"
        ).fetchall()
        names = [r[0] for r in self._db.execute("SELECT name FROM segments ORDER BY name")]
        opener = idx if self.format >= FORMAT else legacy_index
        # segments are immutable: reuse the open ones (their bucket tables cost O(n) to build)
        cache = {
            n: self._segments[n] if n in self._segments else opener.open_segment(self.root, n)
            for n in names
        }
        self._segments = cache
        segments = [cache[n] for n in names]
        tracks = {r[0]: Track(*r[:10]) for r in rows}
        bases = np.array([r[10] for r in rows], np.int64)
        ends = bases + np.array([r[11] for r in rows], np.int64)
        total = int((ends - bases).sum()) if rows else 1
        segset = opener.SegmentSet(segments, total)
        n_hashes = np.array([r[12] for r in rows], np.int64)
        track_ids = tuple(r[0] for r in rows)
        reference = (
            ReferencePeaks(bases, ends, track_ids, self._stored_peaks)
            if all(r[13] for r in rows)
            else None
        )
        return Snapshot(
            segset,
            bases,
            ends,
            track_ids,
            tracks,
            has_removed=segset.entries != int(n_hashes.sum()),
            reference_peaks=reference,
            format=self.format,
            n_hashes=n_hashes,
        )

    def _stored_peaks(self, track_id: str) -> bytes:
        with self._db_lock:
            row = self._db.execute(
                "SELECT peaks FROM tracks WHERE track_id = ?", (track_id,)
            ).fetchone()
        if row is None or row[0] is None:  # removed since the snapshot: nothing to verify
            return _NO_PEAKS
        return row[0]

    def _snapshot_or_raise(self) -> Snapshot:
        """The current snapshot; `__init__` loads one, so it is only missing on misuse."""
        snap = self._snapshot
        if snap is None:
            raise RuntimeError("the catalog has no snapshot loaded (refresh() was never run)")
        return snap

    def track_peaks(self, track_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A track's stored spectral peaks: frames from its start and half-bands, sorted by
        frame (what verification compares against), for following a recording along a known
        alignment. None for an unknown track or an index without stored peaks."""
        snap = self._snapshot_or_raise()
        if snap.reference_peaks is None or track_id not in snap.tracks:
            return None
        return snap.reference_peaks.track(track_id)

    def track_levels(self, track_id: str) -> np.ndarray | None:
        """The levels (dB) of a track's stored peaks, in `track_peaks` order: None when the
        track was indexed before levels were kept (re-import it to have them)."""
        snap = self._snapshot_or_raise()
        if snap.reference_peaks is None or track_id not in snap.tracks:
            return None
        return snap.reference_peaks.track_levels(track_id)

    def tracks(self) -> list[Track]:
        snap = self._snapshot_or_raise()
        return [snap.tracks[t] for t in snap.track_ids]

    def get(self, track_id: str) -> Track | None:
        return self._snapshot_or_raise().tracks.get(track_id)

    def __len__(self) -> int:
        return len(self._snapshot_or_raise().track_ids)

    def stats(self) -> dict:
        snap = self._snapshot_or_raise()
        return {
            "tracks": len(snap.track_ids),
            "entries": snap.segments.entries,
            "segments": len(snap.segments.segments),
            "audio_s": float(sum(t.duration_s for t in snap.tracks.values())),
        }

    def identify(
        self,
        samples: np.ndarray | None,
        *,
        threshold: float = MATCH_THRESHOLD,
        peaks: Peaks | None = None,
    ) -> Match | None:
        """The catalog track playing in `samples` (mono float32 at SAMPLE_RATE), or None.

        `peaks`: the query's peaks (landmarks.find_peaks at QUERY_DENSITY) when already known;
        a monitored stream finds its peaks once and cuts them into windows, so `samples` may
        then be None."""
        best = self.best_guess(samples, peaks=peaks)
        return best if best is not None and best.score >= threshold else None

    def best_guess(self, samples: np.ndarray | None, *, peaks: Peaks | None = None) -> Match | None:
        """Like identify() but without the threshold (for tools that show the score)."""
        snap = self._snapshot_or_raise()
        if not snap.track_ids:
            return None
        query = np.zeros(0, np.float32) if samples is None else np.asarray(samples, np.float32)
        match = matcher.match if snap.format >= FORMAT else legacy_matcher.match
        raw = match(query, snap, peaks=peaks)
        if raw is None:
            return None
        score = raw.score if raw.verified else raw.score * _HASH_SCORE_SCALE
        # the track is where the matched hashes are, not where the query starts: a song that
        # starts inside the query puts the query's start before the song's base (in the
        # previous track on the global axis, or before the first one)
        k = int(np.searchsorted(snap.bases, raw.ref_position, side="right")) - 1
        k = max(k, 0)
        track = snap.tracks[snap.track_ids[k]]
        start_frames = int(raw.position - snap.bases[k])
        return Match(
            track=track,
            offset_s=round(start_frames * FRAME_S, 3),
            score=round(score, 2),
            speed=raw.candidate.speed,
            tempo=raw.candidate.tempo,
            query_start_s=round(
                max(-start_frames, 0) * FRAME_S / raw.candidate.time_scale
                + raw.query_start_frame * FRAME_S,
                3,
            ),
            matched_hashes=raw.votes,
        )

    # writing (one writer) -----------------------------------------------------------------------
    def add_file(self, path: str | Path, *, track_id: str | None = None, **meta) -> Track:
        """Decode, fingerprint and store one file (DecodeError / ValueError on bad input)."""
        fp = fingerprint_file(path, **meta)
        return self.add_fingerprints([(track_id or Path(path).stem, fp)])[0]

    def add_samples(self, samples: np.ndarray, *, track_id: str | None = None, **meta) -> Track:
        fp = fingerprint_samples(samples, **meta)
        return self.add_fingerprints([(track_id or meta.get("title") or "track", fp)])[0]

    def add_fingerprints(
        self, items: list[tuple[str, Fingerprint]], *, unique_ids: bool = True
    ) -> list[Track]:
        """Store already-computed fingerprints as one new segment, then commit their rows.

        With `unique_ids`, a taken id gets a numeric suffix; otherwise it raises ValueError.
        """
        if not items:
            return []
        if self.needs_upgrade:
            raise ValueError(
                "the catalog's index is in an older format: upgrade it first "
                "(radiowatch-engine catalog upgrade, or start the engine)"
            )
        with self._db_lock:
            for _tid, fp in items:
                _check_meta(fp.meta)
            next_base = self._meta("next_base")
            placed, hashes, positions = [], [], []
            taken = set(self._snapshot_or_raise().tracks)
            for tid, fp in items:
                tid = _free_id(tid, taken) if unique_ids else tid
                if tid in taken:
                    raise ValueError(f"track id {tid!r} is already in the catalog")
                taken.add(tid)
                placed.append((tid, next_base, fp))
                hashes.append(fp.hashes)
                positions.append(fp.frames.astype(np.int64) + next_base)
                next_base += fp.n_frames + TRACK_GAP
            if next_base >= 2**32:
                raise ValueError("the index is full (2^32 frames); start a new data dir")
            name = idx.write_segment(self.root, np.concatenate(hashes), np.concatenate(positions))
            now = time.time()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for tid, base, fp in placed:
                    m = fp.meta
                    self._db.execute(
                        "INSERT INTO tracks (track_id, title, artist, album, isrc, kind, "
                        "source_file, duration_s, provenance, added_at, base, n_frames, "
                        "n_hashes, peaks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            tid,
                            m.get("title"),
                            m.get("artist"),
                            m.get("album"),
                            m.get("isrc"),
                            m.get("kind") or "song",
                            m.get("source_file"),
                            fp.duration_s,
                            m.get("provenance"),
                            now,
                            base,
                            fp.n_frames,
                            int(fp.hashes.size),
                            fp.peaks,
                        ),
                    )
                self._db.execute(
                    "INSERT INTO segments VALUES (?, ?)", (name, int(sum(h.size for h in hashes)))
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('next_base', ?)", (next_base,)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                idx.segment_path(self.root, name).unlink(missing_ok=True)
                raise
            new = [
                (
                    Track(
                        tid,
                        title=fp.meta.get("title"),
                        artist=fp.meta.get("artist"),
                        album=fp.meta.get("album"),
                        isrc=fp.meta.get("isrc"),
                        kind=fp.meta.get("kind") or "song",
                        source_file=fp.meta.get("source_file"),
                        duration_s=fp.duration_s,
                        provenance=fp.meta.get("provenance"),
                        added_at=now,
                    ),
                    base,
                    fp.n_frames,
                    int(fp.hashes.size),
                    fp.peaks is not None,
                )
                for tid, base, fp in placed
            ]
            segment = idx.open_segment(self.root, name)
            self._segments[name] = segment
            self._snapshot = with_added(self._snapshot_or_raise(), new, segment, self._stored_peaks)
            self._maybe_merge()
            return [track for track, *_rest in new]

    def update(self, track_id: str, **fields) -> Track:
        bad = set(fields) - set(_FIELDS)
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}; editable fields: {', '.join(_FIELDS)}")
        _check_meta(fields)
        with self._db_lock:
            if track_id not in self._snapshot_or_raise().tracks:
                raise KeyError(f"no track {track_id!r} in the catalog")
            if fields:
                cols = ", ".join(f"{k} = ?" for k in fields)
                self._db.execute(
                    f"UPDATE tracks SET {cols} WHERE track_id = ?", (*fields.values(), track_id)
                )
            track = dataclasses.replace(self._snapshot_or_raise().tracks[track_id], **fields)
            self._snapshot = with_track(self._snapshot_or_raise(), track)
            return track

    def remove(self, track_id: str) -> bool:
        """Forget a track; its hashes stop matching at once and are dropped at the next merge."""
        with self._db_lock:
            cur = self._db.execute("DELETE FROM tracks WHERE track_id = ?", (track_id,))
            self._db.execute("DELETE FROM unindexed WHERE track_id = ?", (track_id,))
            self._snapshot = without(self._snapshot_or_raise(), track_id, self._stored_peaks)
            return cur.rowcount > 0

    def compact(self) -> None:
        """Merge every segment into one (and drop removed tracks' hashes)."""
        with self._db_lock:
            snap = self._snapshot_or_raise()
            segs = list(snap.segments.segments)
            if self.needs_upgrade or (len(segs) <= 1 and not snap.has_removed):
                return
            self._merge(segs)  # type: ignore[arg-type]

    def sweep(self) -> None:
        """Delete segment files no committed row refers to (crash leftovers)."""
        with self._db_lock:
            names = {r[0] for r in self._db.execute("SELECT name FROM segments")}
            staged = self._db.execute(
                "SELECT name FROM sqlite_master WHERE name = 'upgrade_segments'"
            ).fetchone()
            if staged:  # an interrupted upgrade's batches, kept for when it resumes
                names |= {r[0] for r in self._db.execute("SELECT name FROM upgrade_segments")}
            idx.sweep_orphans(self.root, names)

    def tracks_without_levels(self) -> list[tuple[str, str | None]]:
        """Tracks whose stored peaks have no levels (indexed before they were kept), with
        their source files: levels_backfill gives them levels."""
        with self._db_lock:
            rows = self._db.execute(
                "SELECT track_id, source_file FROM tracks WHERE peaks IS NOT NULL"
                " AND hex(substr(peaks, 1, 1)) != ? ORDER BY base",
                (WITH_LEVELS.hex().upper(),),
            )
            return [(r[0], r[1]) for r in rows]

    def replace_peaks(self, track_id: str, peaks: bytes) -> None:
        """Store a track's peaks anew (the same audio's, now with levels); its keys stay."""
        with self._db_lock:
            self._db.execute("UPDATE tracks SET peaks = ? WHERE track_id = ?", (peaks, track_id))
            reference = self._snapshot_or_raise().reference_peaks
            if reference is not None:
                reference.forget(track_id)

    def unindexed(self) -> dict[str, str]:
        """Tracks without keys (an upgrade could not read their source file): id -> why.
        Adding the file again under the same id brings the track back."""
        with self._db_lock:
            return dict(self._db.execute("SELECT track_id, reason FROM unindexed"))

    def _maybe_merge(self) -> None:
        """Merge the small segments when more than MAX_SMALL_SEGMENTS of them pile up."""
        small = [s for s in self._snapshot_or_raise().segments.segments if s.size < SMALL_SEGMENT]
        if len(small) > MAX_SMALL_SEGMENTS:
            self._merge(small)  # type: ignore[arg-type]

    def wants_compaction(self) -> bool:
        """More big segments than a query should visit: time for compact()."""
        segs = self._snapshot_or_raise().segments.segments
        return sum(1 for s in segs if s.size >= SMALL_SEGMENT) > MAX_BIG_SEGMENTS

    def _merge(self, segs: list[idx.Segment]) -> None:
        if not segs:
            return
        snap = self._snapshot_or_raise()
        name = idx.merge_segments(
            self.root,
            segs,
            np.stack([snap.bases, snap.ends], axis=1),
            all_live=not snap.has_removed,
        )
        entries = idx.open_segment(self.root, name).size
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM segments WHERE name = ?", [(s.name,) for s in segs])
            self._db.execute("INSERT INTO segments VALUES (?, ?)", (name, entries))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        gone = {s.name for s in segs}
        self._segments = {k: v for k, v in self._segments.items() if k not in gone}
        self._segments[name] = idx.open_segment(self.root, name)
        kept = [s for s in self._snapshot_or_raise().segments.segments if s.name not in gone]
        self._snapshot = with_segments(self._snapshot_or_raise(), [*kept, self._segments[name]])
        for s in segs:  # readers holding the old mmap keep working: unlink does not unmap
            idx.segment_path(self.root, s.name).unlink(missing_ok=True)

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0


def _free_id(wanted: str, taken: set[str]) -> str:
    base = (wanted or "track").strip() or "track"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _check_meta(meta: dict) -> None:
    kind = meta.get("kind") or "song"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


__all__ = [
    "Catalog",
    "Fingerprint",
    "MATCH_THRESHOLD",
    "confidence",
    "Match",
    "Track",
    "fingerprint_file",
    "fingerprint_samples",
]
