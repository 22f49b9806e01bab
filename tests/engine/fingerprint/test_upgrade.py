"""Catalogs written by an older radiowatch (index format 1: pair hashes) keep answering, upgrade
to the current format from their source files, survive an interrupted upgrade, and say which
tracks need their file again. An interrupted import leaves a readable catalog too."""

from __future__ import annotations

import sqlite3
import time
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

from radiowatch.engine.fingerprint import index, ingest_jobs, legacy_index
from radiowatch.engine.fingerprint.catalog import FORMAT, Catalog
from radiowatch.engine.fingerprint.ingest_jobs import ingest
from radiowatch.engine.fingerprint.landmarks import FRAME_S, catalog_hashes, catalog_peaks
from radiowatch.engine.fingerprint.reference_peaks import encode_peaks
from radiowatch.engine.fingerprint.upgrade import upgrade_catalog
from tests.engine.conftest import RATE, write_wav

SEEDS = (11, 12, 13)
# the schema and rows radiowatch wrote before index formats were numbered
_FORMAT_1_SCHEMA = """
CREATE TABLE tracks (
    track_id TEXT PRIMARY KEY, title TEXT, artist TEXT, album TEXT, isrc TEXT,
    kind TEXT NOT NULL DEFAULT 'song', source_file TEXT, duration_s REAL NOT NULL,
    provenance TEXT, added_at REAL NOT NULL, base INTEGER NOT NULL, n_frames INTEGER NOT NULL,
    n_hashes INTEGER NOT NULL, peaks BLOB
);
CREATE TABLE segments (name TEXT PRIMARY KEY, entries INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def _format_1_catalog(root: Path, songs, files: dict[int, Path]) -> None:
    root.mkdir()
    db = sqlite3.connect(root / "catalog.sqlite")
    db.executescript(_FORMAT_1_SCHEMA)
    base, hashes, positions = 0, [], []
    for seed in SEEDS:
        peaks = catalog_peaks(songs[seed])
        h, t = catalog_hashes(songs[seed], peaks)
        n_frames = songs[seed].size // 256 + 1
        db.execute(
            "INSERT INTO tracks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (f"song{seed}", f"Song {seed}", "Synth", None, None, "song", str(files[seed]),
             songs[seed].size / RATE, None, time.time(), base, n_frames, int(h.size),
             encode_peaks(peaks)),
        )  # fmt: skip
        hashes.append(h)
        positions.append(t.astype(np.int64) + base)
        base += n_frames + 64
    name = legacy_index.write_segment(root, np.concatenate(hashes), np.concatenate(positions))
    db.execute("INSERT INTO segments VALUES (?, ?)", (name, sum(h.size for h in hashes)))
    db.execute("INSERT INTO meta VALUES ('next_base', ?)", (base,))
    db.commit()
    db.close()


@pytest.fixture
def old_catalog(tmp_path, songs):
    (tmp_path / "audio").mkdir()
    files = {s: write_wav(tmp_path / "audio" / f"song{s}.wav", songs[s]) for s in SEEDS}
    root = tmp_path / "catalog"
    _format_1_catalog(root, songs, files)
    return root, files


def _answers(cat: Catalog, songs) -> list[tuple[str, float]]:
    out = []
    for seed, start in ((11, 4.0), (12, 17.5), (13, 26.0)):
        m = cat.identify(songs[seed][int(start * RATE) : int((start + 10) * RATE)])
        assert m is not None
        out.append((m.track.track_id, m.offset_s))
    assert cat.identify(songs[14][5 * RATE : 15 * RATE]) is None
    return out


def _same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Same tracks, and offsets within ~0.1 s (the two formats' matchers may pick start
    frames a frame or two apart)."""
    return [t for t, _o in a] == [t for t, _o in b] and all(
        abs(x - y) <= 3 * FRAME_S for (_t, x), (_u, y) in zip(a, b, strict=True)
    )


def test_an_old_index_answers_then_upgrades_and_answers_the_same(old_catalog, songs):
    root, _files = old_catalog
    with Catalog.open(root) as cat:
        assert cat.needs_upgrade
        before = _answers(cat, songs)
        assert _same(before, [("song11", 4.0), ("song12", 17.5), ("song13", 26.0)])
        seen = []
        report = upgrade_catalog(cat, jobs=1, on_progress=lambda d, t: seen.append((d, t)))
        assert report.finished and report.upgraded == 3 and not report.missing
        assert seen[-1] == (3, 3) and not cat.needs_upgrade
        assert _same(_answers(cat, songs), before)
    with Catalog.open(root) as cat:  # the upgrade is durable, and the old files are gone
        assert cat.format == FORMAT and _same(_answers(cat, songs), before)
        assert not list((root / index.SEGMENT_DIR).glob("*.npy"))
        cat.add_samples(songs[14], track_id="song14")  # a current index takes new tracks
        assert cat.identify(songs[14][5 * RATE : 15 * RATE]).track.track_id == "song14"


