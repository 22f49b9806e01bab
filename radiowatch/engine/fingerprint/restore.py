"""Bringing back a track that needs its audio file again, when the file is added again.

An index upgrade rebuilds keys from the tracks' source files (upgrade.py); a track whose file is
gone keeps its row (title, history, audio_id) without keys and is listed in `unindexed`. When
its file is added again under the track's id, the track gets keys again instead of a second
track appearing beside it: the history and the engine's audio_id keep pointing at it. An id is
only a name, so the file must also sound like the track: at least SAME_AUDIO of the track's
stored peaks (kept when its keys were lost) must reappear in the file at the same place; a
file of the same audio reproduces nearly all of them, another song a few percent.
"""

from __future__ import annotations

import numpy as np

from radiowatch.engine.fingerprint import index as idx
from radiowatch.engine.fingerprint.catalog import TRACK_GAP, Catalog, Fingerprint, Track
from radiowatch.engine.fingerprint.reference_peaks import decode_peaks

SAME_AUDIO = 0.5


def restore(catalog: Catalog, track_id: str, fp: Fingerprint) -> Track:
    """Give a track listed in `Catalog.unindexed()` keys again, from its file's fingerprint.

    The track keeps its id, metadata and added date (the catalog's id is what the history and
    the engine's audio_id refer to); its keys, peaks and duration are the file's. One segment
    and one transaction, like an add: a crash leaves the track as it was."""
    with catalog._db_lock:
        if track_id not in catalog.unindexed():
            raise ValueError(f"track {track_id!r} does not need its file again")
        if not same_audio(catalog, track_id, fp):
            raise ValueError(
                f"the file does not sound like track {track_id!r}, which needs its own file "
                "again; it was not used for that track"
            )
        db = catalog._db
        base = catalog._meta("next_base")
        next_base = base + fp.n_frames + TRACK_GAP
        if next_base >= 2**32:
            raise ValueError("the index is full (2^32 frames); start a new data dir")
        name = idx.write_segment(catalog.root, fp.hashes, fp.frames.astype(np.int64) + base)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "UPDATE tracks SET base = ?, n_frames = ?, n_hashes = ?, peaks = ?, "
                "duration_s = ?, source_file = COALESCE(?, source_file) WHERE track_id = ?",
                (
                    base,
                    fp.n_frames,
                    int(fp.hashes.size),
                    fp.peaks,
                    fp.duration_s,
                    fp.meta.get("source_file"),
                    track_id,
                ),
            )
            db.execute("DELETE FROM unindexed WHERE track_id = ?", (track_id,))
            db.execute("INSERT INTO segments VALUES (?, ?)", (name, int(fp.hashes.size)))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_base', ?)", (next_base,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            idx.segment_path(catalog.root, name).unlink(missing_ok=True)
            raise
        catalog.refresh(force=True)  # rare: a full reload is simpler than patching the snapshot
        track = catalog.get(track_id)
        assert track is not None, "restored in the transaction above"
        return track


def same_audio(catalog: Catalog, track_id: str, fp: Fingerprint) -> bool:
    """Whether `fp` reproduces the track's stored peaks (frame +-1, half-band +-1, no offset:
    the same file starts where the track started). True when there is nothing to compare."""
    stored = catalog.track_peaks(track_id)
    if stored is None or stored[0].size == 0 or fp.peaks is None:
        return True
    st, sf = (np.asarray(a, np.int64) for a in stored)
    nt, nf = (np.asarray(a, np.int64) for a in decode_peaks(fp.peaks))
    if nt.size == 0:
        return False
    grid = np.zeros((int(max(st.max(), nt.max())) + 3, 258), bool)
    for dt in (-1, 0, 1):
        for df in (-1, 0, 1):
            grid[nt + 1 + dt, np.clip(nf + 1 + df, 0, 257)] = True
    return float(grid[st + 1, np.clip(sf + 1, 0, 257)].mean()) >= SAME_AUDIO
