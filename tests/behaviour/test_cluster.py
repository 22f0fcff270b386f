"""On Redis Cluster: the suite's 3-master cluster, and one-node clusters for single cases.

A script that touched a key it did not declare, or keys in two slots, fails
here with CROSSSLOT or a routing error; on a standalone server it would pass.
The behaviour suite runs every test on the 3-master cluster too (the
``*-cluster`` targets of tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import importlib
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import msgspec
import pytest
import redis
import redis.asyncio

import typedset._driver
from typedset import MsgspecCodec, PriorityStream, ScheduledSet, SortedSet
from typedset._keys import key_slot
from typedset.aio import AsyncPriorityStream, AsyncScheduledSet, AsyncSortedSet
from typedset.testing import PrivateCluster, PrivateServer


class Task(msgspec.Struct, frozen=True):
    id: int


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with PrivateServer(cluster=True) as server:
        yield server.url


def names_on_each_master(cluster: PrivateCluster, prefix: str) -> list[str]:
    """One collection name per master, each hashed to a slot that master serves."""
    found: dict[int, str] = {}
    for i in range(10_000):
        name = f"{prefix}:{i}"
        found.setdefault(cluster.node_for(name).port, name)
        if len(found) == len(cluster.masters):
            return list(found.values())
    raise AssertionError("no name found for some master")


def test_random_test_names_land_on_every_master(cluster_server: PrivateCluster) -> None:
    """The suite's collections (``test:<random>``, see conftest) are spread over all masters."""
    owners = {cluster_server.node_for(f"test:{uuid.uuid4().hex[:12]}").port for _ in range(64)}
    assert owners == {node.port for node in cluster_server.masters}


@pytest.mark.parametrize("library", ["redis", "valkey"])
def test_every_kind_works_on_every_master_and_algebra_spans_masters(
    cluster_server: PrivateCluster, library: str
) -> None:
    module = importlib.import_module(f"{library}.cluster")
    client = getattr(module, {"redis": "RedisCluster", "valkey": "ValkeyCluster"}[library])
    r = client.from_url(cluster_server.url)
    names = names_on_each_master(cluster_server, f"spread:{library}:{uuid.uuid4().hex[:6]}")
    sets = [SortedSet(r, name) for name in names]
    try:
        for i, (s, name) in enumerate(zip(sets, names, strict=True)):
            s.update_scored([(f"{name}:{j}", j) for j in range(3)])
            [lease] = s.claim()
            assert s.ack(lease)
            stream = PriorityStream(r, name + ":stream")
            stream.add("k", str(i))
            assert stream.pull() == {"k": str(i)}
        # a |= b with b on another master: b is read, then a changes in one script
        first, second, third = sets
        first |= second
        assert len(first) == 4
        first -= third
        assert len(first) == 4
        first &= second
        assert sorted(first) == sorted(second)
    finally:
        for name in names:
            for key in r.scan_iter(match=f"*{name}*"):
                r.delete(key)
        r.close()


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


class SlotlessNode(PrivateServer):
    """A cluster node that owns no slot when it starts: the target of a migration."""

    def _own_every_slot(self, sock: Any, deadline: float) -> None:
        return None


