"""Each operation costs the round trips its docstring says, counted at the socket."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from conftest import Flavour
from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet


class Counting:
    """Counts writes to a client's sockets: each is one round trip (a pipeline is one write)."""

    sends = 0

    def __init__(self, target: Any) -> None:
        self._target = target

    def sendall(self, data: bytes) -> None:
        Counting.sends += 1
        self._target.sendall(data)

    def write(self, data: bytes) -> None:
        Counting.sends += 1
        self._target.write(data)

    def writelines(self, data: Any) -> None:
        Counting.sends += 1
        self._target.writelines(data)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target, attr)


class CountingUnix(redis.UnixDomainSocketConnection):
    def _connect(self) -> Any:
        return Counting(super()._connect())  # type: ignore[no-untyped-call]


class CountingTcp(redis.Connection):
    def _connect(self) -> Any:
        return Counting(super()._connect())  # type: ignore[no-untyped-call]


class AsyncCountingUnix(redis.asyncio.UnixDomainSocketConnection):
    async def _connect(self) -> None:
        await super()._connect()  # type: ignore[no-untyped-call]
        self._writer = Counting(self._writer)  # type: ignore[assignment]


class AsyncCountingTcp(redis.asyncio.Connection):
    async def _connect(self) -> None:
        await super()._connect()  # type: ignore[no-untyped-call]
        self._writer = Counting(self._writer)  # type: ignore[assignment]


#: Round trips are typedset's, whatever the client: count them on redis-py, standalone.
pytestmark = pytest.mark.parametrize("target", ["redis"], indirect=True)


@pytest.fixture
def counted(flavour: Flavour, plain: redis.Redis) -> Iterator[redis.Redis]:
    """A counting blocking client; the flavour's asyncio twins count too."""
    kwargs = plain.connection_pool.connection_kwargs
    unix = "path" in kwargs
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=CountingUnix if unix else CountingTcp, **kwargs
        )
    )
    flavour.clients[()] = redis.asyncio.Redis(
        connection_pool=redis.asyncio.ConnectionPool(
            connection_class=AsyncCountingUnix if unix else AsyncCountingTcp, **kwargs
        )
    )
    yield client
    client.close()


def trips(action: Callable[[], object]) -> int:
    action()  # warm: loads scripts, opens the connection
    before = Counting.sends
    action()
    return Counting.sends - before


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet, ScheduledSet])
def test_single_item_operations_take_one_round_trip(
    flavour: Flavour, counted: redis.Redis, name: str, kind: type[SortedSet[str]]
) -> None:
    s = flavour(kind(counted, name))
    s.update_scored([(f"i{i}", 0.0) for i in range(100)])
    assert trips(lambda: s.add("x")) == 1
    assert trips(lambda: s.add("y", 5)) == 1
    assert trips(lambda: s.pop()) == 1
    assert trips(lambda: s.take(10)) == 1
    assert trips(lambda: s.score("i50")) == 1
    assert trips(lambda: "i50" in s) == 1
    assert trips(lambda: len(s)) == 1
    assert trips(lambda: s.peek()) == 1
    assert trips(lambda: s.peek_score()) == 1
    assert trips(lambda: s.increment("i60", 1)) == 1
    assert trips(lambda: s.discard("i61")) == 1


def test_scheduled_pop_and_take_are_one_round_trip_with_future_items(
    flavour: Flavour, counted: redis.Redis, name: str
) -> None:
    s = flavour(ScheduledSet(counted, name))
    s.update_scored([(f"f{i}", time.time() + 3600) for i in range(10)])
    s.update_scored([(f"d{i}", 0.0) for i in range(100)])
    assert trips(lambda: s.pop()) == 1
    assert trips(lambda: s.take(5)) == 1
    assert trips(lambda: s.available()) == 1


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet])
def test_update_of_10000_items_takes_at_most_10_round_trips(
    flavour: Flavour, counted: redis.Redis, name: str, kind: type[SortedSet[str]]
) -> None:
    s = flavour(kind(counted, name))
    s.add("warm")  # load scripts
    before = Counting.sends
    s.update(f"item{i}" for i in range(10_000))
    assert Counting.sends - before <= 10
    assert len(s) == 10_001


def test_iteration_takes_one_round_trip_per_page(
    flavour: Flavour, counted: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(counted, name))
    s.update(f"{i:05}" for i in range(1200))
    # Not list(s): list() asks len() first, which is a round trip of its own.
    assert trips(lambda: sum(1 for _ in s)) == 3  # pages of 500


def test_every_stream_operation_takes_one_round_trip(
    flavour: Flavour, counted: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(counted, name))
    s.add_many([(f"k{i}", "v", float(i)) for i in range(2000)])
    batch = [(f"n{i}", "v", 1.0) for i in range(1000)]
    assert trips(lambda: s.add_many(batch)) == 1
    assert trips(lambda: s.add("x", "v", 2)) == 1
    assert trips(lambda: s.pull(100)) == 1
    assert trips(lambda: s.pull(100, purge=False, gate=True)) == 1
    assert trips(lambda: s.increment("k5", 1)) == 1
    assert trips(lambda: s.decrement_all(0.5)) == 1
    assert trips(lambda: s.delete_below(-100)) == 1
    assert trips(lambda: s["k7"]) == 1
    assert trips(lambda: s.priority("k7")) == 1
    assert trips(lambda: "k7" in s) == 1
    assert trips(lambda: len(s)) == 1
    assert trips(lambda: s.expire()) == 1
