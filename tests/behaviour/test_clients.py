"""Whatever client a user brings: its pool, its settings, its threads, its lifetime.

typedset sends on the connections of the client's own pool. A plain pool
lends connections to typedset for as long as a thread uses them; a pool
typedset cannot hold on to (a bounded ``BlockingConnectionPool``,
client-side caching) lends one per call, as it does to the client itself.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
import weakref
from collections import Counter
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.connection
from redis.cache import CacheConfig

from conftest import Server, Target
from typedset import PriorityStream, SortedSet
from typedset.aio import AsyncSortedSet
from typedset.testing import PrivateServer

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


def _kill_other_clients(server: Server) -> None:
    admin = server.client()
    try:
        admin.client_kill_filter(_type="normal", skipme=True)
    finally:
        admin.close()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_write(
    server: Server, name: str
) -> None:
    """Nothing ran on it, so the write goes out on a new connection: no error, run once."""
    client = server.client()
    s = SortedSet(client, name)

    async def in_loop() -> None:
        async_client = server.async_client()
        t = AsyncSortedSet(async_client, name)
        try:
            await t.add("a1", 1.0)
            _kill_other_clients(server)  # as the server's idle timeout or a restart would
            await asyncio.sleep(0.1)
            await t.add("a2", 2.0)
            assert await t.score("a2") == 2.0
        finally:
            await async_client.aclose()

    try:
        s.add("s1", 1.0)
        _kill_other_clients(server)
        s.add("s2", 2.0)
        assert s.score("s2") == 2.0
        asyncio.run(in_loop())
    finally:
        client.close()


async def _raw_add(client: redis.asyncio.Redis, name: str, member: str) -> None:
    await client.zadd(name, {member: 1.0})


def test_one_async_client_serves_one_event_loop_after_another(server: Server, name: str) -> None:
    client = redis.asyncio.Redis.from_url(server.url, max_connections=3)
    s = AsyncSortedSet(client, name)
    plain = server.client()
    try:
        for run in range(8):
            if run % 2:
                asyncio.run(_raw_add(client, name, f"raw{run}"))  # redis-py's own command
            else:
                asyncio.run(s.add(f"x{run}", float(run)))
                assert plain.zscore(name, f"x{run}") == float(run)
        # each loop's connections went back to the pool: a bounded pool is not used up
        assert len(client.connection_pool._in_use_connections) <= 1
    finally:
        plain.close()


def test_a_blocking_pop_cancelled_twice_gives_its_connection_back(
    server: Server, name: str
) -> None:
    async def scenario() -> None:
        client = redis.asyncio.Redis.from_url(server.url, max_connections=6)
        s = AsyncSortedSet(client, name)
        try:
            await s.size()  # the shared connection
            for _ in range(8):  # more than the pool could lend if any were kept
                waiting = asyncio.ensure_future(s.pop(timeout=5))
                await asyncio.sleep(0.05)  # in BZPOPMIN
                waiting.cancel()
                await asyncio.sleep(0)
                waiting.cancel()  # a second cancel, while it closes its connection
                with pytest.raises(asyncio.CancelledError):
                    await waiting
            with pytest.raises(KeyError):
                await s.pop(timeout=0.2)
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_a_health_check_interval_is_honoured(server: Server, name: str) -> None:
    client = redis.Redis.from_url(server.url, health_check_interval=1)
    try:
        s = SortedSet(client, name)
        s.add("a")
        time.sleep(1.2)  # the next call pings first, as redis-py would
        s.add("b")
        assert list(s) == ["a", "b"]
    finally:
        client.close()


def test_idle_connections_are_checked_in_a_process_with_many_open_files(
    server: Server, name: str
) -> None:
    """The check works for descriptors past 1023 (where select() cannot look)."""
    filler = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    admin = server.client()
    client = server.client()
    try:
        s = SortedSet(client, name)
        s.add("warm")
        before = admin.info("stats")["total_connections_received"]
        for i in range(50):
            s.add(f"x{i}", float(i))
        assert admin.info("stats")["total_connections_received"] == before  # no reconnects
    finally:
        for fd in filler:
            os.close(fd)
        client.close()
        admin.close()


def running_server(admin: redis.Redis) -> tuple[str, tuple[int, ...]]:
    """``("redis", (6, 2, 14))`` or ``("valkey", (9, 1, 2))``: what ``INFO server`` says
    (Valkey's ``redis_version`` stays 7.2.4; its own is ``valkey_version``)."""
    info = admin.info("server")
    product = str(info.get("server_name") or "redis")
    version = str(info.get(f"{product}_version") or info["redis_version"])
    return product, tuple(int(part) for part in version.split("."))


def test_a_client_side_caching_client_is_used_through_its_own_connections(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typedset's replies and the cache's invalidations stay apart.

    redis-py caches only for Redis 7.4 and later over TCP (it refuses other
    servers with a ``ConnectionError``); the test lets it cache for the
    private server, whatever it is: every server typedset supports (Redis
    6.2 and later, every Valkey) has what the cache needs, RESP3 and ``CLIENT
    TRACKING`` (Redis 6.0), and tracks keys the same way. Only an older one
    is skipped: it lacks them.
    """
    with PrivateServer(tcp=True) as tcp:
        admin = redis.Redis.from_url(tcp.url)
        product, version = running_server(admin)
        if version < (6, 0):
            admin.close()
            pytest.skip(f"{product} {version} has no RESP3 and CLIENT TRACKING (Redis 6.0)")
        proxy = redis.connection.CacheProxyConnection
        monkeypatch.setattr(proxy, "DEFAULT_SERVER_NAME", product)  # what HELLO will say
        monkeypatch.setattr(proxy, "MIN_ALLOWED_VERSION", "6.0.0")
        client = redis.Redis.from_url(tcp.url, protocol=3, cache_config=CacheConfig())
        try:
            admin.set("cached", "v1")
            assert client.get("cached") == b"v1"  # now in the client's cache
            cache = client.get_cache()
            assert cache is not None
            assert cache.size == 1  # the server let the client cache
            s = SortedSet(client, name)
            s.update_scored([("a", 1.0), ("b", 2.0)])
            admin.set("cached", "v2")  # the server pushes an invalidation
            time.sleep(0.05)
            s.add("c", 3.0)
            assert s.take(5) == ["a", "b", "c"]
            assert client.get("cached") == b"v2"  # the invalidation reached the cache
        finally:
            client.close()
            admin.close()
