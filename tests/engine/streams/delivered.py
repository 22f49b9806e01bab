"""Audio fed to a peak stream the way a network delivers it: in uneven pieces."""

from __future__ import annotations

import numpy as np

from radiowatch.engine.streams.peak_stream import PeakStream


def stream_of(audio: np.ndarray) -> PeakStream:
    """A peak stream that has been fed `audio` in 3,001-sample pieces and flushed."""
    stream = PeakStream()
    for i in range(0, audio.size, 3001):
        stream.feed(audio[i : i + 3001])
    stream.flush()
    return stream
