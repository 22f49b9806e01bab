#!/usr/bin/env bash
# Reproduce bench/broadcast/RESULTS.md: play logs of generated 60-minute radio programs, scored
# play by play, for radiowatch-engine playlog and for the kit's reference adapter.
#   bash bench/broadcast/run.sh [CORPUS_DIR] [WORK_DIR]
# Environment: BENCH_DIR (the team's benchmark kit, see docs/benchmarks.md; default: beside this
# repository), SEEDS (default "1 2 3"), SPEEDS (percent, default "0 3"), MINUTES (60), PROFILE
# (radio), REFERENCE (1: also score the kit's window_playlog adapter; 0: skip it).
# ENGINE and PYTHON default to the repository's .venv (radiowatch-engine, python).
# Programs are built once into WORK_DIR/programs (about 80 s each on one core) and reused.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="${BENCH_DIR:-$REPO/../shared/bench}"
CORPUS="${1:-$HOME/fpbench/corpus-public}"
WORK="${2:-$HOME/fpbench/work/broadcast}"
SEEDS="${SEEDS:-1 2 3}"
SPEEDS="${SPEEDS:-0 3}"
MINUTES="${MINUTES:-60}"
PROFILE="${PROFILE:-radio}"
REFERENCE="${REFERENCE:-1}"
ENGINE="${ENGINE:-$REPO/.venv/bin/radiowatch-engine}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"

[ -f "$CORPUS/queries.csv" ] || bash "$BENCH/make_corpus.sh" "$CORPUS"
mkdir -p "$WORK/programs"
if [ ! -f "$WORK/db/catalog.sqlite" ]; then
  "$ENGINE" index "$CORPUS/catalog" "$WORK/db"
fi
names=()
for seed in $SEEDS; do
  for speed in $SPEEDS; do
    name="$PROFILE-s$seed-v$speed"
    prog="$WORK/programs/$name"
    if [ ! -f "$prog/truth.json" ]; then
      python3 "$BENCH/broadcast/make_program.py" "$CORPUS" "$prog" --minutes "$MINUTES" \
          --seed "$seed" --speed "$speed" --profile "$PROFILE"
    fi
    names+=("$name")
  done
done
for name in "${names[@]}"; do
  echo "== $name: radiowatch-engine playlog (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  python3 "$BENCH/broadcast/score_playlog.py" --engine "$ENGINE" --corpus "$CORPUS" \
      --program "$WORK/programs/$name" --work "$WORK/radiowatch/$name" --db "$WORK/db" \
      --name "radiowatch-engine playlog" > /dev/null
  if [ "$REFERENCE" = 1 ]; then
    echo "== $name: reference window_playlog (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    python3 "$BENCH/broadcast/score_playlog.py" \
        --engine "python3 $BENCH/broadcast/adapters/window_playlog.py --engine $ENGINE" \
        --corpus "$CORPUS" --program "$WORK/programs/$name" --work "$WORK/window/$name" \
        --db "$WORK/db" --name "window_playlog + radiowatch-engine query" > /dev/null
  fi
done
"$PYTHON" "$REPO/bench/broadcast/summarize.py" "$WORK" "${names[@]}"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
