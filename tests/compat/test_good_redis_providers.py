"""The shim's fast-depends providers, injected exactly as good-redis users inject good-redis's.

Each handler below is good-redis's documented usage with only the import
changed: the provider as a parameter default (good-redis's README) and in
``Annotated`` (its fast-depends 3 form), configured by ``REDIS_HOST`` and
``REDIS_PORT`` or by the provider's arguments; blocking handlers, asyncio
handlers, and ``AsyncRedisClientProvider``'s ``async with``. Every
``ps*`` operation runs through an injected client on a real server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import pytest
from fast_depends import inject

from typedset.compat.good_redis import (
    AsyncRedis,
    AsyncRedisClient,
    AsyncRedisClientProvider,
    AsyncRedisProvider,
    Redis,
    RedisProvider,
)
from typedset.testing import PrivateServer

R = TypeVar("R")


def call(handler: Callable[..., R], **given: Any) -> R:
    """``handler()``: fast-depends fills the parameters a type checker sees as required."""
    return handler(**given)


@pytest.fixture(scope="module")
def tcp_server() -> Iterator[PrivateServer]:
    """A server on a TCP port of its own, as good-redis's providers connect (host and port)."""
    with PrivateServer(tcp=True) as server:
        yield server


@pytest.fixture
def env(tcp_server: PrivateServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """good-redis's settings in the environment; the providers' caches emptied around each test."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(tcp_server.port))
    for cache in (RedisProvider.instance_cache, AsyncRedisProvider.instance_cache):
        cache.clear()
    yield
    for client in RedisProvider.instance_cache.values():
        client.close()
    RedisProvider.instance_cache.clear()
    AsyncRedisProvider.instance_cache.clear()
    AsyncRedisClientProvider.instance_cache.clear()  # each test closes its pools in its loop


@pytest.fixture
def stream(tcp_server: PrivateServer) -> Iterator[str]:
    value = f"task_queue:{uuid.uuid4().hex[:8]}"
    yield value
    client = tcp_server.client()
    client.delete(value, *client.keys("{" + value + "}:*"))
    client.close()


def test_a_blocking_handler_gets_the_shim_from_a_default_and_from_annotated(
    env: None, stream: str
) -> None:
    @inject
    def add_items_to_stream(redis: Redis = RedisProvider()) -> None:  # type: ignore[assignment]  # noqa: B008
        redis.psadd(name=stream, key="task_1", value="Process data", score=10)
        redis.psaddmany(name=stream, items=[("task_2", "Send email", 8), ("task_3", "Report", 12)])
        redis.psadd(name=stream, key="task_1", value="Process data", score=15, readd=True)

    @inject
    def process(redis: Annotated[Redis, RedisProvider()]) -> tuple[object, ...]:
        first = redis.pspull(name=stream, count=1, purge=True)
        kept = redis.pspull(name=stream, count=2, purge=False, expire_at=timedelta(hours=1))
        return first, kept, redis.pskeys(name=stream), redis.psvalues(name=stream)

    @inject
    def manage(redis: Annotated[Redis, RedisProvider()]) -> tuple[object, ...]:
        redis.psadd(name=stream, key="task_4", value="Clean up", score=1)
        return (
            redis.psincrement(name=stream, key="task_4", score=5),
            redis.psdecrement_all(name=stream, decrement=2),
            redis.psdeletebelowthreshold(name=stream, threshold=10),
            redis.pslen(name=stream),
            redis.psget(name=stream, key="task_4"),
            redis.psexpire(),
            redis.psdelete(name=stream),  # type: ignore[func-returns-value]
            redis.pslen(name=stream),
        )

    add_items_to_stream()
    first, kept, keys, values = call(process)
    assert first == {"task_1": b"Process data"}  # 25: 10 + 15
    assert kept == {"task_3": b"Report", "task_2": b"Send email"}
    assert keys == [b"task_2", b"task_3"]  # kept at 11 and 7, lowest first
    assert values == {"task_3": b"Report", "task_2": b"Send email"}
    increment, decremented, deleted, size, value, expired, dropped, after = call(manage)
    assert increment == 6.0
    assert decremented == 3  # task_3 9, task_2 5, task_4 4
    assert deleted == [b"task_4", b"task_2", b"task_3"]
    assert (size, value, expired, dropped, after) == (0, None, 0, None, 0)


def test_equal_settings_share_one_client_and_arguments_override_the_environment(
    env: None, tcp_server: PrivateServer, stream: str
) -> None:
    @inject
    def which(redis: Annotated[Redis, RedisProvider()]) -> Redis:
        return redis

    @inject
    def elsewhere(redis: Annotated[Redis, RedisProvider(host="127.0.0.1", port=1)]) -> Redis:
        return redis

    assert isinstance(call(which), Redis)
    assert call(which) is call(which)
    assert call(which).connection_pool.connection_kwargs["port"] == tcp_server.port
    assert call(elsewhere).connection_pool.connection_kwargs["port"] == 1
    mine = Redis(unix_socket_path=None, port=tcp_server.port)
    assert call(which, redis=mine) is mine  # a caller's own client is kept
    mine.close()


def test_redis_url_with_a_scheme_is_a_url(
    env: None, tcp_server: PrivateServer, monkeypatch: pytest.MonkeyPatch, stream: str
) -> None:
    monkeypatch.setenv("REDIS_URL", tcp_server.url)
    monkeypatch.setenv("REDIS_PORT", "1")  # would fail if it were used

    @inject
    def handler(redis: Annotated[Redis, RedisProvider()]) -> float:
        return redis.psadd(stream, "k", "v", 3)

    assert call(handler) == 3.0


def test_asyncio_handlers_get_the_shim_from_both_async_providers(env: None, stream: str) -> None:
    @inject
    async def add_items_to_stream_async(
        redis: Annotated[AsyncRedis, AsyncRedisProvider()],
    ) -> None:
        await redis.psadd(name=stream, key="task_1", value="Process data", score=10)
        await redis.psaddmany(name=stream, items=[("task_2", "Send email", 8), ("t3", "R", 12)])
        await redis.psadd(name=stream, key="task_1", value="Process data", score=15, readd=True)

    @inject
    async def process_items_from_stream_async(
        rc: AsyncRedisClient = AsyncRedisClientProvider(),  # type: ignore[assignment]  # noqa: B008
    ) -> tuple[object, ...]:
        async with rc as redis:
            first = await redis.pspull(name=stream, count=1, purge=True)
            kept = await redis.pspull(name=stream, count=2, purge=False)
            return first, kept, await redis.pskeys(name=stream), await redis.psvalues(stream)

    @inject
    async def manage(
        rc: Annotated[AsyncRedisClient, AsyncRedisClientProvider()],
    ) -> tuple[object, ...]:
        async with rc as redis:
            await redis.psadd(name=stream, key="task_4", value="Clean up", score=1)
            return (
                await redis.psincrement(name=stream, key="task_4", score=5),
                await redis.psdecrement_all(name=stream, decrement=2),
                await redis.psdeletebelowthreshold(name=stream, threshold=10),
                await redis.pslen(name=stream),
                await redis.psget(name=stream, key="task_4"),
                await redis.psexpire(),
                await redis.psdelete(name=stream),  # type: ignore[func-returns-value]
                await redis.pslen(name=stream),
            )

    async def main() -> tuple[object, ...]:
        await call(add_items_to_stream_async)
        processed = await process_items_from_stream_async()
        managed = await call(manage)
        for client in AsyncRedisProvider.instance_cache.values():
            await client.aclose()
        assert await AsyncRedisClientProvider.close() is True
        assert AsyncRedisClientProvider.instance_cache == {}
        return processed, managed

    processed, managed = asyncio.run(main())
    assert processed == (
        {"task_1": b"Process data"},
        {"t3": b"R", "task_2": b"Send email"},
        [b"task_2", b"t3"],
        {"t3": b"R", "task_2": b"Send email"},
    )
    assert managed == (6.0, 3, [b"task_4", b"task_2", b"t3"], 0, None, 0, None, 0)


def test_many_async_with_blocks_reuse_the_pool_connections(env: None, stream: str) -> None:
    @inject
    async def handler(rc: Annotated[AsyncRedisClient, AsyncRedisClientProvider()]) -> float:
        async with rc as redis:
            return await redis.psadd(stream, "k", "v")

    async def main() -> int:
        for _ in range(30):
            await call(handler)
        [client] = AsyncRedisClientProvider.instance_cache.values()
        pool = client.connection_pool
        opened = len(pool._available_connections) + len(pool._in_use_connections)
        await AsyncRedisClientProvider.close()
        return opened

    assert asyncio.run(main()) <= 2  # one per client would be 30: the blocks gave theirs back
