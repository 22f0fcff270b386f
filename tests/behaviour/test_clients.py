"""Whatever client a user brings: its pool, its settings, its threads, its lifetime.

typedset sends on the connections of the client's own pool. A plain pool
lends connections to typedset for as long as a thread uses them; a pool
typedset cannot hold on to (a bounded ``BlockingConnectionPool``,
client-side caching) lends one per call, as it does to the client itself.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections import Counter
from typing import Any

import pytest
import redis
import redis.asyncio

from conftest import Server, Target
from typedset import PriorityStream, SortedSet
from typedset.aio import AsyncSortedSet

THREADS = 16
PER_THREAD = 300


def _share_between_threads(client: redis.Redis, name: str) -> Counter[str]:
    """Every thread adds its items and takes some; what was taken, counted."""
    taken: Counter[str] = Counter()
    lock = threading.Lock()

    def work(me: int) -> None:
        s = SortedSet(client, name)
        mine = []
        for i in range(PER_THREAD):
            s.add(f"{me}:{i}", float(i))
            mine += s.take(1)
        with lock:
            taken.update(mine)

    threads = [threading.Thread(target=work, args=(me,)) for me in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rest = SortedSet(client, name).take(THREADS * PER_THREAD)
    taken.update(rest)
    return taken


def test_threads_share_one_client_and_each_item_is_taken_once(server: Server, name: str) -> None:
    client = server.client()
    try:
        taken = _share_between_threads(client, name)
        assert sum(taken.values()) == THREADS * PER_THREAD
        assert max(taken.values()) == 1
    finally:
        client.close()


def test_a_bounded_blocking_pool_is_never_starved(server: Server, name: str) -> None:
    pool = redis.BlockingConnectionPool.from_url(server.url, max_connections=2, timeout=5)
    client = redis.Redis(connection_pool=pool)
    try:
        taken = _share_between_threads(client, name)
        assert sum(taken.values()) == THREADS * PER_THREAD
        assert max(taken.values()) == 1
        assert client.ping()  # typedset gave every connection back
        s = SortedSet(client, name)
        s.add("late")
        assert s.pop(timeout=1) == "late"  # a blocking pop borrows one too
    finally:
        client.close()


class NotASocket:
    """A connection class of the user's that typedset cannot see a socket in.

    Like redis-py's client-side caching wrapper, it only offers the
    connection methods; typedset then sends and reads through those.
    """

    def __init__(self, **kwargs: Any) -> None:
        inner: Any = redis.UnixDomainSocketConnection if "path" in kwargs else redis.Connection
        self._inner = inner(**kwargs)
        self.reads = 0

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self._inner.read_response(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_sock":
            raise AttributeError(attr)
        return getattr(self._inner, attr)


def test_a_connection_without_a_socket_is_used_through_its_own_methods(
    server: Server, name: str
) -> None:
    kwargs = redis.Redis.from_url(server.url).connection_pool.connection_kwargs
    pool = redis.ConnectionPool(connection_class=NotASocket, **kwargs)
    client = redis.Redis(connection_pool=pool)
    try:
        s = SortedSet(client, name)
        s.update_scored([("a", 1.0), ("b", 2.0)])
        s.add("c", 3.0)
        assert s.score("a") == 1.0
        assert list(s) == ["a", "b", "c"]
        assert s.take(5) == ["a", "b", "c"]
        client.set(name, "wrong type")
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            s.add("x")
        stream = PriorityStream(client, f"{{{name}}}:s")  # in the cleaned-up keys
        stream.add("k", "v", 2)
        assert stream.pull() == {"k": "v"}
        used = [conn for conn in pool._available_connections if isinstance(conn, NotASocket)]
        assert sum(conn.reads for conn in used) >= 8  # typedset read through them
    finally:
        client.close()


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_dropped_client_and_its_collections_are_freed(
    target: Target, name: str, flavour: str
) -> None:
    refs: list[weakref.ref[object]] = []
    if flavour == "sync":
        client = target.client()
        s = SortedSet(client, name)
        s.add("a")
        s.discard("a")
        refs += [weakref.ref(client), weakref.ref(s)]
        client.close()
        del client, s
    else:

        async def use() -> None:
            client = target.async_client()
            s = AsyncSortedSet(client, name)
            await s.add("a")
            await s.discard("a")
            refs.extend([weakref.ref(client), weakref.ref(s)])
            await client.aclose()

        asyncio.run(use())
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


class AppClient(redis.Redis):
    """A client class of the user's own, in the user's own module."""


def test_a_subclass_of_a_client_in_another_module_is_that_librarys_client(
    server: Server, name: str
) -> None:
    client = AppClient(connection_pool=redis.ConnectionPool.from_url(server.url))
    try:
        s = SortedSet(client, name)
        s.add("a")
        assert s.pop() == "a"
    finally:
        client.close()
