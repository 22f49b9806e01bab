"""Which api_token the local engine accepts, and the 900/901 checks (docs/protocols/audd.md §1.3, §10).

The engine listens on loopback by default, but anything on the machine (a browser page, another
user's process) can reach loopback, so it still requires a token. Precedence: `--token T`, then
`RADIOWATCH_ENGINE_TOKEN` (for scripts and tests), then a per-install token kept with the other
secrets under the name "engine_token" (generated on first use). The GUI reads the same stored
secret, so a user never has to see or type it.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Callable
from typing import Protocol

from radiowatch.engine.api.replies import INVALID_TOKEN, MISSING_TOKEN, ApiError

log = logging.getLogger(__name__)

ENV_TOKEN = "RADIOWATCH_ENGINE_TOKEN"
SECRET_NAME = "engine_token"


class _TokenStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


def _default_store() -> _TokenStore:
    from radiowatch.config.paths import profile_dirs
    from radiowatch.config.secrets import default_token_store

    return default_token_store(profile_dirs())


def stored_engine_token(store_factory: Callable[[], _TokenStore] = _default_store) -> str:
    """The per-install engine token, generated and stored on first use."""
    store = store_factory()
    token = store.get(SECRET_NAME)
    if not token:
        token = secrets.token_urlsafe(24)
        store.set(SECRET_NAME, token)
        log.info("generated a new engine api_token and stored it as %r", SECRET_NAME)
    return token


def resolve_engine_token(
    cli_token: str | None, store_factory: Callable[[], _TokenStore] = _default_store
) -> str:
    if cli_token:
        return cli_token
    env = os.environ.get(ENV_TOKEN, "").strip()
    if env:
        return env
    return stored_engine_token(store_factory)


class TokenCheck:
    """Answers whether a request's api_token is the accepted one, as AudD would."""

    def __init__(self, accepted: str) -> None:
        if not accepted:
            raise ValueError("the engine needs a non-empty api_token")
        self._accepted = accepted.encode()

    def require(self, sent: str | None) -> None:
        if not sent:
            raise ApiError(
                MISSING_TOKEN,
                "authorization failed: no api_token passed. This radiowatch engine needs the "
                "`api_token` it was started with (--token, $RADIOWATCH_ENGINE_TOKEN, or the "
                "'engine_token' stored by radiowatch); pass it in the `api_token` parameter.",
            )
        if not hmac.compare_digest(sent.encode(), self._accepted):
            raise ApiError(
                INVALID_TOKEN,
                "authorization failed: the provided api_token is incorrect, invalid, or "
                "inactive. This is a radiowatch local engine: use the token it was started with "
                "(--token, $RADIOWATCH_ENGINE_TOKEN, or the 'engine_token' stored by radiowatch).",
            )
