#!/usr/bin/env bash
# Installs the few system packages radiowatch needs that PyPI cannot provide (Debian/Ubuntu).
#   install-system-deps.sh          what `make test` needs (headless):
#       python3-venv   - Debian's python3 cannot create a virtual environment without it
#       libpulse0      - QtMultimedia (audio preview, recording) links against it
#       libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0
#                      - QtGui links against these even when drawing offscreen
#   install-system-deps.sh desktop  adds what `make run` needs to open a window on X11/XWayland:
#       the xcb libraries of Qt's xcb platform plugin (a desktop usually has most of them)
# Anything already installed is skipped; without apt-get or root rights it only explains.
set -euo pipefail
PYTHON=${PYTHON:-python3}
needed=()

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "radiowatch: not a Debian/Ubuntu system; install libpulse, OpenGL/EGL, fontconfig and" \
         "the xcb libraries with your package manager if Qt reports them missing." >&2
    exit 0
fi

"$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || needed+=(python3-venv)
for pkg in libpulse0 libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0; do
    have_pkg "$pkg" || needed+=("$pkg")
done
if [ "${1:-}" = "desktop" ]; then
    for pkg in libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
               libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-sync1 \
               libxcb-xfixes0 libxcb-xkb1; do
        have_pkg "$pkg" || needed+=("$pkg")
    done
fi

[ ${#needed[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "radiowatch: please install ${needed[*]} with your package manager." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "radiowatch: run 'apt-get install ${needed[*]}' as root; continuing without them." >&2
        exit 0
    fi
fi
echo "radiowatch: installing system packages: ${needed[*]}"
$sudo apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
