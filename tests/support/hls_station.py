"""An HLS station on loopback for stream tests: audio encoded into media segments by FFmpeg's own
HLS muxer (through PyAV: AAC or MP3 in MPEG-TS, or AAC in fragmented MP4), served over real HTTP
behind a *live* playlist that gains a segment every segment length (a sliding window of the
latest six, like a broadcaster's), plus any other files a test wants served beside it.

    media = hls_media(samples, tmp_path / "hls")
    with LiveHlsServer(media) as web:
        web.url + "/live/index.m3u8"
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np

from radiowatch.engine.demo.music_synthesis import STATION_RATE

PLAYLIST = "/live/index.m3u8"
_TYPES = {".ts": "video/mp2t", ".m4s": "video/iso.segment", ".mp4": "video/mp4"}


@dataclass(frozen=True)
class HlsMedia:
    segments: list[tuple[float, str, bytes]]  # (duration, file name, bytes), in order
    segment_s: int
    init: bytes | None  # fragmented MP4's initialisation segment
    audio_bytes: int  # of the compressed audio frames (ADTS headers included)
    seconds: float


def hls_media(
    samples: np.ndarray,
    folder: Path,
    *,
    segment_s: int = 2,
    codec: str = "aac",
    segment_type: str = "mpegts",
    rate: int = STATION_RATE,
    bitrate: int = 96_000,
) -> HlsMedia:
    """Encode mono audio into HLS media segments with FFmpeg's HLS muxer, as one continuous
    encoding (as a broadcaster's encoder runs)."""
    folder.mkdir(parents=True)
    playlist = folder / "index.m3u8"
    extension = "m4s" if segment_type == "fmp4" else "ts"
    with av.open(
        str(playlist),
        "w",
        format="hls",
        options={
            "hls_time": str(segment_s),
            "hls_list_size": "0",
            "hls_playlist_type": "vod",
            "hls_segment_type": segment_type,
            "hls_segment_filename": str(folder / f"seg%03d.{extension}"),
        },
    ) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bitrate
        frame_size = 1152 if codec == "libmp3lame" else 1024
        resampler = av.AudioResampler(
            format="s16p" if codec == "libmp3lame" else "fltp",
            layout="mono",
            rate=rate,
            frame_size=frame_size,
        )
        source = av.AudioFrame.from_ndarray(
            samples.astype(np.float32).reshape(1, -1), format="fltp", layout="mono"
        )
        source.sample_rate = rate
        pts = 0
        for frame in resampler.resample(source) + resampler.resample(None):
            frame.pts = pts
            pts += frame.samples
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    lines = playlist.read_text().splitlines()
    segments = [
        (
            float(line.split(":", 1)[1].rstrip(",")),
            lines[i + 1],
            (folder / lines[i + 1]).read_bytes(),
        )
        for i, line in enumerate(lines)
        if line.startswith("#EXTINF:")
    ]
    init = (folder / "init.mp4").read_bytes() if segment_type == "fmp4" else None
    audio_bytes = 0
    with av.open(str(playlist), options={"protocol_whitelist": "file,crypto,data"}) as reader:
        audio = reader.streams.audio[0]
        raw = bool(audio.codec_context.extradata) and codec == "aac"  # fMP4: no ADTS headers
        for packet in reader.demux(audio):
            if packet.size:
                audio_bytes += packet.size + (7 if raw else 0)
    return HlsMedia(segments, segment_s, init, audio_bytes, samples.size / rate)


class LiveHlsServer:
    """Serves `media` behind a live playlist at PLAYLIST, and `files` ({path: (type, body)});
    with `ends`, the broadcast ends after its last segment (otherwise it just stops growing)."""

    def __init__(
        self,
        media: HlsMedia,
        files: dict[str, tuple[str, bytes]] | None = None,
        *,
        ends: bool = False,
    ) -> None:
        self.media = media
        self._ends = ends  # the playlist says #EXT-X-ENDLIST once every segment is up
        self.requests: list[str] = []
        self._started = time.monotonic()
        self._files = dict(files or {})
        self._names = {name: index for index, (_d, name, _b) in enumerate(media.segments)}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                found = server.resource(self.path)
                if found is None:
                    self.send_error(404)
                    return
                kind, body = found
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def resource(self, path: str) -> tuple[str, bytes] | None:
        if path in self._files:
            return self._files[path]
        if path == PLAYLIST:
            return "application/vnd.apple.mpegurl", self.live_playlist()
        name = path.removeprefix("/live/")
        if name == "init.mp4" and self.media.init is not None:
            return _TYPES[".mp4"], self.media.init
        index = self._names.get(name)
        if index is not None and index < self.published():
            return _TYPES[Path(name).suffix], self.media.segments[index][2]
        return None

    def published(self) -> int:
        """Three segments are up at once; then one more every segment length."""
        elapsed = time.monotonic() - self._started
        return min(len(self.media.segments), 3 + int(elapsed / self.media.segment_s))

    def live_playlist(self) -> bytes:
        last = self.published()
        first = max(0, last - 6)
        lines = [
            "#EXTM3U",
            f"#EXT-X-VERSION:{7 if self.media.init is not None else 3}",
            f"#EXT-X-TARGETDURATION:{self.media.segment_s}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        if self.media.init is not None:
            lines.append('#EXT-X-MAP:URI="init.mp4"')
        for index in range(first, last):
            duration, name, _body = self.media.segments[index]
            lines += [f"#EXTINF:{duration:.3f},", name]
        if self._ends and last == len(self.media.segments):
            lines.append("#EXT-X-ENDLIST")
        return ("\n".join(lines) + "\n").encode()

    def __enter__(self) -> LiveHlsServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
