"""``durability=Durability(...)``: a write that returned is on the replicas, or the caller is told.

A private master with one replica (``--replicaof``) of our own. Each test
checks the replica directly, right after the call returned: with
``Durability(replicas=1)`` the write is there. A replica stopped with
SIGSTOP (or more replicas asked for than exist) makes the call raise
:class:`~typedset.DurabilityError` after the write was applied, with the
call's result attached, so a ``pop`` never loses its item to the error.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from typedset import (
    Durability,
    DurabilityError,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset.aio import AsyncPriorityStream, AsyncSortedSet
from typedset.testing import MemorySortedSet, PrivateServer

ONE = Durability(replicas=1, timeout=2.0)


class Pair:
    """A master and its replica, both ours."""

    def __init__(self, master: PrivateServer, replica: PrivateServer) -> None:
        self.master = master
        self.replica = replica

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.master.url)

    def replica_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.replica.url)


def _linked(replica: redis.Redis) -> bool:
    info: dict[str, Any] = replica.info("replication")
    return bool(info.get("master_link_status") == "up")


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with PrivateServer(tcp=True, args=["--appendonly", "yes"]) as master:
        args = ["--replicaof", "127.0.0.1", str(master.port), "--appendonly", "yes"]
        with PrivateServer(tcp=True, args=args) as replica:
            watcher = redis.Redis.from_url(replica.url)
            deadline = time.monotonic() + 15
            while not _linked(watcher):
                assert time.monotonic() < deadline, "the replica did not link to its master"
                time.sleep(0.05)
            watcher.close()
            yield Pair(master, replica)


@pytest.fixture
def key() -> str:
    return f"durable:{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet, ScheduledSet])
def test_every_write_that_returned_is_on_the_replica(
    pair: Pair, key: str, kind: type[SortedSet[str]]
) -> None:
    r, seen = pair.client(), pair.replica_client()
    s = kind(r, key, durability=ONE)
    assert s.durability == ONE
    s.add("a", 1)
    assert seen.zscore(key, "a") == 1.0
    s.update_scored([("b", 2), ("c", 3)])
    assert seen.zcard(key) == 3
    assert s.pop() == "a"
    assert seen.zscore(key, "a") is None
    [lease] = s.claim(ttl=30)
    assert seen.zscore(f"{{{key}}}:leased", b"b") is not None or lease.item == "c"
    assert s.ack(lease)
    assert s.take(5) == ["c" if lease.item == "b" else "b"]
    assert seen.exists(key) == 0
    r.close()
    seen.close()


def test_a_stream_write_that_returned_is_on_the_replica(pair: Pair, key: str) -> None:
    r, seen = pair.client(), pair.replica_client()
    stream = PriorityStream(r, key, durability=ONE)
    assert stream.add("k", "v", 2.0) == 2.0
    assert seen.zscore(key, "k") == 2.0
    assert stream.pull() == {"k": "v"}
    assert seen.zscore(key, "k") is None
    r.close()
    seen.close()


def test_asyncio_twins_wait_too(pair: Pair, key: str) -> None:
    seen = pair.replica_client()

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(pair.master.url)
        s = AsyncSortedSet(client, key, durability=ONE)
        await asyncio.gather(*(s.add(str(i), i) for i in range(50)))
        assert seen.zcard(key) == 50
        stream = AsyncPriorityStream(client, key + ":s", durability=ONE)
        await stream.add("k", "v")
        assert seen.zscore(key + ":s", "k") == 1.0
        await client.aclose()

    asyncio.run(main())
    seen.close()


def test_more_replicas_than_exist_raise_after_the_write_with_the_result(
    pair: Pair, key: str
) -> None:
    r = pair.client()
    s = SortedSet(r, key, durability=Durability(replicas=2, timeout=0.05))
    with pytest.raises(DurabilityError, match="confirmed by 1 of 2 replica") as raised:
        s.add("a", 1)
    assert raised.value.result is True  # add applied: "a" went in
    assert (raised.value.replicas, raised.value.wanted) == (1, 2)
    assert r.zscore(key, "a") == 1.0  # applied: the error says so, it is not undone
    with pytest.raises(DurabilityError) as raised:
        s.pop()
    assert raised.value.result == "a"  # the popped item is not lost with the error
    r.close()


def test_a_stopped_replica_is_reported_and_a_write_after_it_resumes_returns(
    pair: Pair, key: str
) -> None:
    r, seen = pair.client(), pair.replica_client()
    s = SortedSet(r, key, durability=Durability(replicas=1, timeout=0.2))
    os.kill(pair.replica.pid, signal.SIGSTOP)
    try:
        with pytest.raises(DurabilityError, match="confirmed by 0 of 1") as raised:
            s.add("late", 1)
        assert raised.value.replicas == 0
    finally:
        os.kill(pair.replica.pid, signal.SIGCONT)
    s.add("on-time", 2)  # the replica caught up: this one is confirmed
    assert seen.zscore(key, "on-time") == 2.0
    assert seen.zscore(key, "late") == 1.0
    r.close()
    seen.close()


def test_aof_durability_waits_for_the_masters_disk_and_the_replicas(pair: Pair, key: str) -> None:
    r = pair.client()
    if r.info("server").get("redis_version", "0") < "7.2":
        pytest.skip("WAITAOF needs Redis/Valkey 7.2+")  # a server-matrix run on 6.2
    s = SortedSet(r, key, durability=Durability(replicas=1, timeout=2.0, aof=True))
    s.add("a", 1)
    assert s.pop() == "a"
    r.close()


def test_aof_durability_without_appendonly_is_refused_by_the_server_and_reported(
    key: str,
) -> None:
    with PrivateServer() as alone:
        r = alone.client()
        s = SortedSet(r, key, durability=Durability(replicas=0, aof=True))
        with pytest.raises(DurabilityError, match="refused the wait") as raised:
            s.add("a", 1)
        assert raised.value.result is True
        assert r.zscore(key, "a") == 1.0
        r.close()


def test_a_write_returns_only_once_a_slow_replica_has_it(pair: Pair, key: str) -> None:
    """The replica is stopped when the write is sent and resumed 0.3 s later: the call waits."""
    r, seen = pair.client(), pair.replica_client()
    s = SortedSet(r, key, durability=Durability(replicas=1, timeout=5.0))
    s.add("warm", 0)  # the name's marker is written (and waited for) before the pause
    os.kill(pair.replica.pid, signal.SIGSTOP)
    resume = threading.Timer(0.3, os.kill, (pair.replica.pid, signal.SIGCONT))
    started = time.monotonic()
    resume.start()
    try:
        s.add("a", 1)
    finally:
        resume.join()
    assert time.monotonic() - started >= 0.3
    assert seen.zscore(key, "a") == 1.0
    r.close()
    seen.close()


def test_a_wait_longer_than_the_clients_socket_timeout_is_not_a_lost_connection(
    pair: Pair, key: str
) -> None:
    """The reply of a write and its WAIT may take the wait's timeout: the read allows for it."""
    r = redis.Redis.from_url(pair.master.url, socket_timeout=0.2)
    s = SortedSet(r, key, durability=Durability(replicas=1, timeout=3.0))
    s.add("warm", 0)
    os.kill(pair.replica.pid, signal.SIGSTOP)
    resume = threading.Timer(0.6, os.kill, (pair.replica.pid, signal.SIGCONT))
    resume.start()
    try:
        s.add("a", 1)  # waits 0.6 s for the replica, three times the socket timeout
    finally:
        resume.join()
    assert r.zscore(key, "a") == 1.0
    r.close()


