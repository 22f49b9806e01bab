"""Speed of local analyze / resize / export on ~3-minute songs (issue 8 budgets).

    .venv/bin/python bench/resize/bench_resize.py [files...]

Without arguments it uses a generated 3-minute ABAB song (MP3 320k, like a user's file) and,
if present, two real tracks from ~/fpbench/corpus-public/catalog. Everything "warm" runs in
this process pinned to one core with single-threaded BLAS/FFT; "cold" numbers spawn a fresh
worker process exactly as the Resize tab does. Budgets: analyze <= 3 s warm on one core,
resize <= 300 ms for a 30 s target, export <= 1 s.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import asyncio  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import scipy.signal  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from radiowatch.audjust import audio, rendering  # noqa: E402
from radiowatch.audjust.analysis import analyze_signal  # noqa: E402
from radiowatch.audjust.models import ExportFormat  # noqa: E402
from radiowatch.audjust.resizing import resize  # noqa: E402
from radiowatch.audjust.worker import ResizeWorker  # noqa: E402
from tests.audjust.music import make_song, write_wav  # noqa: E402

CATALOG = Path.home() / "fpbench/corpus-public/catalog"


def timed(fn, repeat: int = 3):
    """(median wall s, median CPU s, result). CPU time approximates an unshared core."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), statistics.median(cpu), result


def generated_song(work: Path) -> Path:
    song = make_song(form="ABAB" * 3)  # 12 sections x 15 s = 180 s at 128 BPM
    at_44k = scipy.signal.resample_poly(song.samples, 2, 1).astype("float32")
    wav = write_wav(work / "generated-abab-180s.wav", at_44k, rate=44100, channels=2)
    decoded = audio.decode(wav)
    return rendering.write(
        decoded.stereo, decoded.rate, work / "generated-abab-180s.mp3", ExportFormat.MP3_320
    )


async def cold(path: Path, cache: Path) -> tuple[float, float, float]:
    """Spawn + warm-up, then first analysis; and a fresh process analysing with no warm-up."""
    t = time.perf_counter()
    worker = ResizeWorker(cache / "a")
    await worker.warm_up()
    spawn_warm = time.perf_counter() - t
    t = time.perf_counter()
    await worker.analyze(path)
    first_after_warm = time.perf_counter() - t
    worker.close()
    fresh = ResizeWorker(cache / "b")
    t = time.perf_counter()
    await fresh.analyze(path)
    no_warm = time.perf_counter() - t
    fresh.close()
    return spawn_warm, first_after_warm, no_warm


def bench(path: Path, work: Path) -> None:
    print(f"\n## {path.name}")
    t_dec, c_dec, decoded = timed(lambda: audio.decode(path), 3)
    print(f"duration {decoded.duration:.1f} s, {decoded.rate} Hz")
    t_an, t_an_min, analysis = timed(lambda: analyze_signal(decoded.mono, name=path.name), 3)
    print(f"decode (PyAV, stereo + 22.05 kHz mono)   median {t_dec:.3f} s (CPU {c_dec:.3f})")
    print(f"analyze after decode                      median {t_an:.3f} s (CPU {t_an_min:.3f})")
    print(
        f"analyze total warm (decode + analyze)     {t_dec + t_an:.3f} s (CPU {c_dec + t_an_min:.3f})   budget 3 s"
    )
    print(
        f"  tempo {analysis.tempo} BPM, {len(analysis.boundaries)} boundaries, "
        f"similarity {len(analysis.similarity.data)} chars, bar phase {analysis.barPhase}"
    )
    for target in (15, 30, 60, 120, 360):
        t_rs, t_rs_min, results = timed(lambda target=target: resize(analysis, target), 5)
        best = results[0] if results else None
        desc = (
            (
                f"{len(results)} candidates, best {best.durationSeconds:.1f} s, {best.cut_count} cuts, "
                f"worst seam {best.worstSeam:.3f}"
            )
            if best
            else "no candidates"
        )
        flag = "   budget 0.3 s" if target == 30 else ""
        print(
            f"resize {target:>4} s   median {t_rs * 1000:7.1f} ms (CPU {t_rs_min * 1000:6.1f}){flag}  {desc}"
        )
    best30 = resize(analysis, 30)[0].segmentsSeconds
    for fmt in (ExportFormat.WAV, ExportFormat.MP3_128, ExportFormat.MP3_320):

        def export(fmt=fmt):
            out = rendering.render(decoded.stereo, decoded.rate, best30)
            return rendering.write(out, decoded.rate, work / f"cut{fmt.suffix}", fmt)

        t_ex, t_ex_min, _ = timed(export, 3)
        print(
            f"export 30 s {fmt.label:<16} median {t_ex:.3f} s (CPU {t_ex_min:.3f})   budget 1 s "
            f"(+ decode {t_dec:.2f} s if the song is not in the worker's memory)"
        )
    spawn_warm, first_after_warm, no_warm = asyncio.run(cold(path, work / f"cache-{path.stem}"))
    print(
        f"cold: spawn worker + warm-up {spawn_warm:.2f} s (in the background at tab creation); "
        f"first analysis after warm-up {first_after_warm:.2f} s; fresh process, no warm-up: {no_warm:.2f} s"
    )


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    work = Path(tempfile.mkdtemp(prefix="bench-resize-"))
    files = [Path(a) for a in sys.argv[1:]]
    if not files:
        files = [generated_song(work)]
        files += [p for p in (CATALOG / "p0008.flac", CATALOG / "p0003.flac") if p.exists()]
    print(f"load average {os.getloadavg()}, CPUs {os.cpu_count()} (shared with other engineers)")
    for f in files:
        bench(f, work)


if __name__ == "__main__":
    main()
