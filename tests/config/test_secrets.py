import stat

import pytest

from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import (
    AUDD_API_TOKEN,
    FileTokenStore,
    MemoryTokenStore,
    TokenStoreError,
    audd_token_source,
    default_token_store,
    keyring_available,
    resolve_audd_token,
)


def test_without_a_keyring_the_default_store_is_the_private_file():
    assert not keyring_available()
    store = default_token_store(profile_dirs())
    assert isinstance(store, FileTokenStore)
    assert store.is_secure is False
    assert "readable only by you" in store.description


def test_file_store_is_owner_only_and_survives_reopening(tmp_path):
    store = FileTokenStore(tmp_path / "cfg" / "secrets.json")
    store.set(AUDD_API_TOKEN, "tok-1234567890")
    mode = stat.S_IMODE((tmp_path / "cfg" / "secrets.json").stat().st_mode)
    assert mode == 0o600
    assert FileTokenStore(store.path).get(AUDD_API_TOKEN) == "tok-1234567890"
    store.set(AUDD_API_TOKEN, "tok-changed-0987")
    assert store.get(AUDD_API_TOKEN) == "tok-changed-0987"
    store.delete(AUDD_API_TOKEN)
    assert store.get(AUDD_API_TOKEN) is None
    assert not list(tmp_path.glob("cfg/.secrets-*"))  # no temp files left behind


def test_setting_an_empty_value_deletes_the_secret():
    store = MemoryTokenStore({AUDD_API_TOKEN: "abcdefghij"})
    store.set(AUDD_API_TOKEN, "   ")
    assert store.get(AUDD_API_TOKEN) is None


def test_unknown_secret_names_are_rejected():
    with pytest.raises(KeyError):
        MemoryTokenStore().set("password", "x")


def test_damaged_token_file_error_does_not_leak_its_content(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text('{"audd_api_token": "leaky-secret-value"')
    with pytest.raises(TokenStoreError) as info:
        FileTokenStore(path).get(AUDD_API_TOKEN)
    assert "leaky-secret-value" not in str(info.value)
    assert "damaged" in str(info.value)


def test_audd_token_order_is_explicit_then_environment_then_stored(monkeypatch):
    store = MemoryTokenStore({AUDD_API_TOKEN: "stored-token-123"})
    assert resolve_audd_token(None, store) == "stored-token-123"
    assert audd_token_source(None, store) == "stored"
    monkeypatch.setenv("AUDD_API_TOKEN", "env-token-456")
    assert resolve_audd_token(None, store) == "env-token-456"
    assert audd_token_source(None, store) == "environment"
    assert resolve_audd_token("explicit-789", store) == "explicit-789"
    assert audd_token_source("explicit-789", store) == "explicit"
    monkeypatch.delenv("AUDD_API_TOKEN")
    assert resolve_audd_token(None, MemoryTokenStore()) is None