def test_an_interrupted_upgrade_leaves_the_old_index_answering_and_resumes(old_catalog, songs):
    root, _files = old_catalog
    with Catalog.open(root) as cat:
        before = _answers(cat, songs)
        report = upgrade_catalog(cat, jobs=1, should_stop=lambda: True)  # stops after one track
        assert not report.finished and cat.needs_upgrade
        assert _same(_answers(cat, songs), before)
        cat.sweep()  # must keep the staged batch
    with Catalog.open(root) as cat:  # as after a crash: reopened, still the old index
        assert cat.needs_upgrade and _same(_answers(cat, songs), before)
        done = []
        report = upgrade_catalog(cat, jobs=1, on_progress=lambda d, t: done.append(d))
        assert report.finished and done == [2, 3]  # resumed after the committed track
        assert _same(_answers(cat, songs), before)


def test_tracks_whose_file_is_gone_are_named_and_the_rest_upgrade(old_catalog, songs):
    root, files = old_catalog
    files[12].unlink()
    with Catalog.open(root) as cat:
        report = upgrade_catalog(cat, jobs=1)
        assert report.finished and report.upgraded == 2
        assert [t for t, _why in report.missing] == ["song12"]
        assert "not found" in cat.unindexed()["song12"]
        assert cat.get("song12") is not None  # kept, with its metadata
        assert cat.identify(songs[11][4 * RATE : 14 * RATE]).track.track_id == "song11"
        assert cat.identify(songs[12][4 * RATE : 14 * RATE]) is None