def test_asyncio_waits_do_not_hold_up_other_calls_on_the_client(pair: Pair, key: str) -> None:
    """A durable write waits on a connection of its own, not the shared pipeline."""

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(pair.master.url, socket_timeout=0.3)
        durable_set = AsyncSortedSet(client, key, durability=Durability(replicas=1, timeout=3.0))
        plain_set = AsyncSortedSet(client, key + ":plain")
        await durable_set.add("warm", 0)
        await plain_set.add("warm", 0)
        os.kill(pair.replica.pid, signal.SIGSTOP)
        try:
            waiting = asyncio.gather(*(durable_set.add(f"d{i}", i) for i in range(5)))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            for i in range(20):  # answered at once while the durable adds wait
                await plain_set.add(f"p{i}", i)
            assert time.monotonic() - started < 0.25
            assert not waiting.done()
        finally:
            os.kill(pair.replica.pid, signal.SIGCONT)
        await waiting
        assert await durable_set.size() == 6
        await client.aclose()

    asyncio.run(main())


def test_a_slow_server_is_given_the_clients_own_read_timeout(pair: Pair, key: str) -> None:
    """A short durability timeout never shortens the client's socket timeout: a master that
    stalls for longer than the wait (but not the client's timeout) loses no popped item."""
    r = redis.Redis.from_url(pair.master.url, socket_timeout=10)
    s = SortedSet(r, key, durability=Durability(replicas=0, timeout=0.1))
    s.add("job", 1)
    os.kill(pair.master.pid, signal.SIGSTOP)
    resume = threading.Timer(1.5, os.kill, (pair.master.pid, signal.SIGCONT))
    resume.start()
    try:
        assert s.pop() == "job"
    finally:
        resume.join()
    r.close()


