"""What archiving costs for a native FLAC station and for an HLS station (issue 18's target:
<= 2 % of a core per station; disk = the stream's bitrate).

    .venv/bin/python bench/archive/bench_formats.py \
        --program ~/fpbench/playlog/programs/radio-s1-v0 --work /tmp/archive-formats

1. The program's audio (decoded from its `program.mp3`, the broadcast benchmark's 128 kbit/s
   program) is encoded once as a native FLAC stream (FFmpeg's encoder: 44.1 kHz, stereo,
   16 bit) and once as HLS: AAC at 128 kbit/s in 6-s MPEG-TS media segments, by
   FFmpeg's HLS muxer (the encodings are kept in --work and reused).
2. FLAC: the stream's bytes go through a `StationRecorder` as the Icecast reader hands them
   (16 kB reads through PyAV's FLAC demuxer), decoded audio in 0.5 s blocks, by
   `recorder_feed.py` as bench_archive.py feeds its MP3 programs. HLS: FFmpeg's HLS
   demuxer reads the playlist from disk (the network is not what is measured), and each audio
   packet goes through `HlsPackets` and the recorder before it is decoded, as the stream reader
   does (engine/streams/ingest.py). A clock moves with the audio.
3. The thread CPU time spent in the tap (for HLS also in `HlsPackets`), over the audio's
   duration, is the archive's share of a core; decoding is the monitor's and not counted. Disk
   per station-day comes from `Archive.usage()`.

Prints Markdown; paste it into bench/archive/RESULTS.md with `uptime`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the engine runs numpy on one thread

import av  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.archive.recorder_feed import (  # noqa: E402
    ORIGIN,
    AudioBlocks,
    Clock,
    TimedTap,
    record_stream,
)
from radiowatch.engine.archive.store import Archive, ArchiveSettings  # noqa: E402
from radiowatch.engine.streams.hls import HlsPackets  # noqa: E402

RATE = 44100
HLS_SEGMENT_S = 6


def program_audio(program: Path, minutes: float) -> np.ndarray:
    """The program's audio, stereo float32 planes at 44.1 kHz."""
    planes: list[np.ndarray] = []
    have, want = 0, int(minutes * 60 * RATE)
    with av.open(str(program / "program.mp3")) as container:
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        for frame in container.decode(audio=0):
            for ready in resampler.resample(frame):
                planes.append(ready.to_ndarray())
                have += ready.samples
            if have >= want:
                break
    return np.concatenate(planes, axis=1)[:, :want]


def flac_stream(audio: np.ndarray, path: Path) -> bytes:
    """The program as an Icecast FLAC source sends it: marker and STREAMINFO, then frames
    (FFmpeg's encoder, its default block size, as the demo station's FlacEncoder but stereo)."""
    if not path.exists():
        ctx = av.CodecContext.create("flac", "w")
        ctx.sample_rate, ctx.layout, ctx.format = RATE, "stereo", "s16"
        ctx.open()
        streaminfo = bytes(ctx.extradata or b"")
        out = bytearray(b"fLaC\x80" + len(streaminfo).to_bytes(3, "big") + streaminfo)
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
        for start in range(0, pcm.shape[1], ctx.frame_size):
            block = np.ascontiguousarray(pcm[:, start : start + ctx.frame_size].T).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="stereo")
            frame.sample_rate, frame.pts = RATE, start
            out += b"".join(bytes(p) for p in ctx.encode(frame))
        out += b"".join(bytes(p) for p in ctx.encode(None))
        path.write_bytes(bytes(out))
    return path.read_bytes()


def hls_playlist(audio: np.ndarray, folder: Path) -> Path:
    playlist = folder / "index.m3u8"
    if playlist.exists():
        return playlist
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(
        str(playlist),
        "w",
        format="hls",
        options={
            "hls_time": str(HLS_SEGMENT_S),
            "hls_list_size": "0",
            "hls_playlist_type": "vod",
            "hls_segment_filename": str(folder / "seg%05d.ts"),
        },
    ) as container:
        stream = container.add_stream("aac", rate=RATE, layout="stereo")
        stream.bit_rate = 128_000
        for start in range(0, audio.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[:, start : start + 1024]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = RATE, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return playlist


def archive_flac(data: bytes, root: Path) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    clock = Clock()
    archive = Archive(root, ArchiveSettings(), clock=clock)
    tap = TimedTap(archive.recorder(1))
    record_stream(data, "flac", tap, clock)
    return _cost("native FLAC (Icecast)", archive, tap.cpu, clock)


def archive_hls(playlist: Path, root: Path) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    clock = Clock()
    archive = Archive(root, ArchiveSettings(), clock=clock)
    tap = TimedTap(archive.recorder(1))
    tap.call("begin")
    blocks = AudioBlocks(tap, clock)
    with av.open(str(playlist), options={"protocol_whitelist": "file,crypto,data"}) as container:
        stream = container.streams.audio[0]
        kept = HlsPackets(stream.codec_context.name, stream.codec_context.extradata)
        for packet in container.demux(stream):
            if packet.size:
                t = time.thread_time()
                data = kept.bytes_of(bytes(packet))
                tap.cpu += time.thread_time() - t
                if data:
                    tap.call("raw", data)
            blocks.feed(packet.decode())
    tap.call("end")
    return _cost(f"HLS, AAC 128 kbit/s in {HLS_SEGMENT_S}-s MPEG-TS", archive, tap.cpu, clock)


def _cost(name: str, archive: Archive, cpu: float, clock: Clock) -> dict:
    usage = archive.usage()["stations"][0]
    rows = archive.db.segments(1)
    seconds = sum(r.end_s - r.start_s for r in rows)
    audio_s = clock.now - ORIGIN
    archive.close()
    return {
        "station": name,
        "audio_s": audio_s,
        "kept_s": seconds,
        "segments": len(rows),
        "core_pct": 100 * cpu / audio_s,
        "audio_mb_day": usage["audio_mb_per_day"],
        "peaks_mb_day": usage["peaks_mb_per_day"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--program", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/archive-formats"))
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    audio = program_audio(args.program.expanduser(), args.minutes)
    data = flac_stream(audio, args.work / "program.flac")
    playlist = hls_playlist(audio, args.work / "hls")
    started = os.popen("uptime").read().strip()
    results = [
        archive_flac(data, args.work / "archive-flac"),
        archive_hls(playlist, args.work / "archive-hls"),
    ]
    print(f"uptime at start: {started}")
    print(f"uptime at end: {os.popen('uptime').read().strip()}")
    print()
    print(
        "| station | audio min | kept min | segments | tap CPU % of a core | audio MB/day "
        "| peaks MB/day |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['station']} | {r['audio_s'] / 60:.1f} | {r['kept_s'] / 60:.2f} | "
            f"{r['segments']} | {r['core_pct']:.3f} | {r['audio_mb_day']} | {r['peaks_mb_day']} |"
        )


if __name__ == "__main__":
    main()
