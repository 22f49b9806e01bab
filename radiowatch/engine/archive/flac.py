"""FLAC frames of a live stream, told apart, so a native FLAC stream can be archived as received
and every segment file is still a FLAC file of its own.

A FLAC stream is the marker "fLaC", metadata blocks (each a header byte: last-block flag and
type, 0 being STREAMINFO, which comes first; then a 24-bit length) and then frames. A frame
has no length field: it starts with a header (a 14-bit sync code, 0xFFF8 or 0xFFF9, the block
size, sample rate, channels and sample size codes, the frame number (fixed block size) or sample
number (variable) in UTF-8-like coding, and a CRC-8 of the header) and ends where the next
frame starts, with a CRC-16 of the whole frame. So `FlacFrames` finds frame boundaries as the
next header whose CRC-8 holds, whose codes match the frame before's, and whose number follows
it; only where the number does not follow (frames lost upstream) is the frame's CRC-16 checked,
in Python, which is too slow for every frame but fine for the rare one. A frame that grows past
the largest a frame of its block size can be is damaged: it is dropped, and the next valid
header resynchronises. A frame is handed on once the next one's header has arrived (about a
tenth of a second later); the last frame of a connection only if its CRC-16 holds.

Every segment file begins with `headers`: the marker, the stream's STREAMINFO (with its total
samples and MD5, which describe the whole stream and not a part of it, set to "unknown") and its
tags (VORBIS_COMMENT) if it sent any; pictures, padding and seek tables are not repeated. A
listener that joined an Icecast FLAC stream mid-way gets frames without the marker (Icecast
repeats no header for FLAC): a STREAMINFO is then built from the first frames' headers when they
name the sample rate and sample size, as encoders do for the usual rates. A "fLaC" marker in the
middle of the stream (its source reconnected) starts a new stream, with new headers.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

MARKER = b"fLaC"
STREAMINFO, VORBIS_COMMENT = 0, 4
_LAST = 0x80
_STREAMINFO_LENGTH = 34
# metadata of more than this before the first frame is not taken for a stream's header
MAX_METADATA = 1 << 20
_CANDIDATE = re.compile(rb"\xff[\xf8\xf9]|fLaC")
_RATES = (0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
_SAMPLE_BITS = (0, 8, 12, 0, 16, 20, 24, 32)
_CHANNELS = (1, 2, 3, 4, 5, 6, 7, 8, 2, 2, 2)  # codes 8-10: stereo, decorrelated


def _crc8_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC8 = _crc8_table()
_CRC16 = _crc16_table()


def crc8(data: bytes | bytearray | memoryview) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def frame_intact(frame: bytes | bytearray | memoryview) -> bool:
    """Whether a whole frame's CRC-16 (its last two bytes) holds."""
    if len(frame) < 4:
        return False
    crc = 0
    table = _CRC16
    for byte in memoryview(frame)[:-2]:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc == int.from_bytes(frame[-2:], "big")


@dataclass(frozen=True)
class FrameHeader:
    variable: bool  # variable block size: `number` counts samples, else frames
    number: int
    block_size: int
    rate_code: int
    channel_code: int
    size_code: int
    length: int  # bytes of the header, its CRC-8 included
    sample_rate: int  # 0: given by STREAMINFO
    sample_bits: int  # 0: given by STREAMINFO

    @property
    def channels(self) -> int:
        return _CHANNELS[self.channel_code]

    def same_stream(self, other: FrameHeader) -> bool:
        return (self.variable, self.rate_code, self.channels, self.size_code) == (
            other.variable,
            other.rate_code,
            other.channels,
            other.size_code,
        )

    def follows(self, before: FrameHeader) -> bool:
        return self.samples_after(before) == 0

    def samples_after(self, before: FrameHeader) -> int:
        """Samples of the frames missing between `before` and this one (negative: it does not
        come after it)."""
        if self.variable:
            return self.number - before.number - before.block_size
        return (self.number - before.number - 1) * before.block_size

    def max_frame_bytes(self, sample_bits: int) -> int:
        """The most a frame of this block size can take (verbatim subframes, a side channel
        one bit wider, headers and padding)."""
        bits = sample_bits or 32
        return self.block_size * self.channels * (bits + 1) // 8 + 64


