"""One station's ingest tap: what each connection receives goes into the archive as it arrives.

The stream reader (streams/ingest.py) calls `begin`, then `raw` with every piece of the stream's
audio bytes as received (ICY metadata already cut out) and `audio` with every block of decoded
samples, then `end`, all on the station's reader thread. Nothing here may stop monitoring: a
failure (a full disk) is logged once per connection and the rest of the connection goes on
without the part that failed.

Timing follows the stream monitor's clock, so archived times and play times agree: stream time
of decoded sample n = clock0 + n / SAMPLE_RATE, where clock0 is (arrival time - audio received)
at the connection's first block of audio, pulled forward when the stream stalls: when that
estimate runs more than `MAX_CLOCK_LAG_S` past the earliest one seen (streams/monitor.py, whose
play tracker is anchored the same way). A stream that starts with a burst (Icecast's second of
recent audio, an HLS player's three media segments) is timed from its first block, plays and
archive alike. Bytes have no time of their own: each segment starts at clock0 plus the audio
held by the connection's earlier segments (media.measure, exact to a frame), so a segment's
start is set when it closes, and kept up to date while it is written.

An Ogg stream is written page by page (ogg.OggPages): every segment file begins with the
header pages of the stream's current link, then its audio pages as received, so it decodes on
its own; a new link of a chained stream (new header pages) closes the segment, so a segment
holds one link and its timestamps run on. A native FLAC stream is written frame by frame
(flac.FlacFrames) the same way: every segment file begins with the stream's marker and
STREAMINFO, then whole frames as received; a new stream header (the source reconnected) closes
the segment. Its last frame is held until the next one's header arrives, and written at the end
of the connection only if its CRC holds, so a segment never ends inside a frame. Frames lost to
damaged bytes close the segment too, and the next one starts after the time they held (their
frame numbers say how much), so times stay exact and the loss shows as a gap.

Peaks are found on `peak_block_s` blocks of decoded audio, each analysed with
`fingerprints.EDGE_SAMPLES` of audio on both sides so a block's peaks are the ones a continuous
analysis would find.

A connection's first segment and first peak block are shorter by a fraction that depends on
the station (`stagger`): stations connected together, as they are when the engine starts, would
otherwise close their segments and analyse their blocks in the same second, every time. Fifty
stations closing five-minute segments at once (each file read back to measure it) held the
stream monitors' workers up for seconds (bench/streams/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive import flac, media, ogg

if TYPE_CHECKING:
    from radiowatch.engine.archive.store import Archive

log = logging.getLogger(__name__)

MAX_CLOCK_LAG_S = 5.0  # the monitor's _MAX_CLOCK_LAG_S: a later estimate means a stall
SR = fp.SAMPLE_RATE
_GOLDEN = 0.6180339887  # station ids step through [0, 1) evenly by this fraction
_MAX_STAGGER = 0.9  # a first segment or block keeps at least a tenth of its length


def stagger(radio_id: int) -> float:
    """How much shorter (a fraction) a station's first segment and peak block of a connection
    are: spread evenly over stations numbered in sequence."""
    return _MAX_STAGGER * ((radio_id * _GOLDEN) % 1.0)


class StationRecorder:
    """The archive's `IngestTap` for one station (see streams/ingest.py)."""

    def __init__(self, archive: Archive, radio_id: int) -> None:
        self._archive = archive
        self.radio_id = radio_id
        self._connection: _Connection | None = None

    def begin(self) -> None:
        self._guarded("begin", self._begin)

    def raw(self, data: bytes) -> None:
        connection = self._connection
        if connection is not None and data:
            self._guarded("raw", connection.raw, data)

    def audio(self, samples: np.ndarray) -> None:
        connection = self._connection
        if connection is not None and samples.size:
            self._guarded("audio", connection.audio, samples, self._archive.clock())

    def end(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._guarded("end", connection.close)
        self._guarded("end", self._archive.touch_span, self.radio_id)

    def _begin(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._archive.touch_span(self.radio_id)
        self._connection = _Connection(self._archive, self.radio_id)

    def _guarded(self, what: str, call: Callable[..., Any], *args: Any) -> None:
        try:
            call(*args)
        except Exception as exc:  # noqa: BLE001 - archiving must never stop monitoring
            connection = self._connection
            if connection is None or what not in connection.failed:
                log.warning(
                    "archive of stream %s: %s failed (%s: %s); monitoring goes on",
                    self.radio_id,
                    what,
                    type(exc).__name__,
                    exc,
                )
            if connection is not None:
                connection.failed.add(what)
                if what == "raw":
                    connection.stop_audio()


@dataclass
class _OpenSegment:
    path: Path
    rel_path: str
    fd: int
    offset_s: float  # audio in the connection before this segment
    opened_at_sample: int  # decoded samples when it was opened (for rotation)
    size: int = 0
    row_id: int | None = None  # inserted once the connection's clock is known
    saved_start: float | None = None


class _Connection:
    def __init__(self, archive: Archive, radio_id: int) -> None:
        self.archive = archive
        self.radio_id = radio_id
        self.id = uuid.uuid4().hex[:12]
        self.settings = archive.settings
        self.failed: set[str] = set()
        self.clock0: float | None = None
        self._earliest = 0.0  # the earliest (arrival - audio received): where a stall shows
        self.decoded = 0
        self._head = bytearray()
        self._fmt: str | None = None
        self._pages: ogg.OggPages | None = None  # an Ogg stream's pages (None: other formats)
        self._frames: flac.FlacFrames | None = None  # a native FLAC stream's frames
        self._last_frame: flac.FrameHeader | None = None  # the last one written
        self._archiving_audio = archive.settings.keep_audio
        self._segment: _OpenSegment | None = None
        self._next_offset_s = 0.0
        self._count = 0
        self._peaks = _PeakBlocks(self)

    # -- bytes -------------------------------------------------------------------------------
    def raw(self, data: bytes) -> None:
        if not self._archiving_audio:
            return
        if self._fmt is None:
            self._head += data
            if len(self._head) < media.SNIFF_BYTES:
                return
            self._fmt = media.sniff(bytes(self._head))
            if self._fmt is None:
                log.info(
                    "stream %s: its audio is neither MP3, AAC, FLAC nor Ogg Vorbis/Opus/FLAC; "
                    "only its peaks are archived",
                    self.radio_id,
                )
                self.stop_audio()
                return
            data, self._head = bytes(self._head), bytearray()
            if self._fmt == "ogg":
                self._pages = ogg.OggPages()
            elif self._fmt == "flac":
                self._frames = flac.FlacFrames()
        if self._pages is not None:
            for page in self._pages.feed(data):
                self._ogg_page(page)
                if self._pages is None:
                    break  # stopped: a link of another codec
            return
        if self._frames is not None:
            for frame in self._frames.feed(data):
                self._flac_frame(frame)
            return
        self._write(data)

    def _flac_frame(self, frame: flac.Frame) -> None:
        assert self._frames is not None
        before, self._last_frame = self._last_frame, frame.header
        if frame.starts_stream or before is None:
            self._close_segment()  # new stream headers: a segment of their own
        elif not frame.header.follows(before):
            self._close_segment()  # frames lost: a segment holds frames that follow each other
            missing = frame.header.samples_after(before)
            if missing > 0 and self._frames.sample_rate:
                self._next_offset_s += missing / self._frames.sample_rate
        self._write(frame.data, self._frames.headers)

    def _ogg_page(self, page: ogg.Page) -> None:
        assert self._pages is not None
        if page.header:
            if page.bos and self._segment is not None:
                self._close_segment()  # a new link: its pages go into a segment of their own
            if page.bos and not ogg.archivable_link(page.data):
                log.info(
                    "stream %s: a part of its Ogg stream is neither Vorbis nor Opus; from here "
                    "on only its peaks are archived",
                    self.radio_id,
                )
                self.stop_audio()
            return  # kept by the pager, written at the start of each segment of the link
        headers = self._pages.headers
        if not headers:
            return  # joined mid-stream: nothing decodes before the next link's headers
        self._write(page.data, headers)

    def _write(self, data: bytes, headers: bytes = b"") -> None:
        segment = self._segment
        if segment is not None and self._due(segment):
            self._close_segment()
            segment = None
        if segment is None:
            segment = self._open_segment()
            if headers:
                self._append(segment, headers)
        self._append(segment, data)

    @staticmethod
    def _append(segment: _OpenSegment, data: bytes) -> None:
        os.write(segment.fd, data)
        segment.size += len(data)

    def _due(self, segment: _OpenSegment) -> bool:
        length = self.settings.segment_s
        if self._count == 1:  # the connection's first segment
            length *= 1.0 - stagger(self.radio_id)
        return (self.decoded - segment.opened_at_sample) / SR >= length

    def stop_audio(self) -> None:
        self._archiving_audio = False
        self._head = bytearray()
        self._pages = None
        self._frames = None
        with contextlib.suppress(Exception):
            self._close_segment()

    def _open_segment(self) -> _OpenSegment:
        assert self._fmt is not None
        self._count += 1
        rel, path = self.archive.segment_path(
            self.radio_id, f"{self.id}-{self._count:05d}", self._fmt
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._segment = _OpenSegment(path, rel, fd, self._next_offset_s, self.decoded)
        self._save_start()
        return self._segment

    def _save_start(self) -> None:
        """Record the open segment's row (once the clock is known) and keep its start current."""
        segment = self._segment
        if segment is None or self.clock0 is None or self._fmt is None:
            return
        start = self.clock0 + segment.offset_s
        if segment.row_id is None:
            segment.row_id = self.archive.db.add_segment(
                self.radio_id, segment.rel_path, self._fmt, self.id, start
            )
        elif segment.saved_start is None or abs(start - segment.saved_start) > 0.05:
            self.archive.db.set_segment_start(segment.row_id, start, segment.size)
        segment.saved_start = start

    def _close_segment(self) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        try:
            os.fsync(segment.fd)
        finally:
            os.close(segment.fd)
        assert self._fmt is not None
        try:
            duration = media.measure(segment.path, self._fmt) if segment.size else 0.0
        except media.MediaError:
            duration = 0.0  # bytes taken for audio that hold no whole frame
        if duration <= 0 or segment.row_id is None or self.clock0 is None:
            # no whole frame, or no audio decoded on this connection at all: nothing to keep
            if segment.row_id is not None:
                self.archive.db.delete_segments([segment.row_id])
            segment.path.unlink(missing_ok=True)
            return
        start = self.clock0 + segment.offset_s
        self.archive.db.close_segment(segment.row_id, start, start + duration, segment.size)
        self._next_offset_s = segment.offset_s + duration
        self.archive.segment_closed(self.radio_id)

    # -- decoded audio -----------------------------------------------------------------------
    def audio(self, samples: np.ndarray, arrived: float) -> None:
        estimate = arrived - (self.decoded + samples.size) / SR
        if self.clock0 is None:
            self.clock0 = self._earliest = estimate
        elif estimate - self._earliest > MAX_CLOCK_LAG_S:
            # the stream stalled and resumed: what was kept so far keeps the old clock
            self._peaks.flush()
            self._close_segment()
            self.clock0 = self._earliest = estimate
        else:
            self._earliest = min(self._earliest, estimate)
        self.decoded += samples.size
        self._save_start()
        self._peaks.feed(samples)

    def close(self) -> None:
        try:
            self._peaks.flush()
            if self._frames is not None and self._archiving_audio:
                for frame in self._frames.finish():
                    self._flac_frame(frame)
        finally:
            self._close_segment()


class _PeakBlocks:
    """Decoded audio cut into blocks whose peaks go to the archive."""

    def __init__(self, connection: _Connection) -> None:
        self._c = connection
        hop = fp.HOP_SAMPLES
        self._block = max(1, round(connection.settings.peak_block_s * SR / hop)) * hop
        first = self._block * (1.0 - stagger(connection.radio_id))
        self._size = max(1, round(first / hop)) * hop  # of the next block: the first is shorter
        self._chunks: list[np.ndarray] = []
        self._buffer_start = 0  # decoded sample index of the first buffered sample
        self._buffered = 0
        self._next = 0  # where the next block begins

    def feed(self, samples: np.ndarray) -> None:
        self._chunks.append(np.asarray(samples, np.float32))
        self._buffered += samples.size
        while self._buffer_start + self._buffered >= self._next + self._size + fp.EDGE_SAMPLES:
            self._emit(self._next + self._size)
            self._size = self._block

    def flush(self) -> None:
        end = self._buffer_start + self._buffered
        if end - self._next >= SR:  # a last second or more
            self._emit(end - (end - self._next) % fp.HOP_SAMPLES)
        self._next = end
        self._chunks, self._buffer_start, self._buffered = [], end, 0

    def _emit(self, block_end: int) -> None:
        c = self._c
        audio = np.concatenate(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks = [audio]
        # audio before the block, a whole number of frames so peaks stay on the block's grid
        back = min(fp.EDGE_SAMPLES, self._next - self._buffer_start)
        back -= back % fp.HOP_SAMPLES
        lo = self._next - back
        piece = audio[lo - self._buffer_start : block_end + fp.EDGE_SAMPLES - self._buffer_start]
        frames, half_bands = fp.stream_peaks(piece)
        shift = back // fp.HOP_SAMPLES
        n_frames = (block_end - self._next) // fp.HOP_SAMPLES
        keep = (frames >= shift) & (frames < shift + n_frames)
        assert c.clock0 is not None
        start_s = c.clock0 + self._next / SR
        c.archive.add_peaks(
            c.radio_id,
            start_s,
            start_s + (block_end - self._next) / SR,
            frames[keep] - shift,
            half_bands[keep],
        )
        self._next = block_end
        # keep the edge before the next block for its analysis
        drop = max(0, self._next - fp.EDGE_SAMPLES - self._buffer_start)
        if drop:
            self._chunks = [audio[drop:]]
            self._buffer_start += drop
            self._buffered -= drop
