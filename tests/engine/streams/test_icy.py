"""ICY metadata is cut out of the audio bytes exactly, and StreamTitle is read from it."""

from __future__ import annotations

import threading

from radiowatch.engine.demo.station import _metadata_block
from radiowatch.engine.streams.ingest import IcyReader, parse_stream_title


def _icy_stream(audio: bytes, metaint: int, titles: list[str | None]) -> bytes:
    out = bytearray()
    for i in range(0, len(audio), metaint):
        out += audio[i : i + metaint]
        if len(audio[i : i + metaint]) == metaint:
            out += _metadata_block(titles[(i // metaint) % len(titles)])
    return bytes(out)


def test_icy_reader_returns_only_audio_and_reports_titles():
    audio = bytes(range(256)) * 40  # 10240 bytes
    wire = _icy_stream(audio, 1000, ["Artist - Song", None, "Other - Tune"])
    titles: list[str] = []
    chunks = (wire[i : i + 777] for i in range(0, len(wire), 777))  # odd chunking on purpose
    reader = IcyReader(chunks, 1000, titles.append, threading.Event())
    got = bytearray()
    while data := reader.read(333):
        got += data
    assert bytes(got) == audio
    assert titles[:2] == ["Artist - Song", "Other - Tune"]


def test_stream_title_parsing_tolerates_padding_and_other_fields():
    block = b"StreamTitle='Guns N' Roses - Don't Cry';StreamUrl='http://x';\0\0\0"
    assert parse_stream_title(block) == "Guns N' Roses - Don't Cry"
    assert parse_stream_title(b"StreamTitle='A - B';\0\0") == "A - B"
    assert parse_stream_title(b"StreamUrl='x';") is None


def test_without_metaint_the_body_is_passed_through():
    reader = IcyReader(iter([b"abc", b"def"]), 0, lambda t: None, threading.Event())
    assert reader.read(100) + reader.read(100) + reader.read(100) == b"abcdef"
