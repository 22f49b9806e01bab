"""A loopback fake of a Udio API reseller and of Udio's media hosts, for tests.

It serves the example body of the API's public documentation (docs/protocols/udio.md §1,
copied verbatim below) through a configurable path template and auth scheme, like the resellers in
docs/protocols/udio.md §3, and lets a test script the awkward cases: unknown ids (partial
results), tasks that finish after N polls, failed generations, 401, 429 with Retry-After,
5xx, and audio links that expire (403/410 from the audio host). Song and cover links are
rewritten to this server, keeping the seed's paths (including the double-encoded
``Final%2520Echoes.mp3``), and the MP3 it serves is generated with PyAV.

Everything it received is kept in ``requests`` so tests assert on what went over the wire.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import struct
import sys
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SEED_EXAMPLE_BODY = r"""
{
  "songs": [
    {
      "artist": "IntenseOud7926",
      "artist_image": "https://lh3.googleusercontent.com/a/ACg8ocKvJm3a7aflzezMn2Px3z53YQ8ohs_6W9FIfVkkO8ZiZ-1fMQ=s96-c",
      "attribution": "",
      "audio_conditioning_type": null,
      "created_at": "2024-11-04T15:47:35.363658+00:00",
      "description": "",
      "disliked": false,
      "duration": 32.8106666666667,
      "error_code": null,
      "error_detail": null,
      "error_id": null,
      "error_type": null,
      "finished": true,
      "generation_id": "ffbd57bd-b024-4088-a49c-dcbeaf429725",
      "id": "4f6532fa-ef6f-495b-a7fe-98b58453c9bc",
      "image_path": "https://imagedelivery.net/C9yUr1FL21Q6JwfYYh2ozQ/146dbe33-0109-45ed-7750-1bbe25da2e00/public",
      "liked": false,
      "likes": 0,
      "lyrics": "[Verse]\nWhen the echoes are all we hear\nAnd the stars fade, far and near\nThe whispering winds finally clear\nA moment of truth, our greatest fear\n\n[Chorus]\nThe last song ever sung\nAs the earth breathes its final hum\nMelodies of hope unsprung\nAnd the world in a gentle strum",
      "original_song_path": null,
      "plays": 0,
      "prompt": "The last song ever sung on the planet earth",
      "publishable": true,
      "published_at": null,
      "replaced_tags": {
        "alternative, acoustic, pop, indie pop, serene, emotional, reflective": {
          "tags": [
            "twee pop",
            "indie pop",
            "jangle pop",
            "neo-acoustic",
            "pop",
            "alternative rock",
            "indie rock",
            "rock",
            "sunshine pop",
            "female vocalist",
            "longing",
            "peaceful",
            "nature",
            "lush",
            "introspective",
            "melodic",
            "summer",
            "bittersweet",
            "passionate",
            "soft",
            "uplifting",
            "energetic",
            "depressive"
          ],
          "type": "tags"
        },
        "twee pop, indie pop, jangle pop, neo-acoustic, pop, alternative rock, indie rock, rock, sunshine pop, female vocalist, longing, peaceful, nature, lush, introspective, melodic, summer, bittersweet, passionate, soft, uplifting, energetic, depressive": {
          "tags": [
            "female vocalist",
            "rock",
            "pop",
            "indie pop",
            "alternative rock",
            "twee pop",
            "melodic",
            "uplifting"
          ],
          "type": "tags"
        }
      },
      "song_path": "https://storage.googleapis.com/udio-artifacts-c33fe3ba-3ffe-471f-92c8-5dfef90b3ea3/samples/be90492af2494d349ab1fd7737867931/1/Final%2520Echoes.mp3",
      "tags": [
        "female vocalist",
        "rock",
        "pop",
        "indie pop",
        "alternative rock",
        "twee pop",
        "melodic",
        "uplifting"
      ],
      "title": "Final Echoes",
      "user_id": "26bd7dea-8962-46b8-8a0c-27a9744dc44d",
      "user_tags": [],
      "video_path": null
    },
    {
      "artist": "EYST HINE",
      "artist_image": "https://lh3.googleusercontent.com/a/ACg8ocIV_Kca-ymVEPKytDhlIZHFCG73Z7GFqb02F91WOcy1tkGCTA=s96-c",
      "attribution": "",
      "audio_conditioning_type": null,
      "created_at": "2024-11-06T13:29:08.035421+00:00",
      "description": "",
      "disliked": false,
      "duration": 131.114666666667,
      "error_code": null,
      "error_detail": null,
      "error_id": null,
      "error_type": null,
      "finished": true,
      "generation_id": "78decf9d-70de-45cb-bb13-18fb03800113",
      "id": "632ac4b3-83e0-4e52-8d92-57268ffdf116",
      "image_path": "https://imagedelivery.net/C9yUr1FL21Q6JwfYYh2ozQ/e1f79fad-dd62-4849-7a3a-d6644054b100/public",
      "liked": false,
      "likes": 0,
      "lyrics": "-verse 1-\nLast light fading on this spinning sphere\nVoices rising, final echoes we hear (yeah)\nDancing in the shadows, no tomorrow bound\nLife’s a melody with a chaotic sound\nWe’re the last survivors, singing it loud\nIn this urban jungle, crowds and clouds\n\n-chorus-\nSing it loud, can you feel the beat?\nFinal rhythm in the city streets\nManic hearts lost in the night\nDance with me till morning light\n\n-verse 2-\nConcrete jungle, only stars align (yeah)\nWe blaze a trail, shadows intertwine\nMood’s electric, hedonistic chase\nChasing dreams in this final race\nMadness colors every note and line\nEchoes of the last urban sunshine\n\n-chorus-\nSing it loud, can you feel the beat?\nFinal rhythm in the city streets\nManic hearts lost in the night\nDance with me till morning light\n\n-bridge-\nEarth's song ending with a wild embrace\nLove and chaos, one final space\nLet's make this count, the end is near\nIn our hearts, we hold this moment dear\n\n-chorus-\nSing it loud, can you feel the beat?\nFinal rhythm in the city streets\nManic hearts lost in the night\nDance with me till morning light",
      "original_song_path": null,
      "plays": 0,
      "prompt": "The last song ever sung on the planet earth",
      "publishable": true,
      "published_at": null,
      "replaced_tags": {
        "electropop, synthpop, new rave, electroclash, dance-punk, alternative r&b, alternative dance, energetic, manic, rhythmic, melodic, urban, drugs, hedonistic, 2010s, male vocalist": {
          "tags": [
            "male vocalist",
            "rhythmic",
            "energetic",
            "dance-punk",
            "urban",
            "melodic",
            "drugs",
            "hedonistic",
            "manic",
            "alternative r&b",
            "2010s"
          ],
          "type": "tags"
        },
        "pop": {
          "tags": [
            "electropop",
            "synthpop",
            "new rave",
            "electroclash",
            "dance-punk",
            "alternative r&b",
            "alternative dance",
            "energetic",
            "manic",
            "rhythmic",
            "melodic",
            "urban",
            "drugs",
            "hedonistic",
            "2010s",
            "male vocalist"
          ],
          "type": "tags"
        }
      },
      "song_path": "https://storage.googleapis.com/udio-artifacts-c33fe3ba-3ffe-471f-92c8-5dfef90b3ea3/samples/d21ef5e6d9c549a2a14117384f3743f1/1/Echoes%2520of%2520Tomorrow.mp3",
      "tags": [
        "male vocalist",
        "rhythmic",
        "energetic",
        "dance-punk",
        "urban",
        "melodic",
        "hedonistic",
        "manic",
        "alternative r&b",
        "2010s"
      ],
      "title": "Echoes of Tomorrow",
      "user_id": "9c6984d5-4043-44d7-bef0-6c0a538fa576",
      "user_tags": [],
      "video_path": null
    }
  ]
}"""

SEED_SONG_IDS = ("4f6532fa-ef6f-495b-a7fe-98b58453c9bc", "632ac4b3-83e0-4e52-8d92-57268ffdf116")
TEST_KEY = "sk-udio-test-0123456789abcdef"


def seed_songs() -> list[dict]:
    """The two songs of the seed's example, as the reseller sent them."""
    return json.loads(SEED_EXAMPLE_BODY)["songs"]


