"""Fixtures for the AudD client tests: a fake AudD cloud on loopback and a client bound to it.

Other test packages can reuse the fake directly::

    from tests.fakes.fake_audd import FakeAudD
    with FakeAudD(tokens=["tok"]) as fake: ...
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from radiowatch.audd import AudDClient
from tests.fakes.fake_audd import FakeAudD

TOKEN = "fake-token-0123456789"
ENTERPRISE_TOKEN = "fake-enterprise-token-987"


@pytest.fixture(scope="session")
def fake_audd_server():
    """One FakeAudD for the whole session (starting uvicorn costs ~0.2 s a time)."""
    fake = FakeAudD(
        tokens=[TOKEN, ENTERPRISE_TOKEN],
        enterprise_tokens={ENTERPRISE_TOKEN},
        catalog_tokens={TOKEN},
    )
    with fake:
        yield fake


@pytest.fixture
def fake_audd(fake_audd_server):
    """The fake AudD cloud, running and with fresh state: TOKEN is a standard +
    custom-catalog token, ENTERPRISE_TOKEN an enterprise one. Tests may stop/restart it."""
    fake_audd_server.start()
    fake_audd_server.reset()
    yield fake_audd_server
    fake_audd_server.start()  # leave it serving for the next test


@pytest_asyncio.fixture
async def audd(fake_audd):
    """An AudDClient pointed at the fake with fast backoff, closed at teardown."""
    async with AudDClient(
        TOKEN,
        base_url=fake_audd.base_url,
        enterprise_url=fake_audd.enterprise_url,
        backoff_factor=0.01,
    ) as client:
        yield client
