"""Entry point of the frozen bundle: one executable, two roles.

`radiowatch` starts the GUI; `radiowatch --engine ARGS...` runs the local engine's command line.
The engine role is dispatched before anything imports PySide6, so a headless engine started by
the GUI (or on a server) never loads Qt.

`radiowatch -m radiowatch.engine.cli ARGS...` is the same engine role: the engine launcher
(radiowatch/backend/engine_launcher.py) starts `sys.executable -m radiowatch.engine.cli ...`, and in the
bundle sys.executable is this program, so that form must work here too.
"""

import sys

ENGINE_MODULE = "radiowatch.engine.cli"


def engine_args(argv: list[str]) -> list[str] | None:
    """The engine's arguments when `argv` asks for the engine role, else None."""
    if len(argv) > 1 and argv[1] == "--engine":
        return argv[2:]
    if len(argv) > 2 and argv[1] == "-m" and argv[2] == ENGINE_MODULE:
        return argv[3:]
    return None


def main() -> int:
    args = engine_args(sys.argv)
    if args is not None:
        from radiowatch.engine.cli import main as engine_main

        return engine_main(args)
    from radiowatch.cli import main as gui_main

    return gui_main()


if __name__ == "__main__":
    # PyInstaller + multiprocessing (catalog ingest uses worker processes) needs this in the
    # frozen entry point, or each worker would start another copy of the app.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
