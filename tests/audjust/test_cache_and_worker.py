import asyncio
import os
import wave

import pytest

from radiowatch.audjust.errors import AudioInputError
from radiowatch.audjust.local import LocalAudjust
from radiowatch.audjust.models import ExportFormat
from radiowatch.audjust.worker import ResizeWorker


def test_an_unchanged_file_is_analyzed_once(song_wav, tmp_path):
    cache = tmp_path / "cache"
    first = LocalAudjust(cache).analyze(song_wav)
    assert len(list(cache.glob("*.json"))) == 1
    stages = []
    again = LocalAudjust(cache).analyze(song_wav, progress=lambda f, s: stages.append(s))
    assert again.analysis == first.analysis
    assert stages == ["Loaded from cache"]


def test_a_changed_file_is_analyzed_again(song_wav, tmp_path):
    cache = tmp_path / "cache"
    LocalAudjust(cache).analyze(song_wav)
    st = song_wav.stat()
    os.utime(song_wav, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    stages = []
    LocalAudjust(cache).analyze(song_wav, progress=lambda f, s: stages.append(s))
    assert "Decoding" in stages
    assert len(list(cache.glob("*.json"))) == 2


def test_a_damaged_cache_entry_is_recomputed(song_wav, tmp_path):
    cache = tmp_path / "cache"
    LocalAudjust(cache).analyze(song_wav)
    entry = next(cache.glob("*.json"))
    entry.write_text("{not json")
    result = LocalAudjust(cache).analyze(song_wav)
    assert result.analysis.tempo > 0


def test_the_worker_process_analyzes_resizes_and_exports(song_wav, tmp_path):
    async def run():
        worker = ResizeWorker(tmp_path / "cache")
        try:
            await worker.warm_up()
            ticks = []
            entry = await worker.analyze(song_wav, on_progress=lambda f, s: ticks.append((f, s)))
            results = await worker.resize(entry.analysis, 30.0)
            out = await worker.export(
                song_wav, [results[0].segmentsSeconds], ExportFormat.WAV, [tmp_path / "cut.wav"]
            )
            return ticks, entry, results, out
        finally:
            worker.close()

    ticks, entry, results, out = asyncio.run(run())
    assert ticks and ticks[-1][0] == 1.0
    assert entry.analysis.tempo == pytest.approx(128, rel=0.02)
    assert len(entry.waveform.lo) == 2000
    with wave.open(str(out[0])) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(
            results[0].durationSeconds, abs=0.01
        )


def test_errors_from_the_worker_process_keep_their_type_and_message(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEfmt garbage" * 10)

    async def run():
        worker = ResizeWorker(None)
        try:
            await worker.analyze(bad)
        finally:
            worker.close()

    with pytest.raises(AudioInputError, match="bad.wav"):
        asyncio.run(run())


def test_cancel_stops_a_running_analysis(tmp_path):
    from radiowatch.audjust.errors import AnalysisCancelled
    from tests.audjust.music import make_song, write_wav

    # Three minutes, so the analysis is still running when the first progress tick arrives.
    long_song = write_wav(tmp_path / "long.wav", make_song(form="ABAB" * 3).samples, channels=2)

    async def run():
        worker = ResizeWorker(None)
        try:

            def on_progress(fraction, stage):
                worker.cancel()

            await worker.analyze(long_song, on_progress=on_progress)
        finally:
            worker.close()

    with pytest.raises(AnalysisCancelled):
        asyncio.run(run())


def test_cancelling_one_analysis_never_cancels_the_next(tmp_path):
    """Opening another song cancels the running analysis and starts the next one at once: the
    stop is meant for the first job only."""
    from radiowatch.audjust.errors import AnalysisCancelled
    from tests.audjust.music import make_song, write_wav

    long_song = write_wav(tmp_path / "long.wav", make_song(form="ABAB" * 3).samples, channels=2)
    next_song = write_wav(tmp_path / "next.wav", make_song().samples, channels=2)

    async def run():
        worker = ResizeWorker(None)
        following: list[asyncio.Future] = []
        try:

            def on_progress(fraction, stage):
                if not following:
                    worker.cancel()
                    following.append(asyncio.ensure_future(worker.analyze(next_song)))

            with pytest.raises(AnalysisCancelled):
                await worker.analyze(long_song, on_progress=on_progress)
            return await following[0]
        finally:
            worker.close()

    entry = asyncio.run(run())
    assert entry.analysis.duration > 10
