"""On Redis Cluster (one node owning every slot, which enforces the same-slot rules).

A script that touched a key it did not declare, or keys in two slots, fails
here with CROSSSLOT or a routing error; on a standalone server it would pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import msgspec
import pytest
import redis
import redis.asyncio

from typedset import MsgspecCodec, PriorityStream, ScheduledSet, SortedSet
from typedset.aio import AsyncPriorityStream, AsyncScheduledSet, AsyncSortedSet
from typedset.testing import PrivateServer


class Task(msgspec.Struct, frozen=True):
    id: int


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with PrivateServer(cluster=True) as server:
        yield server.url


def test_blocking_sets_work_on_a_cluster(cluster_url: str) -> None:
    client = redis.RedisCluster.from_url(cluster_url)
    try:
        s = ScheduledSet(client, "cluster:jobs", serializer=MsgspecCodec(Task))
        s.update_scored((Task(i), float(i)) for i in range(1200))
        s.add(Task(5000), -1.0)
        assert s.pop() == Task(5000)
        assert len(list(s)) == 1200
        client.zadd("cluster:jobs", {b"garbage": 0.5})
        assert s.take(3) == [Task(0), Task(1)]  # the garbage popped between is set aside
        assert [d.raw for d in s.dead_letters()] == [b"garbage"]
        assert s.requeue_dead() == 1
        s.clear()
        # sets in the same slot combine on the server; a hash tag puts them there
        a, b = SortedSet(client, "x:{t}"), SortedSet(client, "y:{t}")
        a.update(["1", "2"])
        b.update(["2", "3"])
        a |= b
        assert sorted(a) == ["1", "2", "3"]
        # sets in different slots combine through the client
        c = SortedSet(client, "elsewhere")
        c.update(["3"])
        a -= c
        assert sorted(a) == ["1", "2"]
        for each in (a, b, c):
            each.clear()
    finally:
        client.close()


def test_async_twins_work_on_a_cluster(cluster_url: str) -> None:
    async def main() -> None:
        client = redis.asyncio.RedisCluster.from_url(cluster_url)
        try:
            s = AsyncScheduledSet(client, "cluster:async", serializer=MsgspecCodec(Task))
            await s.update_scored((Task(i), float(i)) for i in range(1200))
            assert await s.pop(timeout=1) == Task(0)
            assert await s.take(2) == [Task(1), Task(2)]
            assert len([task async for task in s]) == 1197
            await s.clear()
            a = AsyncSortedSet(client, "x:{u}")
            await a.update(["1", "2"])
            await a.union_update(AsyncSortedSet(client, "y:{u}"))
            await a.difference_update(["1"])
            assert [item async for item in a] == ["2"]
            await a.clear()
        finally:
            await client.aclose()

    asyncio.run(main())


def test_priority_streams_work_on_a_cluster(cluster_url: str) -> None:
    # good-redis builds key names inside its scripts, which a cluster refuses
    client = redis.RedisCluster.from_url(cluster_url)
    try:
        s = PriorityStream(client, "cluster:feeds", serializer=MsgspecCodec(Task))
        s.add_many([(f"k{i}", Task(i), float(i)) for i in range(1200)])
        assert s.pull(2, gate=True) == {"k1199": Task(1199), "k1198": Task(1198)}
        assert s.add("k1199", Task(0)) is None
        assert s.increment("k0", 5) == 5.0
        assert s.decrement_all(1) == 1198
        assert len(s.delete_below(100)) == 101  # k0 (at 4) and k1..k100 (at 0..99)
        assert len(list(s.items())) == 1097
        assert s.pull(2000, purge=False, expire_in=0)
        assert len(s) == 0
        s.clear()
    finally:
        client.close()

    async def main() -> None:
        aclient = redis.asyncio.RedisCluster.from_url(cluster_url)
        try:
            a = AsyncPriorityStream(aclient, "cluster:async-feeds")
            assert await a.add("x", "X", 2) == 2.0
            assert await a.pull() == {"x": "X"}
            await a.clear()
        finally:
            await aclient.aclose()

    asyncio.run(main())
