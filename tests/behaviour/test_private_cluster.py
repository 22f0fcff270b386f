"""PrivateCluster: a real cluster of three masters, started, resharded, failed over, torn down.

A cluster takes about 2 s to start (a server keeps a new master out of
``cluster_state:ok`` for its first 2 s), so the tests that do not change
its shape share one.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from typedset import PriorityStream, SortedSet
from typedset.testing import ClusterNode, PrivateCluster

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes only")

WAIT = 30.0  # seconds for a child to start its cluster
GONE = 5.0  # seconds for an orphaned node to be killed


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    with PrivateCluster() as cluster:
        yield cluster


def names_on_each_master(cluster: PrivateCluster, prefix: str) -> dict[str, ClusterNode]:
    """One collection name per master: ``{name: the master serving it}``."""
    found: dict[str, ClusterNode] = {}
    masters = cluster.masters
    for n in range(1000):
        name = f"{prefix}{n}"
        owner = cluster.node_for(name)
        if owner not in found.values():
            found[name] = owner
        if len(found) == len(masters):
            return found
    raise AssertionError("no name found for some master")


def keys_in_slot(node: ClusterNode, slot: int) -> set[bytes]:
    reply = node.command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    assert isinstance(reply, list)
    return {key for key in reply if isinstance(key, bytes)}


def alive(pid: int) -> bool:
    """Whether ``pid`` is running; a zombie is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return sys.platform != "linux"
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("replicas", [0, 1], ids=["no-replicas", "one-replica-each"])
def test_a_cluster_starts_healthy_with_three_masters(
    replicas: int, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with PrivateCluster(replicas=replicas) as cluster:
        record_property("started_in", cluster.started_in)
        with capsys.disabled():
            print(f"\nPrivateCluster(replicas={replicas}) started in {cluster.started_in:.2f} s")
        assert 0 < cluster.started_in < 30  # a sanity check, not a benchmark
        masters = cluster.masters
        assert len(masters) == 3
        assert len(cluster.nodes) == 3 * (1 + replicas)
        assert [len(cluster.replicas_of(master)) for master in masters] == [replicas] * 3
        slots = [master.slots for master in masters]
        assert sorted(len(each) for each in slots) == [5461, 5461, 5462]
        assert frozenset().union(*slots) == frozenset(range(16384))
        assert all(replica.slots == frozenset() for replica in cluster.replicas)
        client = redis.RedisCluster.from_url(cluster.url)
        try:
            primaries: list[Any] = cast(Any, client).get_primaries()  # unannotated in redis-py
            seen = {node.port for node in primaries}
        finally:
            client.close()
        assert seen == {master.port for master in masters}


def test_keys_of_different_masters_land_on_different_nodes(cluster: PrivateCluster) -> None:
    names = names_on_each_master(cluster, "spread:")
    client = redis.RedisCluster.from_url(cluster.url)
    try:
        for name in names:
            client.set(name, b"here")
    finally:
        client.close()
    assert len(set(names.values())) == 3
    for name, owner in names.items():
        slot = cluster.slot_of(name)
        assert owner.command("GET", name) == b"here"
        for other in cluster.masters:
            if other is not owner:
                assert other.command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0


@pytest.mark.parametrize("library", ["redis", "valkey"])
def test_collections_on_different_masters_work_through_each_cluster_client(
    cluster: PrivateCluster, library: str
) -> None:
    module: Any = importlib.import_module(f"{library}.cluster")
    cluster_class = module.RedisCluster if library == "redis" else module.ValkeyCluster
    client = cluster_class.from_url(cluster.url)
    set_name, stream_name = list(names_on_each_master(cluster, f"{library}:kinds:"))[:2]
    try:
        jobs = SortedSet(client, set_name)
        jobs.update(["a", "b", "c"])
        assert jobs.pop() == "a"
        assert sorted(jobs) == ["b", "c"]
        feeds = PriorityStream(client, stream_name)
        feeds.add("x", "apple", 1)
        feeds.add("y", "banana", 5)
        assert feeds.pull() == {"y": "banana"}
        assert dict(feeds.items()) == {"x": "apple"}
    finally:
        client.close()
    assert cluster.node_for(set_name) is not cluster.node_for(stream_name)
    assert cluster.node_for(set_name).command("ZCARD", set_name) == 2
    stream_owner = cluster.node_for(stream_name)
    assert stream_owner.command("HGET", f"{{{stream_name}}}:values", "x") is not None


def test_migrate_slot_moves_a_collection_with_all_its_keys(cluster: PrivateCluster) -> None:
    client = redis.RedisCluster.from_url(cluster.url)
    try:
        feeds = PriorityStream(client, "moving:feeds")
        feeds.add_many((f"k{n}", f"v{n}", float(n)) for n in range(50))
        feeds.pull(2)  # a cool-down key besides the ZSET and the values
        slot = cluster.slot_of("moving:feeds")
        source = cluster.owner(slot)
        keys = keys_in_slot(source, slot)
        assert {b"moving:feeds", b"{moving:feeds}:values", b"{moving:feeds}:cooling"} <= keys
        target = next(master for master in cluster.masters if master is not source)
        cluster.migrate_slot(slot, to=target)
        assert cluster.owner(slot) is target
        assert keys_in_slot(target, slot) == keys
        assert keys_in_slot(source, slot) == set()
        assert len(feeds) == 48
        assert feeds["k40"] == "v40"
        assert feeds.pull() is not None
    finally:
        client.close()


def test_a_slot_can_be_held_mid_migration(cluster: PrivateCluster) -> None:
    slot = cluster.slot_of("{held}")
    client = redis.RedisCluster.from_url(cluster.url)
    try:
        for n in range(5):
            client.set(f"{{held}}:{n}", n)
        source = cluster.owner(slot)
        target = next(master for master in cluster.masters if master is not source)
        assert cluster.begin_migration(slot, to=target)
        assert cluster.move_keys(slot, limit=2) == 2
        assert len(keys_in_slot(source, slot)) == 3
        assert len(keys_in_slot(target, slot)) == 2
        assert cluster.owner(slot) is source  # until finished
        assert sorted(int(client.get(f"{{held}}:{n}") or -1) for n in range(5)) == [0, 1, 2, 3, 4]
        cluster.finish_migration(slot)
        assert cluster.owner(slot) is target
        assert len(keys_in_slot(target, slot)) == 5
        assert client.get("{held}:4") == b"4"
        assert not cluster.begin_migration(slot, to=target)  # already there
    finally:
        client.close()


def test_stop_leaves_no_node_running() -> None:
    cluster = PrivateCluster(replicas=1).start()
    pids = [node.pid for node in cluster.nodes]
    assert all(alive(pid) for pid in pids)
    cluster.stop()
    cluster.stop()  # a no-op
    assert not any(alive(pid) for pid in pids)
    assert not any(node.alive for node in cluster.nodes)


# A child that starts a cluster (from the main thread or another one), reports its
# nodes' pids and directories, then sleeps until it is killed.
CHILD = """
import json, sys, threading, time
from typedset.testing import PrivateCluster

clusters = []
if sys.argv[1] == "thread":
    thread = threading.Thread(target=lambda: clusters.append(PrivateCluster().start()))
    thread.start()
    thread.join()  # the starting thread is gone: the nodes must not go with it
else:
    clusters.append(PrivateCluster().start())
nodes = [{"pid": node.pid, "dir": node._dir.name} for node in clusters[0].nodes]
print(json.dumps(nodes), flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("thread", ["main", "thread"])
def test_a_killed_process_takes_its_cluster_along(thread: str) -> None:
    argv = [sys.executable, "-c", textwrap.dedent(CHILD), thread]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    nodes: list[dict[str, Any]] = []
    try:
        assert child.stdout is not None
        ready = select.select([child.stdout], [], [], WAIT)[0]
        assert ready, "the child did not report its cluster in time"
        line = child.stdout.readline()
        if not line:
            stderr = child.stderr.read().decode() if child.stderr else ""
            pytest.fail(f"the child exited early:\n{stderr}")
        nodes = json.loads(line)
        assert len(nodes) == 3
        assert all(alive(node["pid"]) for node in nodes)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
        pids = [int(node["pid"]) for node in nodes]
        killed = gone_within(pids, GONE)
        for pid in pids:  # the feature is broken: do not leave orphans behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert killed, "a node outlived its SIGKILLed parent"
    if thread == "thread" or sys.platform != "linux":  # the watchdogs clean up too
        directories = [Path(node["dir"]) for node in nodes]
        assert all(d.parent == Path(tempfile.gettempdir()) for d in directories)
        deadline = time.monotonic() + GONE
        while any(d.exists() for d in directories):
            assert time.monotonic() < deadline, "a watchdog left a directory behind"
            time.sleep(0.05)


def test_failover_promotes_the_replica_and_keeps_the_data() -> None:
    with PrivateCluster(replicas=1) as cluster:
        client = redis.RedisCluster.from_url(cluster.url)
        try:
            jobs = SortedSet(client, "failing:jobs")
            jobs.update(["a", "b", "c"])
            master = cluster.node_for("failing:jobs")
            master.command("WAIT", 1, 5000)  # the replica has every write
            replica = cluster.replicas_of(master)[0]
            assert cluster.failover(master) is replica
            assert replica.role == "master"
            assert master.role == "replica"
            assert cluster.node_for("failing:jobs") is replica
            assert cluster.replicas_of(replica) == [master]
            assert sorted(jobs) == ["a", "b", "c"]
            assert jobs.pop() == "a"
        finally:
            client.close()


def test_a_killed_master_is_replaced_by_its_replica() -> None:
    with PrivateCluster(replicas=1) as cluster:
        client = redis.RedisCluster.from_url(cluster.url)
        try:
            client.set("doomed", b"kept")
        finally:
            client.close()
        master = cluster.node_for("doomed")
        assert master.command("WAIT", 1, 5000) == 1
        replica = cluster.replicas_of(master)[0]
        cluster.kill(master)
        assert not master.alive
        cluster.wait_healthy()
        assert cluster.node_for("doomed") is replica
        assert len(cluster.masters) == 3
        assert master in cluster.nodes  # still listed, as a dead node
        client = redis.RedisCluster.from_url(cluster.url)
        try:
            assert client.get("doomed") == b"kept"
        finally:
            client.close()
