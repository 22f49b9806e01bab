"""What it takes to build another `AudDClient` for the same backend, on another event loop.

An httpx `AsyncClient` belongs to the loop it first ran on (its connections, locks and
timers are that loop's), so the monitoring thread must not borrow the GUI loop's client that
the other tabs use. It builds its own sibling from the public settings of the GUI's client:
same URLs, same token, same retry behaviour. No Qt.

The token is resolved once, on the thread that takes the recipe (the app's token store is
read there); a token change restarts the monitoring anyway. The recipe never shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from radiowatch.audd import AudDClient
from radiowatch.audd.errors import AudDTokenMissingError


@dataclass(frozen=True, repr=False)
class ClientRecipe:
    base_url: str
    enterprise_url: str
    api_token: str | None = field(repr=False)
    max_retries: int = 3
    backoff_factor: float = 0.5

    @classmethod
    def of(cls, client: AudDClient) -> ClientRecipe:
        """The settings of `client`, with its token resolved now (None if it has none: the
        sibling then reports the missing token the same way the original would)."""
        try:
            token: str | None = client.api_token()
        except AudDTokenMissingError:
            token = None
        return cls(
            base_url=client.base_url,
            enterprise_url=client.enterprise_url,
            api_token=token,
            max_retries=client.max_retries,
            backoff_factor=client.backoff_factor,
        )

    def build(self) -> AudDClient:
        """A new client with its own httpx pool: call it on the loop that will use it, and
        close it there (`await client.aclose()`)."""
        return AudDClient(
            self.api_token,
            base_url=self.base_url,
            enterprise_url=self.enterprise_url,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
        )

    def __repr__(self) -> str:
        token = _mask(self.api_token)
        return f"ClientRecipe(base_url={self.base_url!r}, api_token={token!r})"


def _mask(token: str | None) -> str:
    if not token:
        return "none"
    return f"{token[:2]}***{token[-2:]}" if len(token) > 6 else "***"
