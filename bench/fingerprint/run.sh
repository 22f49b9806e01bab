#!/usr/bin/env bash
# Reproduce bench/fingerprint/RESULTS.md: build the public corpus (once), score the engine on
# all 3008 queries, then measure scaling with a synthetic large index.
#   bash bench/fingerprint/run.sh [CORPUS_DIR] [WORK_DIR]
# Env: SCALE_CACHE (decoy cache, default ~/fpbench/scale-cache), SCALING=0 (score only).
# Needs the team's benchmark kit (make_corpus.sh, score.py; see docs/benchmarks.md), found at
# $BENCH_DIR or beside this repository, and the repo's .venv.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="${BENCH_DIR:-$REPO/../shared/bench}"
CORPUS="${1:-$HOME/fpbench/corpus-public}"
WORK="${2:-$HOME/fpbench/work/radiowatch}"
CACHE="${SCALE_CACHE:-$HOME/fpbench/scale-cache}"

[ -f "$CORPUS/queries.csv" ] || bash "$BENCH/make_corpus.sh" "$CORPUS"
rm -rf "$WORK"
python3 "$BENCH/score.py" --engine "$REPO/.venv/bin/radiowatch-engine" --corpus "$CORPUS" \
    --work "$WORK" --name "radiowatch local engine"
# decoy music (docs/benchmarks.md): apt-get install drascula-music hyperrogue-music nexuiz-music
# planetblupi-music-ogg ufoai-music warzone2100-music; the .pk3 files are zips of Ogg tracks
DECOYS="${DECOY_DIR:-$HOME/fpbench/decoys}"
mkdir -p "$DECOYS"
for pk3 in /usr/share/games/nexuiz/data/music.pk3 /usr/share/games/ufoai/base/0music.pk3; do
    [ -f "$pk3" ] && unzip -qo -d "$DECOYS/$(basename "$pk3" .pk3)" "$pk3" '*.ogg' || true
done
[ "${SCALING:-1}" = 1 ] || exit 0
# The decoy cache is named by catalog size: list the pool in the order it was built with
# (this one; scaling.py refuses a cache built from another order).
"$REPO/.venv/bin/python" "$REPO/bench/fingerprint/scaling.py" --db "$WORK/db" \
    --corpus "$CORPUS" --tracks 1000 10000 100000 --cache "$CACHE" --decoy-dirs \
    /usr/share/scummvm/drascula /usr/share/hyperrogue/music /usr/share/planetblupi/music \
    /usr/share/games/warzone2100/music "$DECOYS"  # 100,000 tracks: ~9 GB in $CACHE
