#!/usr/bin/env bash
# Starts the frozen bundle headless and checks both roles, the way a user's double-click would:
#   1. the engine role answers --version without loading Qt;
#   2. the GUI reaches its main window offscreen, starts its local engine as a child (the same
#      executable, `--engine demo`), quits itself, stops the engine, and exits 0, no traceback;
#   3. a second launch on the same profile while the first runs exits 0 (single instance).
# Usage: packaging/smoke_test.sh [dist/radiowatch/radiowatch]
set -euo pipefail
BIN=${1:-dist/radiowatch/radiowatch}
[ -x "$BIN" ] || { echo "smoke: no bundle at $BIN (run 'make package' first)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

"$BIN" --engine --version

out="$profile/gui.out"
export RADIOWATCH_HOME="$profile" QT_QPA_PLATFORM=offscreen
RADIOWATCH_EXIT_AFTER_MS=${SMOKE_RUN_MS:-25000} timeout 120 "$BIN" >"$out" 2>&1 &
gui=$!
applog="$profile/logs/radiowatch.log"
for _ in $(seq 1 600); do
    grep -qs "started; profile" "$applog" && break
    kill -0 "$gui" 2>/dev/null || break
    sleep 0.1
done
if ! RADIOWATCH_EXIT_AFTER_MS=4000 timeout 60 "$BIN" >>"$out" 2>&1; then
    echo "smoke: a second launch did not exit cleanly" >&2; cat "$out" >&2; exit 1
fi
if ! wait "$gui"; then
    echo "smoke: the GUI did not exit cleanly" >&2; cat "$out" "$applog" >&2; exit 1
fi
if grep -q "Traceback" "$out" "$applog"; then
    echo "smoke: the GUI printed a traceback" >&2; cat "$out" "$applog" >&2; exit 1
fi
for expected in "already runs with this profile" "local engine (demo) listening" \
                "local engine stopped (exit code 0)" "radiowatch stopped (timer)"; do
    grep -q "$expected" "$applog" || {
        echo "smoke: the log lacks '$expected'" >&2; cat "$applog" >&2; exit 1; }
done
echo "smoke: ok ($(du -sh "$(dirname "$BIN")" | cut -f1) bundle)"
