"""Inference cases for the in-memory models, blocking and async: typed as the real classes are.

Checked by mypy --strict and basedpyright strict (both cover tests/typing;
never run). Each valid use has an ``assert_type``. The few mistakes kept
both checkers honour it and both report one that no error needs (mypy's
``warn_unused_ignores``, basedpyright's rule made an error below), so each
line must stay an error under both. The real classes' mistakes are in errors/.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=error

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
from typing import Protocol

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import DeadLetter, Lease, MsgspecCodec, Processing, Serializer, SortedSet
from typedset.aio import AsyncProcessing, AsyncScheduledSet
from typedset.testing import (
    AsyncMemoryPriorityStream,
    AsyncMemoryScheduledSet,
    AsyncMemorySortedSet,
    AsyncMemoryTimeSortedSet,
    MemoryPriorityStream,
    MemoryScheduledSet,
    MemorySortedSet,
    MemoryTimeSortedSet,
)
from typedset.testing.model import MemoryProcessing


class Task(msgspec.Struct, frozen=True):
    id: int


def no_serializer_pins_str() -> None:
    assert_type(MemorySortedSet(), MemorySortedSet[str])
    assert_type(MemoryTimeSortedSet(), MemoryTimeSortedSet[str])
    assert_type(MemoryScheduledSet("jobs", scorer=len), MemoryScheduledSet[str])
    assert_type(MemoryPriorityStream(decay=0.5), MemoryPriorityStream[str])
    assert_type(AsyncMemorySortedSet(), AsyncMemorySortedSet[str])
    assert_type(AsyncMemoryTimeSortedSet(clock=lambda: 0.0), AsyncMemoryTimeSortedSet[str])
    assert_type(AsyncMemoryScheduledSet(), AsyncMemoryScheduledSet[str])
    assert_type(AsyncMemoryPriorityStream(), AsyncMemoryPriorityStream[str])


def the_codec_gives_the_type() -> None:
    codec = MsgspecCodec(Task)
    assert_type(MemorySortedSet(serializer=codec), MemorySortedSet[Task])
    assert_type(
        MemoryTimeSortedSet(serializer=codec, scorer=lambda t: t.id), MemoryTimeSortedSet[Task]
    )
    assert_type(MemoryScheduledSet(serializer=codec), MemoryScheduledSet[Task])
    assert_type(MemoryPriorityStream(serializer=codec), MemoryPriorityStream[Task])
    assert_type(AsyncMemorySortedSet(serializer=codec), AsyncMemorySortedSet[Task])
    assert_type(AsyncMemoryTimeSortedSet(serializer=codec), AsyncMemoryTimeSortedSet[Task])
    assert_type(
        AsyncMemoryScheduledSet("jobs", serializer=codec, max_deliveries=3),
        AsyncMemoryScheduledSet[Task],
    )
    assert_type(AsyncMemoryPriorityStream(serializer=codec), AsyncMemoryPriorityStream[Task])
    assert_type(MemorySortedSet(serializer=codec).serializer, Serializer[Task])
    assert_type(AsyncMemoryPriorityStream(serializer=codec).serializer, Serializer[Task])


def blocking_results() -> None:
    tasks = MemoryScheduledSet(serializer=MsgspecCodec(Task), max_deliveries=2)
    assert_type(tasks.name, str)
    assert_type(tasks.pop(), Task)
    assert_type(tasks.take(3, timeout=1), list[Task])
    assert_type(tasks.peek(), Task)
    assert_type(tasks.score(Task(1)), float | None)
    assert_type(tasks.available(), int)
    assert_type(tasks.dead_letters(), list[DeadLetter])
    assert_type(list(tasks), list[Task])
    assert_type(tasks | {Task(2)}, set[Task])
    assert_type(tasks & {"anything"}, set[Task])
    tasks |= {Task(3)}
    tasks -= {"anything"}


def blocking_leases() -> None:
    tasks = MemorySortedSet(serializer=MsgspecCodec(Task))
    [lease] = tasks.claim(ttl=5)
    assert_type(lease, Lease[Task])
    assert_type(tasks.ack(lease), bool)
    assert_type(tasks.release_many([lease], delay=1), int)
    assert_type(tasks.leased(), list[Lease[Task]])
    job = tasks.processing(ttl=5)
    assert_type(job, MemoryProcessing[Task])
    with job as task:
        assert_type(task, Task)
        assert_type(job.lease, Lease[Task])
        assert_type(job.extend(), bool)


def blocking_stream() -> None:
    stream = MemoryPriorityStream(serializer=MsgspecCodec(Task))
    assert_type(stream.add("k", Task(1)), float | None)
    assert_type(stream["k"], Task)
    assert_type(stream.get("k"), Task | None)
    assert_type(stream.get("k", 0), Task | int)
    assert_type(stream.pull(2), dict[str, Task])
    assert_type(stream.keys(), KeysView[str])
    assert_type(stream.values(), ValuesView[Task])
    assert_type(stream.items(), ItemsView[str, Task])
    assert_type(stream.decay, float)


async def async_results() -> None:
    tasks = AsyncMemoryScheduledSet(serializer=MsgspecCodec(Task))
    assert_type(await tasks.pop(timeout=1), Task)
    assert_type(await tasks.take(3), list[Task])
    assert_type(await tasks.peek_score(), float | None)
    assert_type(await tasks.available(), int)
    assert_type([task async for task in tasks], list[Task])
    await tasks.union_update(AsyncMemorySortedSet(serializer=MsgspecCodec(Task)))
    await tasks.difference_update(["anything"])


async def async_leases() -> None:
    tasks = AsyncMemorySortedSet(serializer=MsgspecCodec(Task))
    [lease] = await tasks.claim(ttl=5, timeout=1)
    assert_type(lease, Lease[Task])
    assert_type(await tasks.extend(lease, 10), bool)
    assert_type(await tasks.ack_many([lease]), int)
    job = tasks.processing(ttl=5, timeout=1)
    assert_type(job, AsyncProcessing[Task])
    async with job as task:
        assert_type(task, Task)
        assert_type(await job.extend(60), bool)


async def async_stream() -> None:
    stream = AsyncMemoryPriorityStream(serializer=MsgspecCodec(Task))
    assert_type(await stream["k"], Task)
    assert_type(await stream.get("k"), Task | None)
    assert_type(await stream.get("k", None), Task | None)
    assert_type(await stream.items(), list[tuple[str, Task]])
    assert_type(await stream.values(), list[Task])
    assert_type([key async for key in stream], list[str])


class TaskQueue(Protocol):
    """What a user's worker needs of its queue: the real set and the model both fit."""

    def add(self, item: Task, score: float | None = None) -> bool: ...

    def claim(
        self, n: int = 1, *, ttl: float = ..., timeout: float | None = None
    ) -> list[Lease[Task]]: ...

    def ack(self, lease: Lease[Task]) -> bool: ...

    def processing(self, *, ttl: float = ..., timeout: float | None = None) -> Processing[Task]: ...

    def __len__(self) -> int: ...


class AsyncTaskQueue(Protocol):
    """The asyncio worker's queue: the asyncio twin and the asyncio model both fit."""

    async def add(self, item: Task, score: float | None = None) -> bool: ...

    async def claim(
        self, n: int = 1, *, ttl: float = ..., timeout: float | None = None
    ) -> list[Lease[Task]]: ...

    async def ack(self, lease: Lease[Task]) -> bool: ...

    def processing(
        self, *, ttl: float = ..., timeout: float | None = None
    ) -> AsyncProcessing[Task]: ...

    async def size(self) -> int: ...


def work(queue: TaskQueue) -> None: ...


async def awork(queue: AsyncTaskQueue) -> None: ...


async def a_model_stands_in_for_the_real_class(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    codec = MsgspecCodec(Task)
    work(SortedSet(r, "tasks", serializer=codec))
    work(MemorySortedSet(serializer=codec))
    work(MemoryScheduledSet(serializer=codec, clock=lambda: 0.0))
    await awork(AsyncScheduledSet(ar, "tasks", serializer=codec))
    await awork(AsyncMemoryScheduledSet(serializer=codec))
