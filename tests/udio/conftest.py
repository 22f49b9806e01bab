"""Fixtures for the Udio core tests: a real loopback fake reseller and a client pointed at it."""

from __future__ import annotations

import pytest

from radiowatch.udio.client import RetryPolicy, UdioClient
from radiowatch.udio.endpoint import UdioEndpoint
from tests.fakes.fake_udio import TEST_KEY, FakeUdio


@pytest.fixture
def fake_udio():
    with FakeUdio() as fake:
        yield fake


class RecordedSleeps(list):
    """An injectable ``sleep`` that records the waits and returns at once (no timing in tests)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def make_client(fake: FakeUdio, sleeps=None, *, key: str = TEST_KEY, **endpoint) -> UdioClient:
    endpoint.setdefault("base_url", fake.base_url)
    endpoint.setdefault("auth_scheme", fake.auth_scheme)
    endpoint.setdefault("path_template", fake.path_template)
    kwargs = {"sleep": sleeps} if sleeps is not None else {}
    return UdioClient(
        UdioEndpoint(**endpoint), key, retry=RetryPolicy(attempts=3, base_delay_s=0.01), **kwargs
    )
