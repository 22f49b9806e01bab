"""Ogg pages of a live stream, told apart as codec headers and audio, so an Ogg stream can be
archived as received and every segment file still decodes on its own.

An Ogg stream is a sequence of pages (RFC 3533): "OggS", version 0, a flags byte (1 continued
packet, 2 beginning of a logical stream (BOS), 4 end (EOS)), the 64-bit granule position, the
serial number, the page sequence number, a CRC, the number of lacing values, the segment table
(those values) and then the body, whose length is their sum. A packet ends with a lacing value
below 255.

A Vorbis, Opus or FLAC decoder needs its logical stream's header packets before any audio
packet: Vorbis has three (identification, comment, setup), Opus two (OpusHead, OpusTags), Ogg
FLAC says how many in its first packet ("\x7fFLAC", version, a 16-bit count of the header
packets after it, then the native marker and STREAMINFO; a count of 0, "unknown", is not
archived). They start on the BOS page and fill whole pages of their own (the specifications
require the first audio packet to begin a fresh page). `OggPages` splits received bytes into whole pages and keeps the
header pages of the current link: a BOS page after audio pages starts a new link (a chained
stream: Icecast starts one when the station's metadata changes), and with it a new header set.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

CAPTURE = b"OggS"
_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, flags, granule, serial, seq, crc, n
BOS = 0x02
EOS = 0x04
# header packets a decoder needs, by the start of the BOS page's first packet
_HEADER_PACKETS = {b"\x01vorbis": 3, b"OpusHead": 2}
_FLAC = b"\x7fFLAC"
# a page is at most 27 + 255 + 255 * 255 bytes; a longer run without one is not Ogg
MAX_PAGE = 27 + 255 + 255 * 255


@dataclass(frozen=True)
class Page:
    data: bytes
    flags: int
    granule: int
    serial: int
    packets_ended: int  # packets that end on this page
    header: bool  # one of its link's header pages

    @property
    def bos(self) -> bool:
        return bool(self.flags & BOS)


def parse_page(buffer: bytes | bytearray, at: int) -> tuple[int, int, int, int, int] | None:
    """(length, flags, granule, serial, packets ended) of the page starting at `at`, None when
    the bytes there are not (yet) a whole page. Raises ValueError when they cannot be one."""
    if len(buffer) - at < _HEADER.size:
        return None
    capture, version, flags, granule, serial, _seq, _crc, count = _HEADER.unpack_from(buffer, at)
    if capture != CAPTURE or version != 0:
        raise ValueError("not an Ogg page")
    table_end = at + _HEADER.size + count
    if len(buffer) < table_end:
        return None
    lacing = buffer[at + _HEADER.size : table_end]
    length = _HEADER.size + count + sum(lacing)
    if len(buffer) - at < length:
        return None
    return length, flags, granule, serial, sum(1 for v in lacing if v < 255)


def first_packet(page: bytes) -> bytes:
    """The start of the first packet on a page (enough to tell its codec's headers)."""
    count = page[26]
    return page[27 + count : 27 + count + 9]


def header_packets(start: bytes) -> int:
    """How many header packets a logical stream has, from the start of its first packet (0:
    a codec whose headers we do not know)."""
    if start.startswith(_FLAC) and len(start) >= 9:
        following = int.from_bytes(start[7:9], "big")
        return following + 1 if following else 0
    return next((n for magic, n in _HEADER_PACKETS.items() if start.startswith(magic)), 0)


def archivable_link(bos_page: bytes) -> bool:
    """Whether a BOS page begins a Vorbis, Opus or FLAC logical stream whose headers we know."""
    return header_packets(first_packet(bos_page)) > 0


class OggPages:
    """Feed received bytes with `feed`; it yields whole pages, each marked header or audio.
    Bytes before the first page (a connection that starts mid-page) are skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._synced = False
        self._needed: dict[int, int] = {}  # serial -> header packets still to come
        self._headers: list[bytes] = []
        self._link_has_audio = False

    @property
    def headers(self) -> bytes:
        """The header pages of the current link (empty before its BOS page)."""
        return b"".join(self._headers)

    def feed(self, data: bytes) -> Iterator[Page]:
        self._buffer += data
        at = 0
        while True:
            if not self._synced:
                found = self._buffer.find(CAPTURE, at)
                if found < 0:
                    at = max(at, len(self._buffer) - len(CAPTURE) + 1)
                    break
                at, self._synced = found, True
            try:
                parsed = parse_page(self._buffer, at)
            except ValueError:
                self._synced = False
                at += 1
                continue
            if parsed is None:
                if len(self._buffer) - at > MAX_PAGE:
                    self._synced, at = False, at + 1
                    continue
                break
            length, flags, granule, serial, ended = parsed
            data_page = bytes(self._buffer[at : at + length])
            at += length
            yield self._classify(data_page, flags, granule, serial, ended)
        del self._buffer[:at]

    def _classify(self, data: bytes, flags: int, granule: int, serial: int, ended: int) -> Page:
        if flags & BOS:
            if self._link_has_audio or serial in self._needed:
                # a new link of a chained stream: its own headers from here on
                self._needed, self._headers, self._link_has_audio = {}, [], False
            self._needed[serial] = header_packets(first_packet(data)) or 1
        header = self._needed.get(serial, 0) > 0
        if header:
            self._needed[serial] = max(0, self._needed[serial] - ended)
            self._headers.append(data)
        elif serial in self._needed:
            self._link_has_audio = True
        return Page(data, flags, granule, serial, ended, header)


def split_pages(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each whole page in `data`, from its first page on."""
    out: list[tuple[int, int]] = []
    at = data.find(CAPTURE)
    while at >= 0:
        try:
            parsed = parse_page(data, at)
        except ValueError:
            parsed = None
        if parsed is None:
            break
        out.append((at, parsed[0]))
        at += parsed[0]
    return out


def archivable(head: bytes) -> bool:
    """Whether `head`, the start of a stream, is Ogg whose links are Vorbis, Opus or FLAC: whole
    pages, and no BOS page of another codec among them (a connection joined mid-link has no
    BOS page yet: it is archived from the next link on)."""
    pages = split_pages(head)
    if len(pages) < 2:
        return False
    for at, length in pages:
        page = head[at : at + length]
        if page[5] & BOS and not archivable_link(page):
            return False
    return True
