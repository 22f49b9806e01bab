"""Base URL, path template and auth scheme come from the app's settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from radiowatch.config.settings import Settings
from radiowatch.udio.endpoint import AuthScheme, UdioEndpoint, endpoint_from_settings
from radiowatch.udio.errors import UdioNotConfiguredError


def test_endpoint_is_read_from_the_apps_settings_with_seed_defaults():
    endpoint = endpoint_from_settings(Settings(udio_base_url="https://api.reseller.test/"))
    assert endpoint.base_url == "https://api.reseller.test"
    assert endpoint.path_template == "/udio/query?ids={ids}"
    assert endpoint.auth_scheme is AuthScheme.BEARER


def test_extras_can_override_path_template_and_auth_scheme():
    settings = Settings(
        udio_base_url="https://gw.test",
        extras={"udio": {"path_template": "/udio/fetch/{id}", "auth_scheme": "x-api-key"}},
    )
    endpoint = endpoint_from_settings(settings)
    assert endpoint.url_for(["abc"]) == "https://gw.test/udio/fetch/abc"
    assert endpoint.effective_batch_size == 1
    assert endpoint.auth_scheme.headers("k") == {"X-API-Key": "k"}


def test_a_plain_mapping_or_nothing_also_works():
    assert endpoint_from_settings({"udio": {"base_url": "http://x"}}).base_url == "http://x"
    assert endpoint_from_settings(None).base_url == ""


@pytest.mark.parametrize("template", ["/udio/query", "/udio/{id}?ids={ids}"])
def test_a_path_template_needs_exactly_one_placeholder(template):
    with pytest.raises(ValidationError, match="exactly one placeholder"):
        UdioEndpoint(path_template=template)


def test_an_invalid_setting_is_a_configuration_error_naming_the_field():
    settings = Settings(udio_base_url="https://gw.test", extras={"udio": {"path_template": "/q"}})
    with pytest.raises(
        UdioNotConfiguredError, match="path template setting is invalid.*Accounts & tokens"
    ):
        endpoint_from_settings(settings)