def parse_frame_header(buffer: bytes | bytearray, at: int) -> FrameHeader | None:
    """The frame header at `at`; None when the bytes there are not all in yet. Raises
    ValueError when they cannot be one."""
    end = len(buffer)
    if end - at < 5:
        return None
    b1, b2, b3 = buffer[at + 1], buffer[at + 2], buffer[at + 3]
    if buffer[at] != 0xFF or b1 & 0xFE != 0xF8:
        raise ValueError("no frame sync")
    size_code, rate_code = b2 >> 4, b2 & 0x0F
    channel_code, bits_code = b3 >> 4, (b3 >> 1) & 0x07
    if size_code == 0 or rate_code == 15 or channel_code > 10 or bits_code == 3 or b3 & 1:
        raise ValueError("reserved frame header codes")
    # the frame or sample number, coded like UTF-8 (up to 7 bytes)
    first = buffer[at + 4]
    extra = 0
    while extra < 7 and first & (0x80 >> extra):
        extra += 1
    if extra == 1 or first == 0xFF:
        raise ValueError("bad frame number")
    count = max(extra - 1, 0)
    number = first & (0x7F >> extra) if extra else first
    pos = at + 5
    if end - pos < count:
        return None
    for k in range(count):
        byte = buffer[pos + k]
        if byte & 0xC0 != 0x80:
            raise ValueError("bad frame number")
        number = (number << 6) | (byte & 0x3F)
    pos += count
    if size_code == 6:
        if end - pos < 1:
            return None
        block_size, pos = buffer[pos] + 1, pos + 1
    elif size_code == 7:
        if end - pos < 2:
            return None
        block_size, pos = int.from_bytes(buffer[pos : pos + 2], "big") + 1, pos + 2
    elif size_code == 1:
        block_size = 192
    elif size_code <= 5:
        block_size = 576 << (size_code - 2)
    else:
        block_size = 256 << (size_code - 8)
    sample_rate = _RATES[rate_code] if rate_code < 12 else 0
    extra_rate = {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if end - pos < extra_rate + 1:
        return None
    if extra_rate:
        value = int.from_bytes(buffer[pos : pos + extra_rate], "big")
        sample_rate = value * 1000 if rate_code == 12 else value * 10 if rate_code == 14 else value
        pos += extra_rate
    if crc8(buffer[at:pos]) != buffer[pos]:
        raise ValueError("frame header CRC-8 does not hold")
    return FrameHeader(
        bool(b1 & 1),
        number,
        block_size,
        rate_code,
        channel_code,
        bits_code,
        pos + 1 - at,
        sample_rate,
        _SAMPLE_BITS[bits_code],
    )


@dataclass(frozen=True)
class StreamInfo:
    sample_rate: int
    channels: int
    sample_bits: int


def parse_metadata(buffer: bytes | bytearray, at: int) -> tuple[int, bytes, StreamInfo] | None:
    """(length, the headers a segment file starts with, STREAMINFO) of the marker and metadata
    blocks at `at`; None when they are not all in yet. Raises ValueError when they cannot be."""
    pos = at + len(MARKER)
    kept: list[tuple[int, bytes]] = []
    info: StreamInfo | None = None
    while True:
        if pos - at > MAX_METADATA:
            raise ValueError("too much metadata for a stream's header")
        if len(buffer) - pos < 4:
            return None
        kind, length = buffer[pos] & 0x7F, int.from_bytes(buffer[pos + 1 : pos + 4], "big")
        last = bool(buffer[pos] & _LAST)
        if info is None and (kind != STREAMINFO or length != _STREAMINFO_LENGTH):
            raise ValueError("a FLAC stream begins with its STREAMINFO")
        if kind == 127 or (info is not None and kind == STREAMINFO):
            raise ValueError("not a metadata block")
        if len(buffer) - pos < 4 + length:
            return None
        body = bytes(buffer[pos + 4 : pos + 4 + length])
        pos += 4 + length
        if kind == STREAMINFO:
            info = _stream_info(body)
            body = body[:13] + bytes([body[13] & 0xF0]) + bytes(4 + 16)  # total, MD5 unknown
            kept.append((kind, body))
        elif kind == VORBIS_COMMENT:
            kept.append((kind, body))
        if last:
            break
    assert info is not None
    return pos - at, _headers(kept), info


def _stream_info(body: bytes) -> StreamInfo:
    packed = int.from_bytes(body[10:18], "big")
    rate, channels, bits = packed >> 44, ((packed >> 41) & 0x7) + 1, ((packed >> 36) & 0x1F) + 1
    if not rate or struct.unpack(">H", body[2:4])[0] < 16:
        raise ValueError("an impossible STREAMINFO")
    return StreamInfo(rate, channels, bits)


def _headers(blocks: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(MARKER)
    for k, (kind, body) in enumerate(blocks):
        out.append(kind | (_LAST if k == len(blocks) - 1 else 0))
        out += len(body).to_bytes(3, "big") + body
    return bytes(out)


def built_headers(first: FrameHeader, second: FrameHeader) -> bytes | None:
    """Headers for a stream joined mid-way, from its first two frames' headers (None when they
    leave the sample rate or sample size to the STREAMINFO nobody sent)."""
    if not first.sample_rate or not first.sample_bits:
        return None
    if first.variable:
        low, high = 16, 65535
    else:
        low = high = max(first.block_size, second.block_size)
    packed = (
        (first.sample_rate << 44) | ((first.channels - 1) << 41) | ((first.sample_bits - 1) << 36)
    )
    body = struct.pack(">HH", low, high) + bytes(6) + packed.to_bytes(8, "big") + bytes(16)
    return _headers([(STREAMINFO, body)])


@dataclass(frozen=True)
class Frame:
    data: bytes
    header: FrameHeader
    starts_stream: bool  # the first frame after (new) headers


class FlacFrames:
    """Feed received bytes with `feed`; it yields whole frames. `headers` are those of the
    current stream (empty until known); `finish` gives the last frame, if it is whole."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._frame: FrameHeader | None = None  # the frame that starts the buffer
        self._scan = 0  # where the search for the next boundary goes on
        self._info: StreamInfo | None = None
        self.headers = b""
        self._new_stream = False
        self.dropped_bytes = 0

    @property
    def sample_rate(self) -> int:
        """Of the current stream (0 until known)."""
        if self._info is not None:
            return self._info.sample_rate
        return self._frame.sample_rate if self._frame is not None else 0

    def feed(self, data: bytes) -> Iterator[Frame]:
        self._buffer += data
        while True:
            found = _CANDIDATE.search(self._buffer, self._scan)
            if found is None:
                self._scan = max(self._scan, len(self._buffer) - 3)
                if self._frame is None:
                    self._drop(self._scan)
                elif self._too_long(len(self._buffer)):
                    self._resync()
                    continue
                return
            at = found.start()
            try:
                if found.group() == MARKER:
                    parsed = parse_metadata(self._buffer, at)
                    if parsed is None:
                        return
                    yield from self._end_frame(at, check=True)
                    self._new_headers(*parsed)
                    continue
                header = parse_frame_header(self._buffer, at)
            except ValueError:
                self._scan = at + 1
                continue
            if header is None:
                return
            if self._frame is None:
                self._drop(at)
                self._frame, self._scan = header, header.length
                continue
            if header.same_stream(self._frame) and (
                header.follows(self._frame) or frame_intact(self._buffer[:at])
            ):
                yield from self._end_frame(at, check=False)
                self._frame, self._scan = header, header.length
            elif self._too_long(at):
                self._resync()
            else:
                self._scan = at + 1

    def finish(self) -> Iterator[Frame]:
        """The frame still buffered when the connection ends, if its CRC-16 holds."""
        if self._frame is not None:
            yield from self._end_frame(len(self._buffer), check=True)
        self._buffer, self._frame, self._scan = bytearray(), None, 0

    def _end_frame(self, at: int, *, check: bool) -> Iterator[Frame]:
        """The buffered frame ends at `at`: hand it on (unless `check` finds it damaged)."""
        frame = self._frame
        if frame is None:
            self._drop(at)
            return
        data = bytes(self._buffer[:at])
        if check and not frame_intact(data):
            self._drop(at)
            self._frame = None
            return
        if not self.headers:
            following = self._following(at)
            built = built_headers(frame, following) if following is not None else None
            if built is None:
                self._drop(at)  # nothing can decode it before a stream header comes
                self._frame = None
                return
            self.headers, self._new_stream = built, True
        del self._buffer[:at]
        self._frame = None
        self._scan = 0
        yield Frame(data, frame, self._new_stream)
        self._new_stream = False

    def _following(self, at: int) -> FrameHeader | None:
        try:
            return parse_frame_header(self._buffer, at)
        except ValueError:
            return None

    def _new_headers(self, length: int, headers: bytes, info: StreamInfo) -> None:
        self._drop(length)
        self._info, self.headers, self._new_stream = info, headers, True
        self._frame, self._scan = None, 0

    def _too_long(self, at: int) -> bool:
        assert self._frame is not None
        bits = self._frame.sample_bits or (self._info.sample_bits if self._info else 0)
        return at > self._frame.max_frame_bytes(bits)

    def _resync(self) -> None:
        """The buffered frame is damaged (or was a false sync): look again from its second
        byte on."""
        self._frame = None
        self._drop(1)
        self._scan = 0

    def _drop(self, count: int) -> None:
        if count > 0:
            del self._buffer[:count]
            self.dropped_bytes += count
            self._scan = max(0, self._scan - count)


def archivable(head: bytes) -> bool:
    """Whether `head`, the start of a stream, is FLAC: its marker and STREAMINFO (the metadata
    after it may run past `head`: a picture), or (joined mid-way) frames that follow each other
    and name their sample rate and size."""
    if head.startswith(MARKER) and len(head) >= 8:
        first = head[4] & 0x7F, int.from_bytes(head[5:8], "big")
        return first == (STREAMINFO, _STREAMINFO_LENGTH)
    frames = FlacFrames()
    return sum(1 for _frame in frames.feed(head)) >= 2 and bool(frames.headers)
