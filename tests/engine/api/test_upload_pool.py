"""The engine's add workers (engine/api/upload_pool.py): uploads are fingerprinted on
worker processes, several at once; bad audio is a per-file failure; a worker that dies costs its
file only, and the next upload is fingerprinted again."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from radiowatch.engine.api.upload_pool import UploadFailed, UploadPool
from radiowatch.engine.fingerprint.catalog import Catalog
from tests.engine.conftest import RATE, synth_song, write_wav


@pytest.fixture
def pool():
    p = UploadPool(workers=2)
    yield p
    p.shutdown()


def _wav(tmp_path, name, samples) -> bytes:
    return write_wav(tmp_path / name, samples).read_bytes()


def test_uploads_are_fingerprinted_on_worker_processes_and_stored_by_the_caller(
    pool, tmp_path, songs
):
    uploads = {seed: _wav(tmp_path, f"Ola - Song {seed}.wav", songs[seed]) for seed in (11, 12, 13)}

    async def fingerprint_all():
        return await asyncio.gather(
            *(
                pool.fingerprint(
                    data, f"Ola - Song {seed}.wav", {"kind": "song"}, name_from_file=True
                )
                for seed, data in uploads.items()
            )
        )

    fps = asyncio.run(fingerprint_all())
    assert pool.workers == 2
    workers = pool._executor._processes  # type: ignore[union-attr]
    assert len(workers) == 2 and os.getpid() not in workers
    assert [(fp.meta["artist"], fp.meta["title"]) for fp in fps] == [
        ("Ola", f"Song {seed}") for seed in uploads
    ]
    with Catalog.open(tmp_path / "cat") as cat:  # what the workers made, the writer stores
        stored = cat.add_fingerprints([(fp.meta["title"], fp) for fp in fps])
        for seed, track in zip(uploads, stored, strict=True):
            found = cat.identify(songs[seed][10 * RATE : 20 * RATE])
            assert found is not None and found.track.track_id == track.track_id
            assert abs(found.offset_s - 10.0) < 0.2


def test_bad_audio_fails_that_upload_only(pool, tmp_path, songs):
    silence = _wav(tmp_path, "quiet.wav", 0 * synth_song(1, 5.0))

    async def scenario():
        with pytest.raises(UploadFailed) as broken:
            await pool.fingerprint(b"not audio at all" * 100, "broken.mp3", {})
        assert broken.value.decoding and "broken.mp3" in str(broken.value)
        with pytest.raises(UploadFailed) as quiet:
            await pool.fingerprint(silence, "quiet.wav", {})
        assert not quiet.value.decoding and "silent" in str(quiet.value)
        return await pool.fingerprint(_wav(tmp_path, "ok.wav", songs[11]), "ok.wav", {})

    assert asyncio.run(scenario()).hashes.size > 0


def test_a_worker_that_dies_costs_its_file_and_the_next_upload_works(pool, tmp_path, songs):
    data = _wav(tmp_path, "song.wav", songs[12])

    async def scenario():
        await pool.fingerprint(data, "song.wav", {})
        for pid in list(pool._executor._processes):  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        try:
            await pool.fingerprint(data, "song.wav", {})
        except UploadFailed as exc:  # the pool noticed the dead workers on this upload
            assert "stopped" in str(exc) and not exc.decoding
        return await pool.fingerprint(data, "song.wav", {})

    assert asyncio.run(scenario()).hashes.size > 0


def test_a_stopped_pool_refuses_new_work(tmp_path, songs):
    pool = UploadPool(workers=1)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="stopping"):
        asyncio.run(pool.fingerprint(b"x", "x.wav", {}))


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    tree, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    return tree - {pid}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.asyncio
async def test_a_killed_engine_is_seen_to_end_at_once_and_its_add_workers_end_with_it(
    tmp_path, songs
):
    """Workers must not keep the engine's stdout/stderr open (its supervisor would not see it
    die) nor outlive it."""
    import time

    import httpx

    from radiowatch.backend.engine_launcher import EngineLauncher

    token = "pool-token-0123"
    engine = EngineLauncher(mode="serve", data_dir=tmp_path / "engine", token=token)
    base = await engine.start()
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            reply = await client.post(
                base + "/upload/",
                data={"api_token": token, "audio_id": "1", "title": "Song 11"},
                files={"file": ("song.wav", _wav(tmp_path, "song.wav", songs[11]))},
            )
        assert reply.json()["status"] == "success"
        assert engine.pid is not None
        helpers = _descendants(engine.pid)
        assert helpers  # the add workers (and multiprocessing's helpers) are running
        os.kill(engine.pid, signal.SIGKILL)
        await asyncio.wait_for(engine.wait(), 5)  # the pipes closed: the exit is seen
        deadline = time.monotonic() + 5
        while any(_running(p) for p in helpers) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not any(_running(p) for p in helpers)
    finally:
        await engine.stop()
