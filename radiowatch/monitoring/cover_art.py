"""Cover images for the now-playing panels: fetched once, kept on disk and in memory. No Qt.

Many stations play the same hits, so one image serves many cards; concurrent requests for the
same URL share one download. A failed download is remembered for a while so a dead image host
is not asked again for every play. Images are bytes here; the GUI turns them into pixmaps.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 2_000_000
FAILURE_TTL = 600.0


class CoverArtCache:
    def __init__(
        self,
        cache_dir: Path | None,
        *,
        http_client: httpx.AsyncClient | None = None,
        memory_items: int = 256,
    ) -> None:
        self._dir = cache_dir
        self._http = http_client
        self._owns_http = http_client is None
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_items = memory_items
        self._inflight: dict[str, asyncio.Future[bytes | None]] = {}
        self._failed: dict[str, float] = {}

    def cached(self, url: str) -> bytes | None:
        """The image if it is already in memory: lets a view paint without awaiting."""
        data = self._memory.get(url)
        if data is not None:
            self._memory.move_to_end(url)
        return data

    async def get(self, url: str) -> bytes | None:
        """The image bytes, or None if it cannot be had (never raises for network trouble)."""
        data = self.cached(url)
        if data is not None:
            return data
        if time.monotonic() - self._failed.get(url, -FAILURE_TTL) < FAILURE_TTL:
            return None
        pending = self._inflight.get(url)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._inflight[url] = future
        data = None
        try:
            data = self._from_disk(url) or await self._download(url)
        except Exception as exc:  # noqa: BLE001 - a cover is decoration; never break a panel
            log.info("no cover art from %s: %s", httpx.URL(url).host, exc)
        finally:
            self._inflight.pop(url, None)
            if data is None:
                self._failed[url] = time.monotonic()
            else:
                self._remember(url, data)
            future.set_result(data)  # also on cancellation, so waiters never hang
        return data

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    def _remember(self, url: str, data: bytes) -> None:
        self._memory[url] = data
        self._memory.move_to_end(url)
        while len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)

    def _path(self, url: str) -> Path | None:
        if self._dir is None:
            return None
        return self._dir / f"{hashlib.sha1(url.encode('utf-8')).hexdigest()}.img"

    def _from_disk(self, url: str) -> bytes | None:
        path = self._path(url)
        if path is None or not path.exists():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    async def _download(self, url: str) -> bytes | None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0, follow_redirects=True)
        response = await self._http.get(url)
        response.raise_for_status()
        data = response.content
        if not data or len(data) > MAX_IMAGE_BYTES:
            return None
        path = self._path(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            except OSError as exc:
                log.info("cannot keep cover art on disk: %s", exc)
        return data
