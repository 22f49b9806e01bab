"""What the caller wants recognised, turned into request fields (spec §3.1).

A ``str`` starting with http(s):// is sent as ``url``; any other ``str`` or a ``Path``
is a local file; ``bytes`` are sent as ``upload.bin``; an object with ``.read()`` is
uploaded as-is (rewound before each retry; an unseekable one gets a single attempt).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

AudioSource = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]


@dataclass
class PreparedSource:
    url: str | None = None
    path: Path | None = None
    data: bytes | None = None
    fileobj: Any = None
    filename: str = "upload.bin"

    @property
    def rewindable(self) -> bool:
        """Whether the body can be rebuilt for a retry."""
        if self.fileobj is None:
            return True
        try:
            return bool(self.fileobj.seekable())
        except (AttributeError, OSError, ValueError):
            return False

    def fields(self) -> dict[str, str]:
        return {"url": self.url} if self.url is not None else {}

    def files(self) -> dict[str, Any] | None:
        """Multipart ``file`` part for one attempt (reopened/rewound each time)."""
        if self.url is not None:
            return None
        if self.path is not None:
            content: Any = self.path.read_bytes()
        elif self.data is not None:
            content = self.data
        else:
            if self.rewindable:
                self.fileobj.seek(0)
            content = self.fileobj.read()
        return {"file": (self.filename, content, "application/octet-stream")}


def prepare_source(source: AudioSource) -> PreparedSource:
    if isinstance(source, str):
        if source.startswith(("http://", "https://")):
            return PreparedSource(url=source)
        return _from_path(Path(source))
    if isinstance(source, os.PathLike):
        return _from_path(Path(source))
    if isinstance(source, bytes | bytearray | memoryview):
        return PreparedSource(data=bytes(source))
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else "upload.bin"
        return PreparedSource(fileobj=source, filename=filename)
    raise TypeError(
        "audio source must be an http(s) URL, a file path, bytes or a binary file object, "
        f"not {type(source).__name__}"
    )


def _from_path(path: Path) -> PreparedSource:
    if not path.is_file():
        raise FileNotFoundError(f"audio file not found: {path} (pass an http(s) URL or a file)")
    return PreparedSource(path=path, filename=path.name)