class TwoNodes:
    """Node A owns every slot but 0, which B owns so that clients know B."""

    def __init__(self) -> None:
        self.a = PrivateServer(cluster=True).start()
        self.b = SlotlessNode(cluster=True).start()
        self.ca: Any = cast(Any, self.a.client())
        self.cb: Any = cast(Any, self.b.client())
        self.ca.execute_command("CLUSTER", "MEET", "127.0.0.1", self.b.port)
        self.ca.execute_command("CLUSTER", "DELSLOTS", 0)
        self.cb.execute_command("CLUSTER", "ADDSLOTS", 0)
        deadline = time.monotonic() + 20
        while not self._formed():
            assert time.monotonic() < deadline, "the two-node cluster did not form"
            time.sleep(0.05)

    def _formed(self) -> bool:
        infos = [c.execute_command("CLUSTER", "INFO") for c in (self.ca, self.cb)]
        slots = self.ca.execute_command("CLUSTER", "SLOTS")
        return all(b"cluster_state:ok" in info for info in infos) and len(slots) == 2

    def migrating(self, key: str) -> None:
        """Put ``key``'s slot in migration from A to B: A answers ASK for keys it lacks."""
        slot = key_slot(key)
        a_id, b_id = (c.execute_command("CLUSTER", "MYID").decode() for c in (self.ca, self.cb))
        self.cb.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", a_id)
        self.ca.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", b_id)

    def on_b(self, *command: Any) -> Any:
        pipe = self.cb.pipeline(transaction=False)
        pipe.execute_command("ASKING")
        pipe.execute_command(*command)
        return pipe.execute()[1]

    def stop(self) -> None:
        for client in (self.ca, self.cb):
            client.close()
        self.b.stop()
        self.a.stop()


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[TwoNodes]:
    nodes = TwoNodes()
    yield nodes
    nodes.stop()


@pytest.mark.parametrize("library", ["redis", "valkey"])
def test_batches_follow_ask_redirects_during_a_migration(two_nodes: TwoNodes, library: str) -> None:
    """Every command of a pipelined batch goes to the importing node after ASKING.

    Only single-key commands can: while a slot migrates, the server answers
    a multi-key script (pop, take, claim: they see the leases too) with
    TRYAGAIN until its keys are together again; typedset retries that.
    """
    items = [f"i{n:05}" for n in range(5000)]  # five commands in one write
    sync_name, async_name = f"{library}:sync:{{m}}", f"{library}:async:{{m}}"
    two_nodes.migrating("{m}")
    url = two_nodes.a.url
    module: Any = importlib.import_module(library)
    cluster_class = module.RedisCluster if library == "redis" else module.ValkeyCluster
    client = cluster_class.from_url(url)
    try:
        s = SortedSet(client, sync_name)
        s.update(items)
        assert two_nodes.on_b("ZCARD", sync_name) == 5000
        assert len(s) == 5000
        assert s.score(items[3]) is not None
    finally:
        client.close()

    async def in_loop() -> None:
        async_module: Any = importlib.import_module(f"{library}.asyncio")
        async_class = (
            async_module.RedisCluster if library == "redis" else async_module.ValkeyCluster
        )
        async_client = async_class.from_url(url)
        try:
            t = AsyncSortedSet(async_client, async_name)
            await t.update(items)
            assert await t.size() == 5000
            assert await t.contains(items[3])
        finally:
            await async_client.aclose()

    asyncio.run(in_loop())
    assert two_nodes.on_b("ZCARD", async_name) == 5000


def test_connections_that_fail_to_connect_go_back_to_their_node(
    cluster_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node unreachable for a while must not use up its connections for good."""
    # Each pop waits out the outage for PATIENCE seconds before it raises: shorten it here.
    monkeypatch.setattr(typedset._driver, "PATIENCE", 0.3)

    async def main() -> None:
        client = redis.asyncio.RedisCluster.from_url(cluster_url, max_connections=3)
        s = AsyncSortedSet(client, "cluster:outage")
        try:
            await s.add("a")
            await s.discard("a")
            with monkeypatch.context() as outage:

                async def refused(self: object) -> None:
                    raise redis.ConnectionError("connection refused (injected)")

                outage.setattr(redis.asyncio.connection.Connection, "connect", refused)
                for _ in range(4):  # blocking pops open connections of their own
                    with pytest.raises(redis.ConnectionError):
                        await s.pop(timeout=0.2)
            with pytest.raises(KeyError):  # the node is back: its connections are free
                await s.pop(timeout=0.2)
        finally:
            await client.aclose()

    asyncio.run(main())
