"""What the caller wants recognised, turned into request fields (docs/protocols/udio.md §3.1).

A ``str`` starting with http(s):// is sent as ``url``; any other ``str`` or a ``Path``
is a local file; ``bytes`` are sent as ``upload.bin``; an object with ``.read()`` is
uploaded as-is (rewound before each retry; an unseekable one gets a single attempt).

Files are streamed from disk: httpx reads a file object given in ``files=`` in 64 KB pieces
while it sends, so a 2 GB recording for the enterprise endpoint never sits in memory. Each
attempt opens the path anew (or rewinds the object), so a retry sends the whole file again.
Only an object whose size cannot be known without reading it (a pipe) is read into memory
first: the request then still carries a Content-Length, which every AudD server accepts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

CONTENT_TYPE = "application/octet-stream"

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

    @contextmanager
    def attempt_files(self) -> Iterator[dict[str, Any] | None]:
        """The multipart ``file`` part for one attempt, valid inside the ``with`` block.

        A path is opened for the attempt and closed after it; a file object is rewound. Both
        are handed to httpx as file objects, which it streams instead of reading them whole.
        """
        if self.url is not None:
            yield None
        elif self.path is not None:
            with self.path.open("rb") as file:
                yield {"file": (self.filename, file, CONTENT_TYPE)}
        elif self.data is not None:
            yield {"file": (self.filename, self.data, CONTENT_TYPE)}
        elif self.rewindable and _has_length(self.fileobj):
            self.fileobj.seek(0)
            yield {"file": (self.filename, self.fileobj, CONTENT_TYPE)}
        else:
            yield {"file": (self.filename, self.fileobj.read(), CONTENT_TYPE)}


def _has_length(fileobj: Any) -> bool:
    """Whether httpx can tell the object's size (for Content-Length) without reading it."""
    try:
        os.fstat(fileobj.fileno())
        return True
    except (AttributeError, OSError, ValueError):
        pass
    try:
        fileobj.tell()
        return True
    except (AttributeError, OSError, ValueError):
        return False


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
