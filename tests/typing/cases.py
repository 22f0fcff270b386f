"""Inference cases: mypy --strict and basedpyright strict check these (they are never run).

The element type comes from the serializer; no annotation is needed. Each
valid use has an ``assert_type`` that both checkers verify; both report 0
errors on this file (tests/test_static.py). The mistakes a user can make are
in errors/, each marked with the error both checkers must report.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=error

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import (
    BytesCodec,
    DeadLetter,
    JsonCodec,
    Lease,
    MsgspecCodec,
    NamedTupleCodec,
    NamedtupleSerializer,
    PriorityStream,
    Processing,
    ScheduledSet,
    Scorer,
    Serializer,
    SortedSet,
    StrCodec,
    TimeSortedSet,
)
from typedset.aio import (
    AsyncPriorityStream,
    AsyncProcessing,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.codecs import JsonData, JsonValue
from typedset.testing import MemoryPriorityStream, MemoryScheduledSet, MemorySortedSet
from typedset.testing.model import MemoryProcessing


class Task(msgspec.Struct, frozen=True):
    id: int


class Point(NamedTuple):
    x: int
    y: int


def inferred_element_types(r: redis.Redis) -> None:
    assert_type(SortedSet(r, "x"), SortedSet[str])
    assert_type(TimeSortedSet(r, "x"), TimeSortedSet[str])
    assert_type(ScheduledSet(r, "x"), ScheduledSet[str])
    assert_type(SortedSet(r, "x", serializer=StrCodec()), SortedSet[str])
    assert_type(SortedSet(r, "x", serializer=BytesCodec()), SortedSet[bytes])
    assert_type(SortedSet(r, "x", serializer=JsonCodec()), SortedSet[JsonValue])
    assert_type(SortedSet(r, "x", serializer=MsgspecCodec(Task)), SortedSet[Task])
    assert_type(
        ScheduledSet(r, "x", serializer=MsgspecCodec(Task, format="msgpack")), ScheduledSet[Task]
    )
    assert_type(SortedSet(r, "x", serializer=NamedTupleCodec(Point)), SortedSet[Point])
    assert_type(TimeSortedSet(r, "x", serializer=NamedtupleSerializer(Point)), TimeSortedSet[Point])
    assert_type(SortedSet(r, "x", serializer=json), SortedSet[Any])
    assert_type(MemorySortedSet(), MemorySortedSet[str])
    assert_type(MemoryScheduledSet(serializer=MsgspecCodec(Task)), MemoryScheduledSet[Task])


def codecs_are_exact(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    """A codec's type is its argument's, for classes and type forms alike; never ``Any``."""
    assert_type(MsgspecCodec(Task), MsgspecCodec[Task])
    assert_type(MsgspecCodec(list[int]), MsgspecCodec[list[int]])
    assert_type(MsgspecCodec(Task | None, format="msgpack"), MsgspecCodec[Task | None])
    assert_type(MsgspecCodec(dict[str, Task]), MsgspecCodec[dict[str, Task]])
    assert_type(MsgspecCodec(tuple[int, str]), MsgspecCodec[tuple[int, str]])
    assert_type(MsgspecCodec(int), MsgspecCodec[int])
    numbers = SortedSet(r, "x", serializer=MsgspecCodec(list[int]))
    assert_type(numbers, SortedSet[list[int]])
    numbers.add([1, 2])
    assert_type(numbers.pop(), list[int])
    maybe = AsyncSortedSet(ar, "x", serializer=MsgspecCodec(Task | None))
    assert_type(maybe, AsyncSortedSet[Task | None])
    codec: Serializer[Task] = MsgspecCodec(Task)
    assert_type(SortedSet(r, "x", serializer=codec), SortedSet[Task])


def json_takes_mappings_and_sequences(r: redis.Redis, counts: dict[str, int]) -> None:
    """``JsonCodec`` encodes read-only ABCs (``dict`` is invariant) and decodes to dict/list."""
    items = SortedSet(r, "x", serializer=JsonCodec())
    assert_type(items, SortedSet[JsonValue])
    items.add(counts)
    items.add((1, "two", 3.0, None, True))
    items.add({"nested": [{"deep": (1, 2)}]})
    frozen: Mapping[str, Sequence[float]] = {"a": [1.5]}
    items.update([frozen, "text", 7])
    assert_type(items.pop(), JsonValue)
    decoded = JsonCodec().loads(b'{"a": [1]}')
    assert_type(decoded, JsonData)
    if isinstance(decoded, dict):
        items.add(decoded)  # what was read goes back in


def method_results(r: redis.Redis) -> None:
    tasks = SortedSet(r, "x", serializer=MsgspecCodec(Task))
    assert_type(tasks.pop(), Task)
    assert_type(tasks.pop(timeout=1.5), Task)
    assert_type(tasks.take(3), list[Task])
    assert_type(tasks.peek(), Task)
    assert_type(tasks.peek_score(), float | None)
    assert_type(tasks.score(Task(1)), float | None)
    assert_type(tasks.increment(Task(1), 2), float)
    assert_type(tasks.add(Task(1)), bool)
    assert_type(Task(1) in tasks, bool)
    assert_type(len(tasks), int)
    assert_type(list(tasks), list[Task])
    assert_type(tasks.dead_letters(), list[DeadLetter])
    assert_type(tasks | {Task(2)}, set[Task])
    assert_type(ScheduledSet(r, "y").available(), int)


def scorer_is_typed_by_the_item(r: redis.Redis) -> None:
    SortedSet(r, "x", scorer=len)
    SortedSet(r, "x", serializer=MsgspecCodec(Task), scorer=lambda task: float(task.id))


def lambdas_infer_the_item_type(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    # mypy checks a lambda inside an overloaded call once with ``Any`` too, so
    # ``assert_type`` cannot sit inside one; errors/scorer_misuse.py shows the
    # parameter is inferred (``t.upper()`` on a Task is an error).
    def by_task(task: Task) -> float:
        assert_type(task, Task)
        return float(task.id)

    tasks = SortedSet(r, "x", serializer=MsgspecCodec(Task), scorer=lambda t: t.id)
    assert_type(tasks, SortedSet[Task])
    names = TimeSortedSet(r, "x", scorer=lambda name: len(name.upper()))
    assert_type(names, TimeSortedSet[str])
    assert_type(
        AsyncScheduledSet(ar, "x", serializer=NamedTupleCodec(Point), scorer=lambda p: p.x),
        AsyncScheduledSet[Point],
    )
    assert_type(
        MemorySortedSet(serializer=MsgspecCodec(Task), scorer=lambda t: t.id),
        MemorySortedSet[Task],
    )
    assert_type(SortedSet(r, "x", serializer=MsgspecCodec(Task), scorer=by_task), SortedSet[Task])
    scorer: Scorer[Task] = lambda t: float(assert_type(t, Task).id)  # noqa: E731
    assert_type(SortedSet(r, "x", serializer=MsgspecCodec(Task), scorer=scorer), SortedSet[Task])


def the_default_is_str(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    a: SortedSet[str] = SortedSet(r, "x")
    b: ScheduledSet[str] = ScheduledSet(r, "x", scorer=len, max_deliveries=3)
    c: AsyncTimeSortedSet[str] = AsyncTimeSortedSet(ar, "x")
    d: PriorityStream[str] = PriorityStream(r, "x", decay=0.5)
    e: AsyncPriorityStream[str] = AsyncPriorityStream(ar, "x")
    assert_type(
        (a, b, c, d, e),
        tuple[
            SortedSet[str],
            ScheduledSet[str],
            AsyncTimeSortedSet[str],
            PriorityStream[str],
            AsyncPriorityStream[str],
        ],
    )
    assert_type(AsyncSortedSet(ar, "x", on_duplicate="min"), AsyncSortedSet[str])
    assert_type(AsyncScheduledSet(ar, "x"), AsyncScheduledSet[str])
    assert_type(AsyncPriorityStream(ar, "x", decay=2.0), AsyncPriorityStream[str])


def in_place_operators_keep_the_item_type(r: redis.Redis, others: set[object]) -> None:
    tasks = SortedSet(r, "x", serializer=MsgspecCodec(Task))
    more = SortedSet(r, "y", serializer=MsgspecCodec(Task))
    tasks |= {Task(1)}
    tasks |= more
    tasks ^= frozenset({Task(2)})
    tasks &= {Task(3), "anything"}
    tasks -= others
    tasks -= {"x"}
    assert_type(tasks, SortedSet[Task])
    timed = ScheduledSet(r, "z", serializer=MsgspecCodec(Task))
    timed |= {Task(1)}
    timed &= more
    assert_type(timed, ScheduledSet[Task])
    assert_type(tasks.union_update([Task(1)]), None)
    assert_type(tasks.symmetric_difference_update(more), None)
    assert_type(tasks.intersection_update(["x", Task(1)]), None)
    assert_type(tasks.difference_update(others), None)
    assert_type(tasks & {"x"}, set[Task])
    assert_type(tasks - others, set[Task])
    assert_type(tasks ^ {Task(1)}, set[Task])
    assert_type(tasks | more, set[Task])
    assert_type(set[Task | str](tasks) | {"x"}, set[Task | str])  # mixing types: a set first


def async_inferred_element_types(ar: redis.asyncio.Redis) -> None:
    assert_type(AsyncSortedSet(ar, "x"), AsyncSortedSet[str])
    assert_type(AsyncTimeSortedSet(ar, "x"), AsyncTimeSortedSet[str])
    assert_type(AsyncScheduledSet(ar, "x", scorer=len), AsyncScheduledSet[str])
    assert_type(AsyncSortedSet(ar, "x", serializer=BytesCodec()), AsyncSortedSet[bytes])
    assert_type(AsyncSortedSet(ar, "x", serializer=MsgspecCodec(Task)), AsyncSortedSet[Task])
    assert_type(
        AsyncScheduledSet(ar, "x", serializer=NamedTupleCodec(Point)), AsyncScheduledSet[Point]
    )
    assert_type(AsyncSortedSet(ar, "x", serializer=json), AsyncSortedSet[Any])


async def async_method_results(ar: redis.asyncio.Redis) -> None:
    tasks = AsyncScheduledSet(ar, "x", serializer=MsgspecCodec(Task))
    assert_type(await tasks.pop(), Task)
    assert_type(await tasks.pop(timeout=1.5), Task)
    assert_type(await tasks.take(3, timeout=2), list[Task])
    assert_type(await tasks.peek(), Task)
    assert_type(await tasks.peek_score(), float | None)
    assert_type(await tasks.score(Task(1)), float | None)
    assert_type(await tasks.increment(Task(1), 2), float)
    assert_type(await tasks.add(Task(1)), bool)
    assert_type(await tasks.contains(Task(1)), bool)
    assert_type(await tasks.size(), int)
    assert_type(await tasks.available(), int)
    assert_type([task async for task in tasks], list[Task])
    assert_type(await tasks.dead_letters(), list[DeadLetter])
    assert_type(await tasks.isdisjoint([Task(2)]), bool)
    assert_type(await tasks.union_update([Task(2)]), None)
    assert_type(tasks.name, str)


def lease_types(r: redis.Redis) -> None:
    tasks = ScheduledSet(r, "x", serializer=MsgspecCodec(Task), max_deliveries=3)
    leases = tasks.claim(2, ttl=10, timeout=1)
    assert_type(leases, list[Lease[Task]])
    lease = leases[0]
    assert_type(lease.item, Task)
    assert_type(lease.deadline, float)
    assert_type(lease.deliveries, int)
    assert_type(lease.token, bytes)
    assert_type(tasks.ack(lease), bool)
    assert_type(tasks.ack_many(leases), int)
    assert_type(tasks.release(lease, delay=5), bool)
    assert_type(tasks.release_many(leases), int)
    assert_type(tasks.extend(lease, 30), bool)
    assert_type(tasks.extend_many(leases, 30), int)
    assert_type(tasks.leased(), list[Lease[Task]])
    job = tasks.processing(ttl=30)
    assert_type(job, Processing[Task])
    with job as task:
        assert_type(task, Task)
        assert_type(job.lease, Lease[Task])
        assert_type(job.extend(), bool)


async def async_lease_types(ar: redis.asyncio.Redis) -> None:
    tasks = AsyncScheduledSet(ar, "x", serializer=MsgspecCodec(Task))
    leases = await tasks.claim(3)
    assert_type(leases, list[Lease[Task]])
    assert_type(leases[0].item, Task)
    assert_type(await tasks.ack(leases[0]), bool)
    assert_type(await tasks.release_many(leases, delay=0), int)
    assert_type(await tasks.leased(), list[Lease[Task]])
    job = tasks.processing(ttl=30, timeout=2)
    assert_type(job, AsyncProcessing[Task])
    async with job as task:
        assert_type(task, Task)
        assert_type(job.lease, Lease[Task])
        assert_type(await job.extend(60), bool)


def model_lease_types() -> None:
    model = MemoryScheduledSet(serializer=MsgspecCodec(Task), max_deliveries=2)
    assert_type(model.claim(), list[Lease[Task]])
    assert_type(model.leased(), list[Lease[Task]])
    job = model.processing(ttl=5)
    assert_type(job, MemoryProcessing[Task])
    with job as task:
        assert_type(task, Task)
        assert_type(job.lease, Lease[Task])


def a_lease_belongs_to_its_item_type(r: redis.Redis) -> None:
    names = SortedSet(r, "names")
    [name_lease] = names.claim()
    assert_type(name_lease, Lease[str])
    assert_type(names.ack(name_lease), bool)


def stream_value_types(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    assert_type(PriorityStream(r, "x"), PriorityStream[str])
    assert_type(PriorityStream(r, "x", decay=0.5), PriorityStream[str])
    assert_type(PriorityStream(r, "x", serializer=MsgspecCodec(Task)), PriorityStream[Task])
    assert_type(PriorityStream(r, "x", serializer=JsonCodec()), PriorityStream[JsonValue])
    assert_type(AsyncPriorityStream(ar, "x"), AsyncPriorityStream[str])
    assert_type(
        AsyncPriorityStream(ar, "x", serializer=NamedTupleCodec(Point)), AsyncPriorityStream[Point]
    )
    assert_type(MemoryPriorityStream(serializer=MsgspecCodec(Task)), MemoryPriorityStream[Task])
    takes_a_mapping(PriorityStream(r, "x", serializer=MsgspecCodec(Task)))


def takes_a_mapping(mapping: Mapping[str, Task]) -> None:
    """A PriorityStream[Task] is a Mapping[str, Task] wherever one is expected."""


def stream_results(r: redis.Redis) -> None:
    tasks = PriorityStream(r, "x", serializer=MsgspecCodec(Task))
    assert_type(tasks.add("k", Task(1)), float | None)
    assert_type(tasks.add_many([("k", Task(1), 2.0)], readd=True), list[float | None])
    assert_type(tasks.pull(5, purge=False, gate=True), dict[str, Task])
    assert_type(tasks["k"], Task)
    assert_type(tasks.get("k"), Task | None)
    assert_type(tasks.get("k", "default"), Task | str)
    assert_type(tasks.priority("k"), float | None)
    assert_type(tasks.increment("k", 2), float)
    assert_type(tasks.decrement_all(), int)
    assert_type(tasks.delete_below(0, gate=True), list[str])
    assert_type(list(tasks.items()), list[tuple[str, Task]])
    assert_type(list(tasks.values()), list[Task])
    assert_type(list(tasks), list[str])
    assert_type("k" in tasks, bool)


async def async_stream_results(ar: redis.asyncio.Redis) -> None:
    tasks = AsyncPriorityStream(ar, "x", serializer=MsgspecCodec(Task))
    assert_type(await tasks.add("k", Task(1), 3), float | None)
    assert_type(await tasks.pull(5), dict[str, Task])
    assert_type(await tasks["k"], Task)
    assert_type(await tasks.get("k"), Task | None)
    assert_type(await tasks.items(), list[tuple[str, Task]])
    assert_type(await tasks.keys(), list[str])
    assert_type([key async for key in tasks], list[str])
    assert_type(await tasks.contains("k"), bool)
    assert_type(await tasks.size(), int)
