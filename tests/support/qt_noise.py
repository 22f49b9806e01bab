"""Qt's log lines that say nothing about the code under test: the audio backends a headless
test machine lacks (Qt Multimedia probes PipeWire and PulseAudio and says which it fell back
to), and a warning Qt Multimedia's own threads print as they end.

pytest-qt reads one `qt_log_ignore` mark per test, the closest, and adds it to the ini list:
a second mark beside AUDIO_BACKEND_NOISE would be dropped without a word. A module that
ignores lines of its own as well takes `audio_backend_noise_and(...)`, one mark of both."""

import pytest

AUDIO_BACKEND_LINES = (
    r"pipewire",
    r"PulseAudio",
    r"^No audio device detected",
    r"^Using Qt multimedia",
    r"^QObject::~QObject: Timers cannot be stopped from another thread",
)

AUDIO_BACKEND_NOISE = pytest.mark.qt_log_ignore(*AUDIO_BACKEND_LINES)


def audio_backend_noise_and(*lines: str) -> pytest.MarkDecorator:
    """The audio-backend noise and `lines` (regular expressions) as one `qt_log_ignore` mark."""
    return pytest.mark.qt_log_ignore(*AUDIO_BACKEND_LINES, *lines)
