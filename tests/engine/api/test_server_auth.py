"""Which token the engine accepts: --token, then $RADIOWATCH_ENGINE_TOKEN, then a per-install
token generated once and kept in the secret store; missing/wrong tokens are 901/900."""

from __future__ import annotations

import pytest

from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.engine.api.auth import ENV_TOKEN, SECRET_NAME, TokenCheck, resolve_engine_token
from radiowatch.engine.api.replies import ApiError


def test_cli_token_wins_over_the_environment_and_the_store(monkeypatch):
    store = MemoryTokenStore({SECRET_NAME: "stored"})
    monkeypatch.setenv(ENV_TOKEN, "from-env")
    assert resolve_engine_token("from-cli", lambda: store) == "from-cli"
    assert resolve_engine_token(None, lambda: store) == "from-env"
    monkeypatch.delenv(ENV_TOKEN)
    assert resolve_engine_token(None, lambda: store) == "stored"


def test_a_per_install_token_is_generated_once_and_reused():
    store = MemoryTokenStore()
    first = resolve_engine_token(None, lambda: store)
    assert len(first) >= 24
    assert store.get(SECRET_NAME) == first
    assert resolve_engine_token(None, lambda: store) == first


def test_missing_and_wrong_tokens_are_901_and_900():
    check = TokenCheck("right")
    check.require("right")
    with pytest.raises(ApiError) as missing:
        check.require("")
    with pytest.raises(ApiError) as wrong:
        check.require("wrong")
    assert (missing.value.code, wrong.value.code) == (901, 900)
    assert "right" not in str(wrong.value)
