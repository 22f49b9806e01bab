"""Start radiowatch at login: an XDG autostart entry on Linux desktops. No Qt.

The freedesktop "Desktop Application Autostart" spec: a `.desktop` file in
`$XDG_CONFIG_HOME/autostart/` (default `~/.config/autostart/`) is started by the session at
login (GNOME, KDE, Xfce, Cinnamon, LXQt...). The entry we write starts the app minimised to the
tray (`--minimised`), and carries `X-GNOME-Autostart-enabled=true` so GNOME does not ignore it.

A profile relocated with `RADIOWATCH_HOME` gets its own entry with `--data-dir`, so a portable
or second profile starts with its own data; tests therefore never touch the real autostart
folder (they set XDG_CONFIG_HOME too).

Other platforms (not implemented; the settings checkbox is disabled there, see
`autostart_supported`):
- Windows: a value under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run naming the
  bundled radiowatch.exe (winreg), or a shortcut in shell:startup.
- macOS: a LaunchAgent plist in ~/Library/LaunchAgents with RunAtLoad, or
  SMAppService.mainApp.register() for a signed .app bundle.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from radiowatch.config.paths import HOME_ENV

ENTRY_NAME = "org.radiowatch.Radiowatch.desktop"
MINIMISED_FLAG = "--minimised"


def autostart_supported() -> bool:
    """True where an XDG autostart entry means something (Linux and the BSDs)."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".config"
    return root / "autostart"


def autostart_file() -> Path:
    return autostart_dir() / ENTRY_NAME


def launch_command() -> list[str]:
    """How to start this radiowatch again: the frozen binary, else `python -m radiowatch`."""
    if getattr(sys, "frozen", False):
        command = [sys.executable]
    else:
        command = [sys.executable, "-m", "radiowatch"]
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        command += ["--data-dir", str(Path(home).expanduser().resolve())]
    return [*command, MINIMISED_FLAG]


def _exec_line(command: list[str]) -> str:
    # The Exec key quotes like a shell, but '%' starts a field code and must be doubled.
    return " ".join(shlex.quote(part) for part in command).replace("%", "%%")


def desktop_entry(command: list[str] | None = None) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=radiowatch",
            "Comment=Monitor radio streams for your music (started minimised to the tray)",
            f"Exec={_exec_line(command or launch_command())}",
            "Icon=org.radiowatch.Radiowatch",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def is_autostart_enabled() -> bool:
    return autostart_file().is_file()


def set_autostart(enabled: bool, command: list[str] | None = None) -> Path | None:
    """Write (or remove) the autostart entry; returns the entry's path when written.

    Raises OSError with the path in its message when the folder cannot be written.
    """
    path = autostart_file()
    if not enabled:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(desktop_entry(command), encoding="utf-8")
    os.replace(tmp, path)
    return path
