"""Logging to a rotating file in the profile, with every secret redacted.

The redaction is a filter on each handler, so it also covers records from libraries (httpx logs
request URLs, which may carry `api_token=`) and exception tracebacks.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from radiowatch.config.paths import ProfileDirs
from radiowatch.config.redaction import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 5


class SecretRedactingFilter(logging.Filter):
    """Rewrites a record's message, exception and stack text with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_installed: list[logging.Handler] = []


def configure_logging(dirs: ProfileDirs, level: str = "INFO", *, stderr: bool = True) -> None:
    """Send radiowatch's logs to logs/radiowatch.log (rotating) and warnings to stderr.

    Calling it again (a second app in one test process) replaces the previous handlers.
    """
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()

    dirs.logs.mkdir(parents=True, exist_ok=True)
    redactor = SecretRedactingFilter()
    file_handler = logging.handlers.RotatingFileHandler(
        dirs.log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    file_handler.addFilter(redactor)
    _installed.append(file_handler)
    if stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter("radiowatch: %(levelname)s %(name)s: %(message)s"))
        console.addFilter(redactor)
        _installed.append(console)
    for handler in _installed:
        root.addHandler(handler)
    root.setLevel(getattr(logging, level, logging.INFO))
    # httpx logs every request URL at INFO; keep it, redacted, only when debugging.
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def shutdown_logging() -> None:
    """Flush and close the handlers `configure_logging` installed."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