def test_a_pop_cancelled_while_its_wait_runs_puts_its_item_back(pair: Pair, key: str) -> None:
    """BZPOPMIN took the item, the WAIT behind it is waiting for a stopped replica, and the
    caller is cancelled: the item goes back."""
    plain = pair.client()

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(pair.master.url)
        s = AsyncSortedSet(client, key, durability=Durability(replicas=1, timeout=3.0))
        await s.add("warm", 0)
        assert await s.pop() == "warm"
        os.kill(pair.replica.pid, signal.SIGSTOP)
        try:
            waiting = asyncio.create_task(s.pop(timeout=5))
            await asyncio.sleep(0.3)  # blocked in BZPOPMIN
            plain.zadd(key, {"job": 5})
            await asyncio.sleep(0.3)  # popped; its WAIT waits for the stopped replica
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        finally:
            os.kill(pair.replica.pid, signal.SIGCONT)
        deadline = time.monotonic() + 5
        while plain.zscore(key, "job") is None:
            assert time.monotonic() < deadline, "the popped item was not put back"
            await asyncio.sleep(0.05)
        assert plain.zscore(key, "job") == 5.0
        await client.aclose()

    asyncio.run(main())
    plain.close()


@pytest.mark.parametrize("asyncio_twin", [False, True])
def test_a_waiting_pop_is_confirmed_too(pair: Pair, key: str, asyncio_twin: bool) -> None:
    """An item that arrives while a durable pop waits is popped by a script, not BZPOPMIN:
    a WAIT does not count a BZPOPMIN the server served later (the popping client's write
    offset stays where it was), so the replica's confirmation would be skipped."""
    plain = pair.client()
    durability = Durability(replicas=1, timeout=0.5)

    def pop() -> object:
        if not asyncio_twin:
            return SortedSet(plain, key, durability=durability).pop(timeout=5)

        async def main() -> object:
            client = redis.asyncio.Redis.from_url(pair.master.url)
            try:
                return await AsyncSortedSet(client, key, durability=durability).pop(timeout=5)
            finally:
                await client.aclose()

        return asyncio.run(main())

    add_later = threading.Timer(0.3, plain.zadd, (key, {"job": 5}))
    os.kill(pair.replica.pid, signal.SIGSTOP)
    add_later.start()
    try:
        with pytest.raises(DurabilityError, match="confirmed by 0 of 1") as raised:
            pop()
    finally:
        add_later.join()
        os.kill(pair.replica.pid, signal.SIGCONT)
    assert raised.value.result == "job"
    plain.close()


def test_without_durability_nothing_waits(pair: Pair, key: str) -> None:
    r = pair.client()
    s = SortedSet(r, key)
    assert s.durability is None
    os.kill(pair.replica.pid, signal.SIGSTOP)
    try:
        s.add("a", 1)  # returns although no replica has it
    finally:
        os.kill(pair.replica.pid, signal.SIGCONT)
    r.close()


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (lambda: Durability(replicas=-1), ValueError),
        (lambda: Durability(replicas=True), ValueError),
        (lambda: Durability(timeout=0), ValueError),
        (lambda: Durability(timeout=float("inf")), ValueError),
        (lambda: Durability(aof="yes"), TypeError),  # type: ignore[arg-type]
        (lambda: SortedSet(redis.Redis(port=1), "x", durability=1), TypeError),  # type: ignore[call-overload]
        (lambda: MemorySortedSet(durability="1"), TypeError),  # type: ignore[call-overload]
    ],
)
def test_bad_durability_settings_are_refused_when_made(
    given: Callable[[], object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        given()


def test_the_models_keep_the_setting_for_parity() -> None:
    model = MemorySortedSet(durability=ONE)
    assert model.durability == ONE
    model.add("a")
    assert model.pop() == "a"
