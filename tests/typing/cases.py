"""Inference cases: mypy --strict checks these (they are never run).

The element type comes from the serializer; no annotation is needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import (
    BytesCodec,
    DeadLetter,
    JsonCodec,
    MsgspecCodec,
    NamedTupleCodec,
    NamedtupleSerializer,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    StrCodec,
    TimeSortedSet,
)
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.codecs import JsonValue
from typedset.testing import MemoryPriorityStream, MemoryScheduledSet, MemorySortedSet


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


def method_results(r: redis.Redis) -> None:
    tasks = SortedSet(r, "x", serializer=MsgspecCodec(Task))
    assert_type(tasks.pop(), Task)
    assert_type(tasks.pop(timeout=1.5), Task)
    assert_type(tasks.take(3), list[Task])
    assert_type(tasks.peek(), Task)
    assert_type(tasks.peek_score(), float | None)
    assert_type(tasks.score(Task(1)), float | None)
    assert_type(tasks.increment(Task(1), 2), float)
    assert_type(tasks.add(Task(1)), None)
    assert_type(Task(1) in tasks, bool)
    assert_type(len(tasks), int)
    assert_type(list(tasks), list[Task])
    assert_type(tasks.dead_letters(), list[DeadLetter])
    assert_type(tasks | {Task(2)}, set[Task])
    assert_type(ScheduledSet(r, "y").available(), int)


def scorer_is_typed_by_the_item(r: redis.Redis) -> None:
    SortedSet(r, "x", scorer=len)
    SortedSet(r, "x", serializer=MsgspecCodec(Task), scorer=lambda task: float(task.id))


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
    assert_type(await tasks.add(Task(1)), None)
    assert_type(await tasks.contains(Task(1)), bool)
    assert_type(await tasks.size(), int)
    assert_type(await tasks.available(), int)
    assert_type([task async for task in tasks], list[Task])
    assert_type(await tasks.dead_letters(), list[DeadLetter])
    assert_type(await tasks.isdisjoint([Task(2)]), bool)
    assert_type(await tasks.union_update([Task(2)]), None)
    assert_type(tasks.name, str)


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
