"""Adding a file to the backend's catalog (AudD's `/upload/`), keeping where it came from.

The local engine stores title, artist, kind and provenance with the track, and its recognitions
echo the provenance, so plays of e.g. an Udio song are flagged AI-generated in the history. The
`audio_id` is derived from the provenance, so adding the same song again replaces it instead of
making a second copy.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from pathlib import Path
from typing import Any

from radiowatch.audd.audio_source import prepare_source
from radiowatch.audd.client import AudDClient
from radiowatch.audd.retry import RetryClass

log = logging.getLogger(__name__)


class CatalogUnavailableError(RuntimeError):
    """No backend is running to take the upload; the message says why, for the user."""


def catalog_audio_id(provenance: str) -> int:
    """A stable custom-catalog id for a provenance ("udio:<id>"): re-adding replaces, not
    duplicates. AudD ids are positive 32-bit integers."""
    return zlib.crc32(provenance.encode()) % (2**31 - 2) + 1


async def upload_to_catalog(
    client: AudDClient | None,
    path: Path,
    metadata: dict[str, Any],
    *,
    unavailable: str = "No recognition backend is running.",
) -> None:
    """Upload `path` with `metadata` (title, artist, kind, provenance, ...) through `client`.

    Raises CatalogUnavailableError(`unavailable`) when there is no client, and the client's
    AudD errors when the backend refuses."""
    if client is None:
        raise CatalogUnavailableError(unavailable)
    provenance = str(metadata.get("provenance") or Path(path).name)
    fields = {k: str(v) for k, v in metadata.items() if v not in (None, "")}
    fields["audio_id"] = str(catalog_audio_id(provenance))
    source = await asyncio.to_thread(prepare_source, Path(path))
    await client.call(
        "upload",
        fields,
        retry=RetryClass.UPLOAD,
        source=source,
        path_method="upload",
        decode="method",
    )
    log.info("added %s to the catalog (%s)", Path(path).name, provenance)
