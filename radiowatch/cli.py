"""`radiowatch`: start the desktop app, or run one of its command-line tools.

    radiowatch [--data-dir DIR] [--minimised]   open the window (or start in the tray)
    radiowatch [--data-dir DIR] export ARGS...  export play logs (see `radiowatch export --help`)
    radiowatch [--data-dir DIR] stations list|add|remove|enable|disable ...
    radiowatch --version

Parsing happens before Qt is imported, so `--version` and the tools stay fast and work on a
machine without a display. Options Qt understands (`-platform offscreen`, say) pass through.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from radiowatch import __version__
from radiowatch.config.paths import HOME_ENV

# subcommand -> ("module:function", help); the function takes the remaining argv, returns a code
_COMMANDS = {
    "export": (
        "radiowatch.history.export_command:run_export",
        "export the play history (CSV, Excel) without opening the window",
    ),
    "stations": (
        "radiowatch.stations_cli:run_stations",
        "list, add, remove, enable or disable stations (`radiowatch stations --help`)",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<10} {text}" for name, (_, text) in _COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="radiowatch",
        description="Know what music plays on the radio: monitor streams, recognise songs, "
        "keep and export a play history.",
        epilog=f"commands:\n{commands}\n\nWith no command, the app window opens.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"radiowatch {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help=f"keep this profile's data, settings and logs in DIR (same as ${HOME_ENV})",
    )
    parser.add_argument(
        "--minimised",
        "--minimized",
        action="store_true",
        help="start hidden in the system tray (used by the autostart entry)",
    )
    return parser


def split_command(argv: list[str]) -> tuple[list[str], str | None, list[str]]:
    """Split argv at the first subcommand name that is not the value of --data-dir."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--data-dir":
            i += 2
            continue
        if token in _COMMANDS:
            return argv[:i], token, argv[i + 1 :]
        i += 1
    return argv, None, []


def run_command(name: str, argv: list[str]) -> int:
    target, _ = _COMMANDS[name]
    module_name, func_name = target.split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(
            f"radiowatch: '{name}' is not available in this installation "
            f"({module_name} is missing).",
            file=sys.stderr,
        )
        return 2
    try:
        return int(getattr(module, func_name)(argv) or 0)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    head, command, rest = split_command(argv)
    args, qt_args = build_parser().parse_known_args(head)
    if args.data_dir:
        # Through the environment, so child processes (the local engine) use the same profile.
        os.environ[HOME_ENV] = os.path.abspath(os.path.expanduser(args.data_dir))
    if command is not None:
        return run_command(command, rest)
    from radiowatch.app import run_app

    return run_app(qt_args, start_minimised=args.minimised)


if __name__ == "__main__":
    sys.exit(main())
