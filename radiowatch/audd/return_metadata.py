"""AudD's `return` parameter: which streaming services' metadata to ask for (docs/protocols/audd.md §3.1).

Callers pass a list of provider names or one comma-separated string; the wire wants the string.
Its own module because both the client (recognition) and the streams API (callback URLs) use it.
"""

from __future__ import annotations

from collections.abc import Iterable

ReturnMetadata = str | Iterable[str] | None


def format_return(return_metadata: ReturnMetadata) -> str | None:
    """``["apple_music", "spotify"]`` → ``"apple_music,spotify"`` (docs/protocols/audd.md §3.1)."""
    if return_metadata is None:
        return None
    if isinstance(return_metadata, str):
        return return_metadata or None
    joined = ",".join(str(p).strip() for p in return_metadata if str(p).strip())
    return joined or None
