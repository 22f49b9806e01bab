#!/usr/bin/env bash
# Screenshots of every tab for the README, from the real app on a virtual X display.
#   packaging/take-screenshots.sh [OUT_DIR]      (default docs/screenshots; `make screenshots`)
# Needs Xvfb (apt-get install xvfb) and the xcb libraries (`make desktop-deps`). A throwaway
# demo profile is used; the local engine runs its demo station, so this takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshots}
PY=${PY:-.venv/bin/python}
command -v Xvfb >/dev/null || { echo "screenshots: Xvfb is not installed (apt-get install xvfb)" >&2; exit 1; }
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
unset QT_QPA_PLATFORM
DISPLAY=$display RADIOWATCH_THEME=${RADIOWATCH_THEME:-light} "$PY" packaging/screenshots.py "$OUT" "${@:2}"
