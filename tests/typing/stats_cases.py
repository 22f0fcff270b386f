"""What the checkers infer for stats() on every kind, twin and model: each line is checked."""

from __future__ import annotations

import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset._stats import ExpiringStats, SetStats, Stats, StreamStats
from typedset.aio import AsyncPriorityStream, AsyncScheduledSet, AsyncSortedSet
from typedset.expiring_set import AsyncExpiringSet, ExpiringSet
from typedset.testing import MemoryPriorityStream, MemoryScheduledSet, MemorySortedSet
from typedset.testing.aio_model import AsyncMemorySortedSet
from typedset.testing.aio_stream_model import AsyncMemoryPriorityStream
from typedset.testing.expiring_model import AsyncMemoryExpiringSet, MemoryExpiringSet


def blocking(r: redis.Redis) -> None:
    stats = SortedSet(r, "jobs").stats()
    assert_type(stats, SetStats)
    assert_type(stats.pending, int)
    assert_type(stats.due, int)
    assert_type(stats.leased, int)
    assert_type(stats.dead_letters, int)
    assert_type(stats.periodic, int)
    assert_type(stats.oldest_score, float | None)
    assert_type(stats.oldest_age, float | None)
    assert_type(stats.next_due, float | None)
    assert_type(stats.at, float)
    assert_type(TimeSortedSet(r, "t").stats(), SetStats)
    assert_type(ScheduledSet(r, "s").stats(), SetStats)
    stream = PriorityStream(r, "p").stats()
    assert_type(stream, StreamStats)
    assert_type(stream.items, int)
    assert_type(stream.gated, int)
    assert_type(stream.cooling, int)
    assert_type(stream.highest_priority, float | None)
    expiring = ExpiringSet(r, "e", ttl=60).stats()
    assert_type(expiring, ExpiringStats)
    assert_type(expiring.live, int)
    assert_type(expiring.expired, int)
    assert_type(expiring.next_expiry, float | None)
    assert_type(expiring.latest_expiry, float | None)
    every: list[Stats] = [stats, stream, expiring]  # one base for dashboards and exporters
    assert_type(every[0].dead_letters, int)


async def asynchronous(ar: redis.asyncio.Redis) -> None:
    assert_type(await AsyncSortedSet(ar, "jobs").stats(), SetStats)
    assert_type(await AsyncScheduledSet(ar, "s").stats(), SetStats)
    assert_type(await AsyncPriorityStream(ar, "p").stats(), StreamStats)
    assert_type(await AsyncExpiringSet(ar, "e", ttl=60).stats(), ExpiringStats)


async def models() -> None:
    assert_type(MemorySortedSet().stats(), SetStats)
    assert_type(MemoryScheduledSet().stats(), SetStats)
    assert_type(MemoryPriorityStream().stats(), StreamStats)
    assert_type(MemoryExpiringSet(ttl=60).stats(), ExpiringStats)
    assert_type(await AsyncMemorySortedSet().stats(), SetStats)
    assert_type(await AsyncMemoryPriorityStream().stats(), StreamStats)
    assert_type(await AsyncMemoryExpiringSet(ttl=60).stats(), ExpiringStats)
