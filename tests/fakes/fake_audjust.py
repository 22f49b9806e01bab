"""A loopback fake of the Audjust API that speaks its real protocol (docs/protocols/audjust.md).

POST /analyze, /resize, /export with X-API-Key and JSON bodies; long jobs are queued and their
result appears at `resultUrl` (404 until then), as a JSON payload for analyze and as files for
export. Each new request follows `behaviour`: "finish" (after `polls_until_done` result polls),
"fail" (the result payload says success: false) or "never" (the result never appears).
`rate_limited` answers 429 and `usage_exceeded` refuses with "Usage limit exceeded".
Everything received is recorded for assertions.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import threading
import wave
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VALID_KEY = "aj-test-key-0123456789"
FORMATS = {"mp3_128", "mp3_256", "mp3_320", "wav"}


@dataclass
class Job:
    request_id: str
    kind: str
    behaviour: str
    payload: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    polls: int = 0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeAudjust:
    def __init__(self, analysis: dict[str, Any] | None = None) -> None:
        self.analysis = analysis or default_analysis()
        self.behaviour = "finish"
        self.polls_until_done = 2
        self.rate_limited = False
        self.usage_exceeded = False
        self.jobs: dict[str, Job] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAudjust:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and r.path == path]

    # -- protocol ----------------------------------------------------------------------------

    def handle_post(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict, dict]:
        key = headers.get("x-api-key")
        if key is None:
            return 401, {"success": False, "message": "Missing API key header"}, {}
        if key != VALID_KEY:
            return 403, {"success": False, "message": "Invalid API Key"}, {}
        if self.rate_limited:
            return 429, {"success": False, "message": "Rate limit exceeded"}, {"Retry-After": "30"}
        if self.usage_exceeded:
            return 402, {"success": False, "message": "Usage limit exceeded"}, {}
        if not isinstance(body, dict):
            return 400, {"success": False, "message": "Missing parameter: body"}, {}
        handler = {"/analyze": self._analyze, "/resize": self._resize, "/export": self._export}.get(
            path
        )
        if handler is None:
            return 404, {"success": False, "message": "Not found"}, {}
        return handler(body)

    def _missing(self, body: dict, names: list[str]) -> tuple[int, dict, dict] | None:
        for name in names:
            if name not in body:
                return 400, {"success": False, "message": f"Missing parameter: {name}"}, {}
        return None

    def _new_job(self, kind: str) -> Job:
        job = Job(request_id=secrets.token_hex(16), kind=kind, behaviour=self.behaviour)
        with self._lock:
            self.jobs[job.request_id] = job
        return job

    def _analyze(self, body: dict) -> tuple[int, dict, dict]:
        if err := self._missing(body, ["resultWebhook", "sourceFileUrl"]):
            return err
        job = self._new_job("analyze")
        raw = "raw_features" in (body.get("features") or [])
        result = dict(self.analysis)
        if not raw:
            result.pop("features", None)
        minutes = max(1, math.ceil(result["duration"] / 60))
        job.payload = {
            "requestId": job.request_id,
            "sourceFileUrl": body["sourceFileUrl"],
            "result": result,
            "success": True,
            "creditCost": (15 if raw else 10) * minutes,
        }
        return 200, self._ack(job, f"{self.url}/results/{job.request_id}/analysis.json"), {}

    def _resize(self, body: dict) -> tuple[int, dict, dict]:
        if err := self._missing(body, ["targetLengthSeconds", "similarity", "boundaries"]):
            return err
        boundaries = body["boundaries"]
        target = float(body["targetLengthSeconds"])
        payload_result = simple_resize(boundaries, target)
        credit = max(1, math.ceil(target / 60)) * 4
        if "resultWebhook" not in body:
            return (
                200,
                {
                    "requestId": secrets.token_hex(16),
                    "result": payload_result,
                    "success": True,
                    "creditCost": credit,
                },
                {},
            )
        job = self._new_job("resize")
        job.payload = {
            "requestId": job.request_id,
            "result": payload_result,
            "success": True,
            "creditCost": credit,
        }
        return 200, self._ack(job, f"{self.url}/results/{job.request_id}/resize.json"), {}

    def _export(self, body: dict) -> tuple[int, dict, dict]:
        if err := self._missing(
            body, ["resultWebhook", "sourceFileUrl", "exportFormat", "segmentsGroups"]
        ):
            return err
        if body["exportFormat"] not in FORMATS:
            return 400, {"success": False, "message": "Invalid parameter: exportFormat"}, {}
        job = self._new_job("export")
        suffix = "wav" if body["exportFormat"] == "wav" else "mp3"
        urls = []
        for i, group in enumerate(body["segmentsGroups"], start=1):
            name = f"export_{i}.{suffix}"
            seconds = sum(float(e) - float(s) for s, e in group)
            job.files[name] = silent_wav(seconds)
            urls.append(f"{self.url}/results/{job.request_id}/{name}")
        return (
            200,
            {
                "success": True,
                "message": "Request queued.",
                "requestId": job.request_id,
                "resultUrls": urls,
            },
            {},
        )

    def _ack(self, job: Job, result_url: str) -> dict:
        return {
            "success": True,
            "message": "Request queued.",
            "requestId": job.request_id,
            "resultUrl": result_url,
        }

    def handle_result(self, path: str) -> tuple[int, bytes, str]:
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "results" or parts[1] not in self.jobs:
            return 404, b"Not Found", "text/plain"
        job = self.jobs[parts[1]]
        with self._lock:
            job.polls += 1
            ready = job.behaviour != "never" and job.polls > self.polls_until_done
        if not ready:
            return 404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml"
        if job.behaviour == "fail":
            body = {
                "requestId": job.request_id,
                "success": False,
                "message": "Failed to retrieve the source file",
            }
            return 200, json.dumps(body).encode(), "application/json"
        if job.kind == "export":
            data = job.files.get(parts[2])
            return (
                (200, data, "audio/wav") if data is not None else (404, b"Not Found", "text/plain")
            )
        return 200, json.dumps(job.payload).encode(), "application/json"

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def _send(
                self, status: int, data: bytes, ctype: str, extra: dict | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.received.append(Received("POST", self.path, headers, body))
                status, payload, extra = fake.handle_post(self.path, headers, body)
                self._send(status, json.dumps(payload).encode(), "application/json", extra)

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.received.append(Received("GET", self.path, headers, None))
                if self.path.startswith("/results/"):
                    status, data, ctype = fake.handle_result(self.path)
                    self._send(status, data, ctype)
                else:
                    self._send(
                        405,
                        json.dumps(
                            {"success": False, "message": "Invalid request method"}
                        ).encode(),
                        "application/json",
                    )

        return Handler


def default_analysis(beats: int = 64, period: float = 0.5) -> dict[str, Any]:
    """A small, valid analysis: a steady beat and a matrix that repeats every 16 beats."""
    boundaries = [round(i * period, 3) for i in range(beats + 1)]
    n = len(boundaries)
    chars = []
    for i in range(n):
        for j in range(i + 1):
            same = (i - j) % 16 == 0
            chars.append(chr(126 if same else 32 + (i * 7 + j * 3) % 40))
    return {
        "duration": boundaries[-1],
        "tempo": round(60 / period),
        "similarity": {"data": "".join(chars), "min": 32, "max": 126},
        "boundaries": boundaries,
        "features": [[round(((i + k) % 12) / 11, 3) for k in range(12)] + [1.0] for i in range(n)],
    }


def simple_resize(boundaries: list[float], target: float) -> list[dict[str, Any]]:
    """Twenty one-cut edits around the target: enough to exercise the protocol, not to sound good."""
    n = len(boundaries)
    out = []
    for k in range(20):
        skip_seconds = boundaries[-1] - target + (k - 10) * 0.5
        e = max(1, min(n - 3, n // 4))
        j = e
        while j < n - 2 and boundaries[j] - boundaries[e] < skip_seconds:
            j += 1
        segs = [[0, e], [j, n - 1]]
        secs = [[boundaries[0], boundaries[e]], [boundaries[j], boundaries[-1]]]
        duration = round(sum(b - a for a, b in secs), 2)
        out.append(
            {
                "dissimilarity": 0.1 * k,
                "blendedScore": -0.05 * (k + 1),
                "segmentsBeats": segs,
                "segmentsSeconds": secs,
                "durationSeconds": duration,
            }
        )
    return out


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * max(1, int(seconds * rate)))
    return buf.getvalue()
