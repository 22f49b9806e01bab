"""Qt's log lines that say nothing about the code under test: the audio backends a headless
test machine lacks (Qt Multimedia probes PipeWire and PulseAudio and says which it fell back
to), and a warning Qt Multimedia's own threads print as they end."""

import pytest

AUDIO_BACKEND_NOISE = pytest.mark.qt_log_ignore(
    r"pipewire",
    r"PulseAudio",
    r"^No audio device detected",
    r"^Using Qt multimedia",
    r"^QObject::~QObject: Timers cannot be stopped from another thread",
)