@functools.lru_cache(maxsize=8)
def make_mp3(seconds: float = 2.0, freq: float = 440.0, rate: int = 44100) -> bytes:
    """A short mono sine tone encoded as MP3 with PyAV (libmp3lame)."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 64000
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        frame_size = 1152
        for start in range(0, len(samples), frame_size):
            chunk = samples[start : start + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def make_png(width: int = 48, height: int = 48, rgb: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A small solid-colour PNG with a diagonal stripe, built by hand (no imaging library)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend((250, 200, 60) if abs(x - y) < 4 else rgb)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client hanging up mid-reply (a cancelled download, a size cap) is normal here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class _Script:
    unfinished_polls: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    retry_after: str = "0"
    api_errors: int = 0
    api_error_status: int = 503
    expired_audio: dict[str, int] = field(default_factory=dict)
    html_replies: int = 0


class FakeUdio:
    """``with FakeUdio() as fake: fake.base_url ...``. ``auth_scheme`` is "bearer", "raw" or
    "x-api-key", matching radiowatch.udio.endpoint.AuthScheme values."""

    def __init__(
        self,
        *,
        key: str = TEST_KEY,
        path_template: str = "/udio/query?ids={ids}",
        auth_scheme: str = "bearer",
        songs: list[dict] | None = None,
    ) -> None:
        self.key = key
        self.path_template = path_template
        self.auth_scheme = auth_scheme
        self.requests: list[ReceivedRequest] = []
        self.audio_bytes = make_mp3()
        self.image_bytes = make_png()
        self._script = _Script()
        self._lock = threading.Lock()
        self._seed_songs = songs if songs is not None else seed_songs()
        self._songs: dict[str, dict] = {}
        self._audio_paths: dict[str, str] = {}
        self._image_paths: set[str] = set()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread: threading.Thread | None = None
        for song in self._seed_songs:
            self.add_song(song)

    # -- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeUdio:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-udio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeUdio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting ----------------------------------------------------------------------

    def add_song(self, song: dict) -> dict:
        """Serve ``song``, with its media links moved onto this server (same paths)."""
        song = copy.deepcopy(song)
        if song.get("song_path"):
            path = urlsplit(song["song_path"]).path
            song["song_path"] = self.base_url + path
            self._audio_paths[path] = song["id"]
        if song.get("image_path"):
            path = urlsplit(song["image_path"]).path
            song["image_path"] = self.base_url + path
            self._image_paths.add(path)
        self._songs[song["id"]] = song
        return song

    def song(self, song_id: str) -> dict:
        return copy.deepcopy(self._songs[song_id])

    def finish_after(self, song_id: str, polls: int) -> None:
        """The next ``polls`` queries report ``song_id`` as still generating."""
        self._script.unfinished_polls[song_id] = polls

    def fail_generation(
        self,
        song_id: str,
        error_type: str = "generation_failed",
        detail: str = "Lyrics were flagged by moderation",
    ) -> None:
        song = self._songs[song_id]
        song.update(finished=True, error_type=error_type, error_detail=detail, error_code=3001)

    def rate_limit(self, times: int, retry_after: str = "0") -> None:
        """The next ``times`` API queries get 429 with this Retry-After."""
        self._script.rate_limited = times
        self._script.retry_after = retry_after

    def api_error(self, times: int, status: int = 503) -> None:
        """The next ``times`` authorised API queries get this HTTP error status."""
        self._script.api_errors = times
        self._script.api_error_status = status

    def html_replies(self, times: int) -> None:
        """The next ``times`` API queries get a 200 HTML login page (a wrong base URL)."""
        self._script.html_replies = times

    def expire_audio(self, song_id: str, status: int = 410) -> None:
        """The audio host refuses this song's MP3 from now on (403) or no longer has it (410)."""
        self._script.expired_audio[song_id] = status

    def api_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if not r.path.startswith(tuple(self._media_prefixes()))]

    def _media_prefixes(self) -> list[str]:
        return list(self._audio_paths) + list(self._image_paths)

    # -- serving ------------------------------------------------------------------------

    def _route_ids(self, path: str, query: dict[str, list[str]]) -> list[str] | None:
        """The ids asked for if the request matches the path template, else None."""
        tpl_path, _, tpl_query = self.path_template.partition("?")
        pattern = (
            "^"
            + re.escape(tpl_path)
            .replace(r"\{ids\}", "(?P<ids>[^/]+)")
            .replace(r"\{id\}", "(?P<ids>[^/]+)")
            + "$"
        )
        match = re.match(pattern, path)
        if not match:
            return None
        raw = match.groupdict().get("ids")
        if raw is None:
            for name, value in parse_qs(tpl_query).items():
                if value and value[0] in ("{ids}", "{id}"):
                    raw = (query.get(name) or [""])[0]
        if raw is None:
            return None
        return [i.strip() for i in raw.split(",") if i.strip()]

    def _authorised(self, headers: dict[str, str]) -> bool:
        if self.auth_scheme == "bearer":
            return headers.get("authorization") == f"Bearer {self.key}"
        if self.auth_scheme == "raw":
            return headers.get("authorization") == self.key
        return headers.get("x-api-key") == self.key

    def _presented_key(self, headers: dict[str, str]) -> str:
        value = headers.get("authorization") or headers.get("x-api-key") or ""
        return value.removeprefix("Bearer ")

    def _api_reply(
        self, ids: list[str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if not self._authorised(headers):
            # Real gateways echo the token back; the client must scrub it.
            body = {
                "error": {
                    "message": f"Invalid token: {self._presented_key(headers)}",
                    "type": "auth",
                }
            }
            return 401, {}, json.dumps(body).encode()
        with self._lock:
            if self._script.rate_limited > 0:
                self._script.rate_limited -= 1
                body = {"message": "Too many requests, slow down"}
                return 429, {"Retry-After": self._script.retry_after}, json.dumps(body).encode()
            if self._script.html_replies > 0:
                self._script.html_replies -= 1
                page = b"<html><body>Please log in</body></html>"
                return 200, {"Content-Type": "text/html"}, page
            if self._script.api_errors > 0:
                self._script.api_errors -= 1
                body = {"message": f"scripted error {self._script.api_error_status}"}
                return self._script.api_error_status, {}, json.dumps(body).encode()
            songs = [self._current(i) for i in ids if i in self._songs]
        if "{id}" in self.path_template:
            body = {"code": "success", "data": songs[0] if songs else None}
        else:
            body = {"songs": songs}
        return 200, {}, json.dumps(body).encode()

    def _current(self, song_id: str) -> dict:
        song = copy.deepcopy(self._songs[song_id])
        left = self._script.unfinished_polls.get(song_id, 0)
        if left > 0:
            self._script.unfinished_polls[song_id] = left - 1
            song.update(finished=False, song_path="", duration=0, lyrics="", title="")
        return song

    def _media_reply(self, path: str) -> tuple[int, dict[str, str], bytes] | None:
        if path in self._audio_paths:
            status = self._script.expired_audio.get(self._audio_paths[path])
            if status:
                # Google Cloud Storage answers an expired signed URL with an XML error.
                body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
                return status, {"Content-Type": "application/xml"}, body
            return 200, {"Content-Type": "audio/mpeg"}, self.audio_bytes
        if path in self._image_paths:
            return 200, {"Content-Type": "image/png"}, self.image_bytes
        return None

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers+body pay a 40 ms delayed ACK per reply

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                query = parse_qs(parts.query)
                fake.requests.append(ReceivedRequest("GET", parts.path, query, headers))
                reply = fake._media_reply(parts.path)
                if reply is None:
                    ids = fake._route_ids(parts.path, query)
                    if ids is None:
                        reply = 404, {}, b'{"message": "no such route"}'
                    else:
                        reply = fake._api_reply(ids, headers)
                self._send(*reply)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        return Handler
