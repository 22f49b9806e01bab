"""Which recognition backend the settings ask for, and whether it can be used as it is.

The one place the choice is made: the status bar shows it before anything starts, and the
backend session (session.py) starts what it names. Nothing is started here.
"""

from __future__ import annotations

from dataclasses import dataclass

from radiowatch.config.secrets import TokenStore, TokenStoreError, resolve_audd_token
from radiowatch.config.settings import Settings


@dataclass(frozen=True)
class BackendChoice:
    kind: str  # "local" | "audd" | "remote_engine"
    description: str  # status-bar text
    state: str  # a BackendIndicator state
    detail: str = ""


def choose_backend(settings: Settings, tokens: TokenStore) -> BackendChoice:
    """Which recognition backend the settings ask for, and whether it can be used as is.

    The monitoring (and the local engine launcher) start from this choice; nothing is
    started here.
    """
    description = settings.backend_description()
    if settings.backend == "audd":
        try:
            token = resolve_audd_token(None, tokens)
        except TokenStoreError as exc:
            return BackendChoice("audd", description, "error", str(exc))
        if not token:
            return BackendChoice(
                "audd",
                description,
                "needs_token",
                "Add your AudD API token in File → Accounts & tokens.",
            )
        return BackendChoice("audd", description, "idle", "api.audd.io")
    if settings.backend == "remote_engine":
        if not settings.remote_engine_url:
            return BackendChoice(
                "remote_engine", description, "error", "Set the remote engine's URL in Settings."
            )
        return BackendChoice("remote_engine", description, "idle", settings.remote_engine_url)
    return BackendChoice(
        "local", description, "offline", "The local engine starts when monitoring starts."
    )
