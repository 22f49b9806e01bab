"""Where tokens and API keys live: the OS keyring, or a 0600 file when there is none.

A `TokenStore` holds the app's secrets by name. The keyring is preferred; on a headless Linux
box or CI there is no keyring backend, so `default_token_store` falls back to a JSON file that
only the user can read, and says so (`is_secure`, `description`) so the UI can warn. Values are
registered with the redactor as soon as they are read or written, and never appear in error
messages: errors name the secret, not its value.
"""

from __future__ import annotations

import json
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

from radiowatch.config.paths import ProfileDirs
from radiowatch.config.redaction import forget_secret, register_secret

SERVICE = "radiowatch"
AUDD_API_TOKEN = "audd_api_token"
AUDJUST_API_KEY = "audjust_api_key"
UDIO_API_KEY = "udio_api_key"
ENGINE_TOKEN = "engine_token"
SECRET_NAMES = (AUDD_API_TOKEN, AUDJUST_API_KEY, UDIO_API_KEY, ENGINE_TOKEN)
AUDD_TOKEN_ENV = "AUDD_API_TOKEN"


class TokenStoreError(Exception):
    """A secret could not be read or written. The message never contains the value."""


def _check_name(name: str) -> None:
    if name not in SECRET_NAMES:
        raise KeyError(f"unknown secret name {name!r}; expected one of {', '.join(SECRET_NAMES)}")


class TokenStore(ABC):
    """Named secrets. `get` returns None for a secret that is not set."""

    #: False when the values sit in a plain (if owner-only) file; the UI warns about it.
    is_secure: bool = True

    @property
    @abstractmethod
    def description(self) -> str:
        """One line for the About box: which backend holds the secrets."""

    def get(self, name: str) -> str | None:
        _check_name(name)
        value = self._get(name)
        register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        _check_name(name)
        value = value.strip()
        if not value:
            self.delete(name)
            return
        register_secret(value)
        self._set(name, value)

    def delete(self, name: str) -> None:
        _check_name(name)
        forget_secret(self._get(name))
        self._delete(name)

    @abstractmethod
    def _get(self, name: str) -> str | None: ...

    @abstractmethod
    def _set(self, name: str, value: str) -> None: ...

    @abstractmethod
    def _delete(self, name: str) -> None: ...


class MemoryTokenStore(TokenStore):
    """Secrets that live only as long as the process: tests and throwaway sessions."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._values = dict(initial or {})
        for value in self._values.values():
            register_secret(value)

    @property
    def description(self) -> str:
        return "memory only (nothing is saved)"

    def _get(self, name: str) -> str | None:
        return self._values.get(name)

    def _set(self, name: str, value: str) -> None:
        self._values[name] = value

    def _delete(self, name: str) -> None:
        self._values.pop(name, None)


class KeyringTokenStore(TokenStore):
    """The OS keyring (Secret Service, KWallet, macOS Keychain, Windows Credential Locker)."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    @property
    def description(self) -> str:
        import keyring

        backend = keyring.get_keyring()
        return f"system keyring ({getattr(backend, 'name', type(backend).__name__)})"

    def _get(self, name: str) -> str | None:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(self._service, name)
        except KeyringError as exc:
            raise TokenStoreError(
                f"The keyring could not read {name}: {type(exc).__name__}."
            ) from None

    def _set(self, name: str, value: str) -> None:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(self._service, name, value)
        except KeyringError as exc:
            raise TokenStoreError(
                f"The keyring refused to store {name} ({type(exc).__name__}). "
                "Unlock your keyring and try again."
            ) from None

    def _delete(self, name: str) -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(self._service, name)
        except PasswordDeleteError:
            pass  # already absent
        except KeyringError as exc:
            raise TokenStoreError(
                f"The keyring could not delete {name}: {type(exc).__name__}."
            ) from None


class FileTokenStore(TokenStore):
    """A JSON file readable only by its owner (0600), for machines without a keyring.

    Each write replaces the file atomically, and the file is created 0600 before any secret is
    written into it, so there is no moment when another user could read it.
    """

    is_secure = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def description(self) -> str:
        return f"file readable only by you ({self.path})"

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenStoreError(
                f"Cannot read the token file {self.path}: {exc.strerror}."
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise TokenStoreError(
                f"The token file {self.path} is damaged. Delete it and enter your tokens again."
            ) from None
        if not isinstance(data, dict):
            return {}
        values = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        for value in values.values():
            register_secret(value)
        return values

    def _write(self, values: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.path.parent)  # created 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(values, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise TokenStoreError(
                f"Cannot write the token file {self.path}: {exc.strerror}."
            ) from None

    def _get(self, name: str) -> str | None:
        return self._read().get(name)

    def _set(self, name: str, value: str) -> None:
        values = self._read()
        values[name] = value
        self._write(values)

    def _delete(self, name: str) -> None:
        values = self._read()
        if name in values:
            del values[name]
            self._write(values)


def keyring_available() -> bool:
    """True when `keyring` found a real backend (not the `fail` one used on headless boxes)."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    return getattr(backend, "priority", 1) > 0


def default_token_store(dirs: ProfileDirs) -> TokenStore:
    """The keyring when there is one, else the 0600 file in the profile's config folder."""
    if keyring_available():
        return KeyringTokenStore()
    return FileTokenStore(dirs.secrets_file)


def resolve_audd_token(explicit: str | None, store: TokenStore | None) -> str | None:
    """The AudD token in the SDK's order: explicit, then $AUDD_API_TOKEN, then the stored one."""
    return _resolve_audd(explicit, store)[0]


def audd_token_source(explicit: str | None, store: TokenStore | None) -> str | None:
    """Where `resolve_audd_token` would take the token from: 'explicit', 'environment', 'stored'."""
    return _resolve_audd(explicit, store)[1]


def _resolve_audd(explicit: str | None, store: TokenStore | None) -> tuple[str | None, str | None]:
    if explicit and explicit.strip():
        register_secret(explicit.strip())
        return explicit.strip(), "explicit"
    env = os.environ.get(AUDD_TOKEN_ENV, "").strip()
    if env:
        register_secret(env)
        return env, "environment"
    stored = store.get(AUDD_API_TOKEN) if store is not None else None
    if stored:
        return stored, "stored"
    return None, None
