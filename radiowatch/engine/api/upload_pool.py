"""Fingerprinting uploaded files on worker processes, one per core, for the engine's adds.

Decoding and fingerprinting a song is pure CPU (~0.3 s of CPU per 3-minute file) and holds
the GIL most of the time, so threads would keep an import of a 10,000-file folder on one
core. The engine therefore hands each upload's bytes to a pool of worker processes and only
stores the result on its single catalog writer (engine/fingerprint/catalog.py: one writer, one
place where the index is written). Nothing a worker does touches the catalog, so a worker that
dies (out of memory on a huge file) costs that file and nothing else: the pool is started
again. Workers end with the engine, even when it is killed (`_worker_start`).

    pool = UploadPool(workers=0)          # 0 = one process per CPU core; started on first use
    fp = await pool.fingerprint(data, name, meta, name_from_file=True)   # UploadFailed
    pool.shutdown()
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from radiowatch.engine.fingerprint.catalog import Fingerprint, fingerprint_samples
from radiowatch.engine.fingerprint.decode import DecodeError, decode_bytes, read_tags
from radiowatch.engine.parent_watch import POLL_S, process_alive
from radiowatch.track_names import tags_from_file_name

TAGGED = ("title", "artist", "album", "isrc")


class UploadFailed(Exception):
    """The upload is not usable audio: `decoding` says whether it could not be decoded at
    all (else it decoded but has nothing to fingerprint: silence, too short, a tone)."""

    def __init__(self, message: str, *, decoding: bool) -> None:
        super().__init__(message)
        self.decoding = decoding


def fingerprint_upload(
    data: bytes, name: str, meta: dict[str, Any], name_from_file: bool = False
) -> tuple[Fingerprint | None, bool, str]:
    """In a worker: (fingerprint, _, "") or (None, decoding failed?, why). Missing
    title/artist/album/ISRC come from the file's tags and, with `name_from_file`, an untagged
    file without a given title takes what its file name says (radiowatch/track_names.py)."""
    if not all(meta.get(k) for k in TAGGED):
        meta = meta | _names(data, name, meta, name_from_file)
    try:
        samples = decode_bytes(data, name=name)
    except DecodeError as exc:
        return None, True, str(exc)
    try:
        return fingerprint_samples(samples, **meta), False, ""
    except ValueError as exc:
        return None, False, str(exc)
    except MemoryError:
        return None, False, "too large to fingerprint in memory"


def _names(data: bytes, name: str, given: dict[str, Any], name_from_file: bool) -> dict[str, str]:
    """The tag fields `given` lacks, from the file's tags (and, if allowed and the file names
    no title, from its file name)."""
    found = read_tags(io.BytesIO(data))
    if name_from_file and not given.get("title") and not found.get("title"):
        suggestion = tags_from_file_name(name)
        if not (found.get("artist") or given.get("artist")) or "artist" not in suggestion:
            found = suggestion | found
        elif suggestion.get("title"):
            found = {"title": suggestion["title"]} | found
    return {k: v for k, v in found.items() if k in TAGGED and not given.get(k)}


def _worker_start(engine_pid: int) -> None:
    """In a worker: let go of the engine's stdout and stderr, and end with the engine.

    The program that started the engine learns that it ended when those pipes close
    (asyncio's `Process.wait` waits for them), so a worker holding them would hide an engine
    crash from its supervisor. And a pool worker holds both ends of its own task pipe, so it
    would never see the engine die: it polls the engine's pid (parent_watch.py) and exits,
    which also lets the forkserver and multiprocessing's resource tracker end. A worker
    reports failures through its result, not on stderr."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    threading.Thread(
        target=_exit_with, args=(engine_pid,), name="engine-watch", daemon=True
    ).start()


def _exit_with(engine_pid: int) -> None:
    while process_alive(engine_pid):
        time.sleep(POLL_S)
    os._exit(0)  # nothing of the engine's is left to hand a result to


class UploadPool:
    """Worker processes for `fingerprint_upload`, started on first use (an engine that never
    adds a song never starts them) and started again if one dies."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is stopping")
            if self._executor is None:
                # not fork: the engine has threads (a forked child could inherit a held lock)
                method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=mp.get_context(method),
                    initializer=_worker_start,
                    initargs=(os.getpid(),),
                )
            return self._executor

    async def fingerprint(
        self, data: bytes, name: str, meta: dict[str, Any], *, name_from_file: bool = False
    ) -> Fingerprint:
        """The upload's fingerprint (UploadFailed if it is not usable audio)."""
        loop = asyncio.get_running_loop()
        pool = self._pool()
        try:
            fp, decoding, why = await loop.run_in_executor(
                pool, fingerprint_upload, data, name, meta, name_from_file
            )
        except BrokenProcessPool:
            self._restart(pool)
            raise UploadFailed(
                f"{name}: the fingerprinting process stopped on this file (too large?)",
                decoding=False,
            ) from None
        if fp is None:
            raise UploadFailed(why, decoding=decoding)
        return fp

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
