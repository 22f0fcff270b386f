"""Inference cases for typedset.compat.good_redis: mypy --strict and basedpyright strict
check these (they are never run). The shim's clients keep redis-py's methods and add
good-redis's ``ps*`` ones with typed results; the providers type what they inject."""

# pyright: reportUnnecessaryTypeIgnoreComment=error

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

import redis
import redis.asyncio
from fast_depends import inject
from typing_extensions import assert_type

from typedset.compat.good_redis import (
    AsyncRedis,
    AsyncRedisClient,
    AsyncRedisClientProvider,
    AsyncRedisProvider,
    Redis,
    RedisProvider,
)
from typedset.compat.good_redis.migrate import MigrationReport, migrate


def blocking(r: Redis) -> None:
    assert_type(Redis.from_url("redis://localhost"), Redis)
    assert isinstance(r, redis.Redis)
    assert_type(r.psadd("q", "k", "v"), float)
    assert_type(r.psadd("q", b"k", b"v", 2.5, readd=True), float)
    assert_type(r.psadd(name="q", key=7, value=1.5, score=10), float)
    assert_type(r.psaddmany("q", [("a", "A", 1), (b"b", 2, 2.0)]), list[float])
    assert_type(r.pspull("q"), dict[str, bytes])
    assert_type(
        r.pspull("q", 2, purge=False, gate=True, expire_at=timedelta(hours=1)), dict[str, bytes]
    )
    assert_type(r.pspull("q", expire_at=datetime.now(timezone.utc)), dict[str, bytes])
    assert_type(r.pskeys("q"), list[bytes])
    assert_type(r.pskeys("q", desc=True), list[bytes])
    assert_type(r.pskeys("q", withscores=True), list[tuple[bytes, float]])
    assert_type(r.psvalues("q"), dict[str, bytes])
    assert_type(r.psdelete("q"), None)
    assert_type(r.psincrement("q", "k", 5), float | None)
    assert_type(r.psdeletebelowthreshold("q", 10, gate=True), list[bytes])
    assert_type(r.pslen("q"), int)
    assert_type(r.psget("q", "k"), bytes | None)
    assert_type(r.psdecrement_all("q", 2), int)
    assert_type(r.psexpire(), int)
    assert_type(migrate(r, "q", target="p", merge=True, chunk=100), MigrationReport)


async def asyncio(r: AsyncRedis) -> None:
    assert_type(AsyncRedis.from_url("redis://localhost"), AsyncRedis)
    assert isinstance(r, redis.asyncio.Redis)
    assert_type(await r.psadd("q", "k", "v", with_decay=True), float)
    assert_type(await r.psaddmany("q", [("a", "A", 1)]), list[float])
    assert_type(await r.pspull("q", count=3), dict[str, bytes])
    assert_type(await r.pskeys("q"), list[bytes])
    assert_type(await r.pskeys("q", withscores=True), list[tuple[bytes, float]])
    assert_type(await r.psvalues("q"), dict[str, bytes])
    assert_type(await r.psincrement("q", "k", 5), float | None)
    assert_type(await r.psdeletebelowthreshold("q", 1), list[bytes])
    assert_type(await r.pslen("q"), int)
    assert_type(await r.psget("q", "k"), bytes | None)
    assert_type(await r.psdecrement_all("q", 1), int)
    assert_type(await r.psexpire(), int)


@inject
def handler(redis: Annotated[Redis, RedisProvider()]) -> float:
    return redis.psadd("q", "k", "v")


@inject
async def async_handler(
    redis: Annotated[AsyncRedis, AsyncRedisProvider(host="cache")],
    rc: Annotated[AsyncRedisClient, AsyncRedisClientProvider()],
) -> float:
    async with rc as pooled:
        assert_type(pooled, AsyncRedis)
        await pooled.psadd("q", "k", "v")
    return await redis.psadd("q", "k", "v")


def providers() -> None:
    assert_type(RedisProvider.provide(port=6380), Redis)
    assert_type(RedisProvider().get(), Redis)
    assert_type(AsyncRedisProvider.provide(), AsyncRedis)
    assert_type(AsyncRedisClientProvider.provide(), AsyncRedisClient)