def test_a_track_whose_file_is_gone_is_listed_until_its_file_is_indexed_again(
    old_catalog, songs, tmp_path, capsys
):
    """Stored peaks cannot rebuild format-2 keys (they lack the strengths partners are picked
    by), so the CLI names the track, `catalog list` keeps naming it, and indexing its file
    again brings the same track back (id, title) instead of adding a second one."""
    from radiowatch.engine.commands import run_catalog, run_index

    root, files = old_catalog
    kept = files[12].read_bytes()
    files[12].unlink()
    assert run_catalog(Namespace(catalog_command="upgrade", data_dir=str(root), jobs=1)) == 0
    err = capsys.readouterr().err
    assert "1 track(s) need their audio file again" in err and "song12: " in err
    assert run_catalog(Namespace(catalog_command="list", data_dir=str(root), json=False)) == 0
    listed = {line.split("\t")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "needs its audio file again" in listed["song12"]
    assert "needs" not in listed["song11"]

    (tmp_path / "found").mkdir()
    (tmp_path / "found" / "song12.wav").write_bytes(kept)
    assert run_index(Namespace(catalog_dir=str(tmp_path / "found"), db_dir=str(root), jobs=1)) == 0
    with Catalog.open(root) as cat:
        assert not cat.unindexed() and len(cat) == 3
        back = cat.identify(songs[12][17 * RATE : 27 * RATE])
        assert back is not None and back.track.track_id == "song12"
        assert back.track.title == "Song 12" and abs(back.offset_s - 17.0) < 0.2
        assert cat.identify(songs[11][4 * RATE : 14 * RATE]).track.track_id == "song11"


def test_an_old_index_refuses_new_tracks_until_upgraded(old_catalog, songs):
    root, _files = old_catalog
    with Catalog.open(root) as cat, pytest.raises(ValueError, match="upgrade"):
        cat.add_samples(songs[14], track_id="song14")


def test_an_interrupted_import_keeps_what_was_stored_and_stays_readable(
    tmp_path, songs, monkeypatch
):
    monkeypatch.setattr(ingest_jobs, "BATCH_TRACKS", 1)  # store (and report) file by file
    (tmp_path / "in").mkdir()
    files = [write_wav(tmp_path / "in" / f"song{s}.wav", songs[s]) for s in (11, 12, 13, 14)]
    seen = []

    def stop_after_two(result, done, total):
        seen.append(result.track_id)
        if done == 2:
            raise KeyboardInterrupt  # Ctrl-C, or the GUI's Stop

    root = tmp_path / "catalog"
    with Catalog.open(root) as cat, pytest.raises(KeyboardInterrupt):
        ingest(cat, files, jobs=1, ids_from_stem=True, on_result=stop_after_two)
    with Catalog.open(root) as cat:
        cat.sweep()
        stored = {t.track_id for t in cat.tracks()}
        assert stored == set(seen)  # what was reported stored is there, nothing else
        for tid in stored:
            seed = int(tid.removeprefix("song"))
            assert cat.identify(songs[seed][9 * RATE : 19 * RATE]).track.track_id == tid
        # running the import again adds the rest
        results = ingest(cat, files, jobs=1, ids_from_stem=True)
        assert len(cat) == 4 and sum(r.skipped for r in results) == len(stored)


@pytest.mark.asyncio
async def test_the_engine_upgrades_an_old_index_in_the_background_and_reports_it(
    old_catalog, songs
):
    import asyncio

    import httpx

    from radiowatch.backend.engine_launcher import EngineLauncher

    root, _files = old_catalog
    token = "upgrade-token"
    async with (
        EngineLauncher(mode="serve", data_dir=root, token=token) as engine,
        httpx.AsyncClient(base_url=engine.base_url, timeout=30) as client,
    ):
        states = []
        for _ in range(300):
            status = (await client.get("/health/")).json()["catalog_index"]
            states.append(status["state"])
            if status["state"] == "current":
                break
            await asyncio.sleep(0.1)
        assert states[-1] == "current", engine.stderr_tail()
        assert set(states) <= {"needed", "running", "current"}
        clip = write_wav(root.parent / "clip.wav", songs[12][17 * RATE : 27 * RATE])
        reply = (
            await client.post(
                "/", data={"api_token": token}, files={"file": ("clip.wav", clip.read_bytes())}
            )
        ).json()
        assert reply["status"] == "success" and reply["result"]["title"] == "Song 12"
    with Catalog.open(root) as cat:
        assert not cat.needs_upgrade


@pytest.mark.asyncio
async def test_the_engine_keeps_naming_tracks_that_need_their_file_after_a_restart(old_catalog):
    """Upgraded earlier (here: by the CLI) with one file gone: an engine started later still
    lists that track on /health/ (what the Catalog tab shows as a problem) until it is back."""
    from radiowatch.backend.catalog_client import CatalogClient
    from radiowatch.backend.engine_launcher import EngineLauncher

    root, files = old_catalog
    files[12].unlink()
    with Catalog.open(root) as cat:
        assert upgrade_catalog(cat, jobs=1).finished
    token = "upgrade-token"
    async with (
        EngineLauncher(mode="serve", data_dir=root, token=token) as engine,
        CatalogClient(engine.base_url, token) as client,
    ):
        status = await client.index_status()
    assert status["state"] == "current"
    assert [m["track_id"] for m in status["missing"]] == ["song12"]
    assert "not found" in status["missing"][0]["reason"]


@pytest.mark.asyncio
async def test_adding_the_file_again_in_the_catalog_tab_brings_the_same_track_back(
    old_catalog, tmp_path
):
    from radiowatch.backend.catalog_client import CatalogClient
    from tests.ui.recognize.recognition_engine import CatalogEngine

    root, files = old_catalog
    kept = files[12].read_bytes()
    files[12].unlink()
    with Catalog.open(root) as cat:
        assert upgrade_catalog(cat, jobs=1).finished and "song12" in cat.unindexed()
    again = tmp_path / "elsewhere" / "song12.wav"  # untagged: its name is its title, the id
    again.parent.mkdir()
    again.write_bytes(kept)
    engine = CatalogEngine(root)
    engine.start()
    try:
        async with CatalogClient(engine.base_url, engine.token) as client:
            track = await client.add_file(again)
            assert track.track_id == "song12" and track.source_file == str(again.resolve())
            assert len(await client.tracks()) == 3
            assert "missing" not in await client.index_status()
    finally:
        engine.stop()


def test_another_song_under_a_lost_tracks_name_does_not_take_its_place(
    old_catalog, songs, tmp_path
):
    """A name is not proof: the file must reproduce the lost track's stored peaks."""
    root, files = old_catalog
    files[12].unlink()
    with Catalog.open(root) as cat:
        assert upgrade_catalog(cat, jobs=1).finished
        impostor = tmp_path / "song12.wav"
        write_wav(impostor, songs[14])
        (result,) = ingest(cat, [impostor], jobs=1, ids_from_stem=True)
        assert result.track_id is None and "does not sound like" in (result.error or "")
        (added,) = ingest(cat, [impostor], jobs=1)  # as a new track it is welcome
        assert added.track_id not in (None, "song12")
        assert "song12" in cat.unindexed()
        found = cat.identify(songs[14][5 * RATE : 15 * RATE])
        assert found is not None and found.track.track_id == added.track_id
