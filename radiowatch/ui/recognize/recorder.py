"""Recording from an audio input (QtMultimedia's QAudioSource) into WAV bytes for recognition.

Qt delivers raw PCM on the GUI thread in small reads (cheap: 32 kB/s at 16 kHz mono); the
recording is wrapped as a WAV file only when it is sent. Where QtMultimedia cannot load or no
input device exists (CI machines, servers), `input_device_problem()` says why, so the tab can
disable its record buttons with that as the tooltip instead of failing on click.

`PcmSource` is the interface the listen and clip modes use, so any source of live PCM (a
microphone here; a test's generated audio) drives them the same way.
"""

from __future__ import annotations

import io
import logging
import wave
from typing import Protocol

log = logging.getLogger(__name__)

RATE = 16000
MAX_SECONDS = 25.0


class PcmSource(Protocol):
    rate: int

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def seconds(self) -> float: ...
    def wav(self) -> bytes: ...


def wav_from_pcm(pcm: bytes, rate: int, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def input_device_problem() -> str | None:
    """None when recording can work here, else the reason (for a tooltip)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:
        return f"Recording is unavailable: QtMultimedia could not load ({exc})."
    try:
        device = QMediaDevices.defaultAudioInput()
    except Exception as exc:  # noqa: BLE001 - a broken audio stack must not break the tab
        return f"Recording is unavailable: {exc}"
    if device.isNull():
        return "No audio input device (microphone or line-in) was found on this computer."
    return None


class MicrophoneRecorder:
    """Records the default input as 16-bit PCM, mono at 16 kHz when the device allows it."""

    def __init__(self, max_seconds: float = MAX_SECONDS) -> None:
        from PySide6.QtMultimedia import QAudioFormat, QAudioSource, QMediaDevices

        device = QMediaDevices.defaultAudioInput()
        fmt = QAudioFormat()
        fmt.setSampleRate(RATE)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            fmt = device.preferredFormat()
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self._format = fmt
        self.rate = fmt.sampleRate()
        self._channels = fmt.channelCount()
        self._source = QAudioSource(device, fmt)
        self._io = None
        self._pcm = bytearray()
        self._max_bytes = int(max_seconds * self.rate * self._channels * 2)

    def start(self) -> None:
        self._pcm.clear()
        self._io = self._source.start()
        self._io.readyRead.connect(self._read)

    def _read(self) -> None:
        if self._io is None:
            return
        data = bytes(self._io.readAll().data())
        room = self._max_bytes - len(self._pcm)
        self._pcm += data[: max(0, room)]
        if room <= len(data):
            self.stop()

    def stop(self) -> None:
        if self._io is not None:
            self._read_remaining()
            self._source.stop()
            self._io = None

    def _read_remaining(self) -> None:
        try:
            self._pcm += bytes(self._io.readAll().data())  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            log.debug("final read failed", exc_info=True)

    def seconds(self) -> float:
        return len(self._pcm) / (self.rate * self._channels * 2)

    def wav(self) -> bytes:
        return wav_from_pcm(bytes(self._pcm), self.rate, self._channels)
