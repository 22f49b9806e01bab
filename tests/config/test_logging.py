import logging

import pytest

from radiowatch.config.logging_setup import configure_logging, shutdown_logging
from radiowatch.config.paths import profile_dirs
from radiowatch.config.redaction import mask, redact, register_secret
from radiowatch.config.secrets import AUDD_API_TOKEN, MemoryTokenStore


@pytest.fixture
def log_file():
    dirs = profile_dirs().ensure()
    configure_logging(dirs, "DEBUG", stderr=False)
    yield dirs.log_file
    shutdown_logging()


def test_mask_shows_only_the_ends():
    assert mask("abcdefghyz") == "ab***yz"
    assert mask("short") == "***"
    assert mask("") == ""


def test_registered_secret_never_reaches_the_log_file(log_file):
    store = MemoryTokenStore()
    store.set(AUDD_API_TOKEN, "sekrit-token-0042")
    log = logging.getLogger("radiowatch.test")
    log.info("calling with %s", "sekrit-token-0042")
    try:
        raise RuntimeError("server said: bad token sekrit-token-0042")
    except RuntimeError:
        log.exception("request failed")
    text = log_file.read_text()
    assert "sekrit-token-0042" not in text
    assert "se***42" in text
    assert "RuntimeError" in text


@pytest.mark.parametrize(
    "line",
    [
        "GET https://api.audd.io/?api_token=unregistered123&url=x",
        'body {"api_token": "unregistered123"}',
        "headers {'X-API-Key': 'unregistered123'}",
        "Authorization: Bearer unregistered123",
    ],
)
def test_secret_looking_parameters_are_redacted_even_if_unregistered(log_file, line):
    logging.getLogger("httpx").warning(line)
    assert "unregistered123" not in log_file.read_text()
    assert "unregistered123" not in redact(line)


def test_redact_leaves_ordinary_text_alone():
    register_secret("abc")  # too short to register: would mangle ordinary words
    assert redact("abc radio, the token field is empty") == "abc radio, the token field is empty"
