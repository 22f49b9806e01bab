"""packaging/install-system-deps.sh waits for a package manager that is already at work
instead of failing at once ("Could not get lock /var/lib/dpkg/lock-frontend"), and says who it
is waiting for.

Harmless by design: the script is pointed at lock files in a temporary folder, and `apt-get`,
`dpkg-query` and `sudo` are stand-ins on PATH. The stand-in apt-get does what the real one does
with the lock (an fcntl lock on the frontend lock file, waited for up to
`-o DPkg::Lock::Timeout=N` seconds, failing at once without it, exit 100 with apt's message).
The real apt's behaviour was checked by hand on Debian 12 (apt 2.6.1): with the lock held, it
fails at once without the option and waits, then installs, with it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "packaging" / "install-system-deps.sh"

FAKE_APT = """\
#!{python}
import fcntl, os, sys, time
args = sys.argv[1:]
timeout = 0.0
for i, arg in enumerate(args):
    if arg == "-o" and args[i + 1].startswith("DPkg::Lock::Timeout="):
        timeout = float(args[i + 1].split("=", 1)[1])
with open(os.environ["APT_CALLS"], "a") as calls:
    calls.write(f"{{time.time()}} {{' '.join(args)}}\\n")
lock_path = os.environ["RADIOWATCH_DPKG_LOCK"] if "install" in args else os.environ["RADIOWATCH_APT_LISTS_LOCK"]
lock = open(lock_path, "r+")
deadline = time.monotonic() + timeout
while True:
    try:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with open(os.environ["APT_CALLS"], "a") as calls:
            calls.write(f"{{time.time()}} got the lock\\n")
        break
    except OSError:
        if time.monotonic() >= deadline:
            print(f"E: Could not get lock {{lock_path}}.", file=sys.stderr)
            sys.exit(100)
        time.sleep(0.1)
"""

HOLD_LOCK = """
import fcntl, sys, time
lock = open(sys.argv[1], "r+")
fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def fake_system(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "apt-get": FAKE_APT.format(python=sys.executable),
        "dpkg-query": "#!/bin/sh\nexit 1\n",  # nothing is installed: every package is needed
        "sudo": '#!/bin/sh\nexec "$@"\n',
    }
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    locks = {"dpkg": tmp_path / "lock-frontend", "lists": tmp_path / "lists-lock"}
    for lock in locks.values():
        lock.touch()
    calls = tmp_path / "apt-calls"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYTHON": sys.executable,
        "APT_CALLS": str(calls),
        "RADIOWATCH_DPKG_LOCK": str(locks["dpkg"]),
        "RADIOWATCH_APT_LISTS_LOCK": str(locks["lists"]),
    }
    return env, locks, calls


def hold(lock: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock), str(seconds)], stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    return holder


def test_it_waits_for_the_dpkg_lock_says_who_holds_it_and_then_installs(fake_system):
    env, locks, calls = fake_system
    holder = hold(locks["dpkg"], 2.0)
    held_at = time.time()
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT)],
            env={**env, "RADIOWATCH_APT_LOCK_WAIT": "60"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.wait(30)
    assert result.returncode == 0, result.stderr
    assert "waiting up to 60 s for " in result.stderr
    assert f"(pid {holder.pid}) to release {locks['dpkg']}" in result.stderr
    lines = [line.split(" ", 1) for line in calls.read_text().splitlines()]
    commands = [text for _, text in lines if text != "got the lock"]
    assert commands[0].endswith("-o DPkg::Lock::Timeout=60 update -qq")
    assert "-o DPkg::Lock::Timeout=60 install" in commands[1] and "libpulse0" in commands[1]
    got_lock = [float(at) for at, text in lines if text == "got the lock"]
    assert len(got_lock) == 2 and got_lock[-1] - held_at >= 1.5, "install waited for the lock"


def test_a_lock_that_is_never_released_ends_with_what_to_do(fake_system):
    env, locks, _calls = fake_system
    holder = hold(locks["dpkg"], 30.0)
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT)],
            env={**env, "RADIOWATCH_APT_LOCK_WAIT": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait(10)
    assert result.returncode == 1
    assert f"(pid {holder.pid}) still holds {locks['dpkg']} after 1 s" in result.stderr
    assert "run this again when it has finished" in result.stderr
