#!/usr/bin/env bash
# Installs the few system libraries radiowatch needs that PyPI cannot provide.
# libpulse0: QtMultimedia (audio preview and recording) links against it, even with no sound device.
set -euo pipefail
needed=()
ldconfig -p 2>/dev/null | grep -q 'libpulse.so.0' || needed+=(libpulse0)
[ ${#needed[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "radiowatch: please install ${needed[*]} with your package manager (audio preview needs it)." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "radiowatch: run 'apt-get install ${needed[*]}' as root for audio preview; continuing without it." >&2
        exit 0
    fi
fi
echo "radiowatch: installing system packages: ${needed[*]}"
$sudo apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
