#!/usr/bin/env bash
# Installs the few system packages radiowatch needs that PyPI cannot provide (Debian/Ubuntu).
#   install-system-deps.sh          what `make test` needs (headless):
#       python3-venv   - Debian's python3 cannot create a virtual environment without it
#       libpulse0      - QtMultimedia (audio preview, recording) links against it
#       libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0
#                      - QtGui links against these even when drawing offscreen
#       desktop-file-utils - the packaging test validates the .desktop entry with it
#   install-system-deps.sh desktop  adds what `make run` needs to open a window on X11/XWayland:
#       the xcb libraries of Qt's xcb platform plugin (a desktop usually has most of them)
# Anything already installed is skipped; without apt-get or root rights it only explains.
# When another package manager is busy (unattended-upgrades, a software centre, another
# `apt-get`), apt waits for its lock up to RADIOWATCH_APT_LOCK_WAIT seconds (default 600)
# instead of failing at once, and this script says who it is waiting for.
set -euo pipefail
PYTHON=${PYTHON:-python3}
LOCK_WAIT=${RADIOWATCH_APT_LOCK_WAIT:-600}
# The locks apt takes: dpkg's frontend lock (install) and the package lists' lock (update).
DPKG_LOCK=${RADIOWATCH_DPKG_LOCK:-/var/lib/dpkg/lock-frontend}
LISTS_LOCK=${RADIOWATCH_APT_LISTS_LOCK:-/var/lib/apt/lists/lock}
needed=()

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# "apt-get (pid 1234)" when another process holds the lock file $1, else nothing. apt's locks
# are fcntl locks, listed in /proc/locks by inode (waiters, marked "->", are skipped).
lock_holder() {
    local inode pid
    inode=$(stat -c %i "$1" 2>/dev/null) || return 0
    pid=$(awk -v inode="$inode" '$2 != "->" { n = split($6, id, ":"); if (id[n] == inode) { print $5; exit } }' /proc/locks 2>/dev/null) || return 0
    [ -n "$pid" ] && [ "$pid" != "$$" ] || return 0
    if [ "$pid" -gt 0 ] 2>/dev/null; then
        echo "$(cat "/proc/$pid/comm" 2>/dev/null || echo "a process") (pid $pid)"
    else
        echo "another process"
    fi
}

# Say who holds the lock, if anyone, before apt starts waiting for it.
say_if_locked() {
    local holder
    holder=$(lock_holder "$1")
    if [ -n "$holder" ]; then
        echo "radiowatch: waiting up to ${LOCK_WAIT} s for $holder to release $1" \
             "(another package manager is at work)..." >&2
    fi
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "radiowatch: not a Debian/Ubuntu system; install libpulse, OpenGL/EGL, fontconfig and" \
         "the xcb libraries with your package manager if Qt reports them missing." >&2
    exit 0
fi

"$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || needed+=(python3-venv)
for pkg in libpulse0 libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0 \
           desktop-file-utils; do
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
wait_lock=(-o "DPkg::Lock::Timeout=${LOCK_WAIT}")
say_if_locked "$LISTS_LOCK"
$sudo apt-get "${wait_lock[@]}" update -qq >/dev/null 2>&1 || true
say_if_locked "$DPKG_LOCK"
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait_lock[@]}" install -y -qq \
        --no-install-recommends "${needed[@]}" >/dev/null; then
    holder=$(lock_holder "$DPKG_LOCK")
    if [ -n "$holder" ]; then
        echo "radiowatch: $holder still holds $DPKG_LOCK after ${LOCK_WAIT} s; run this again" \
             "when it has finished, or install ${needed[*]} yourself." >&2
    else
        echo "radiowatch: apt-get could not install ${needed[*]} (see its message above)." >&2
    fi
    exit 1
fi
