"""HLS audio for the archive: the compressed packets FFmpeg's HLS demuxer reads, as a byte
stream the archive keeps like an Icecast one (ADTS for AAC, MP3 frames as they are).

An HLS station has no byte stream of its own: it is a playlist of media segments (MPEG-TS,
fragmented MP4 or packed audio) that FFmpeg's HLS demuxer follows live (refreshing the
playlist, decrypting AES-128 segments, choosing a variant). The ingest keeps that demuxer and
hands each audio packet it demuxes, before decoding it, to `HlsPackets.bytes_of`; nothing is
decoded or encoded for the archive, so its cost is a copy:

- AAC in MPEG-TS or packed audio arrives as ADTS frames: each packet is one frame, header and
  all, exactly as it was in the segment, and goes on unchanged.
- AAC in fragmented MP4 arrives as raw frames, the stream's AudioSpecificConfig beside them:
  each gets the 7-byte ADTS header (ISO/IEC 13818-7) that says the same thing (profile, sampling rate, channels, length), and the rest of the frame is as received.
- MP3 packets are whole MP3 frames and go on unchanged.
- Any other codec (AC-3, Opus or FLAC in fMP4...) is not kept as audio: the archive keeps its
  peaks, as for an Icecast stream it cannot keep.

Keeping the media segments themselves (fetching them beside FFmpeg) would keep container bytes
nobody can cut a clip from without demuxing again, and for audio alone MPEG-TS adds almost half
again to the size (bench/archive/RESULTS.md); a stream of frames is what
the archive's segments, clips and time measurement (archive/media.py) already read exactly, and
its times are the frames' own: 1024 samples an AAC frame, so segments of it add up without
drift whatever the HLS segment boundaries were.
"""

from __future__ import annotations

from collections.abc import Callable

# ADTS can name these sampling rates only (index into the table), and these object types
# (profile = object type - 1): Main, LC, SSR, LTP
_ADTS_OBJECT_TYPES = (1, 2, 3, 4)
_SBR, _PS = 5, 29
_ESCAPE_RATE = 15


def adts_header_for(config: bytes) -> Callable[[int], bytes] | None:
    """A maker of ADTS headers (given a raw frame's length) from an AudioSpecificConfig, or
    None when ADTS cannot describe the stream (an explicit sampling rate, a channel layout
    given by a program config element, an object type ADTS has no profile for)."""
    if len(config) < 2:
        return None
    bits = int.from_bytes(config[:4].ljust(4, b"\0"), "big")
    used = 0

    def take(n: int) -> int:
        nonlocal used
        value = (bits >> (32 - used - n)) & ((1 << n) - 1)
        used += n
        return value

    object_type = take(5)
    if object_type == 31:
        return None  # extended object types are none ADTS can carry
    rate_index = take(4)
    if rate_index == _ESCAPE_RATE:
        return None
    channels = take(4)
    if object_type in (_SBR, _PS):
        # HE-AAC signalled explicitly: ADTS carries its AAC core, the decoder finds the rest
        if take(4) == _ESCAPE_RATE:
            return None
        object_type = take(5)
    if object_type not in _ADTS_OBJECT_TYPES or not 1 <= channels <= 7:
        return None
    profile = object_type - 1

    def header(length: int) -> bytes:
        total = length + 7
        return bytes(
            (
                0xFF,
                0xF1,  # sync, MPEG-4, layer 0, no CRC
                (profile << 6) | (rate_index << 2) | (channels >> 2),
                ((channels & 3) << 6) | (total >> 11),
                (total >> 3) & 0xFF,
                ((total & 7) << 5) | 0x1F,  # buffer fullness 0x7FF: variable bitrate
                0xFC,  # ...and one raw data block
            )
        )

    return header


class HlsPackets:
    """What of each demuxed audio packet goes to the archive, for one stream's codec."""

    def __init__(self, codec: str, extradata: bytes | None) -> None:
        self._header: Callable[[int], bytes] | None = None
        self.archivable = codec in ("aac", "mp3", "mp3float")
        if codec == "aac" and extradata:
            self._header = adts_header_for(extradata)
            self.archivable = self._header is not None

    def bytes_of(self, packet: bytes) -> bytes:
        """The packet as the archive keeps it (b"" when it keeps none of this stream)."""
        if not self.archivable or not packet:
            return b""
        if self._header is not None and not _is_adts(packet):
            return self._header(len(packet)) + packet
        return packet


def _is_adts(packet: bytes) -> bool:
    """Whether a packet is one ADTS frame, header and all (its length field says so)."""
    if len(packet) <= 7 or packet[0] != 0xFF or packet[1] & 0xF6 != 0xF0:
        return False
    length = ((packet[3] & 0x03) << 11) | (packet[4] << 3) | (packet[5] >> 5)
    return length == len(packet)
