"""The models refuse what the real classes refuse, blocking and async."""

from __future__ import annotations

from typing import Protocol

import msgspec

from typedset import MsgspecCodec
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


class Task(msgspec.Struct, frozen=True):
    id: int


def no_serializer_is_not_another_type() -> None:
    a: MemorySortedSet[int] = MemorySortedSet()  # E: assignment reportAssignmentType
    b: MemoryTimeSortedSet[int] = MemoryTimeSortedSet()  # E: assignment reportAssignmentType
    c: MemoryScheduledSet[int] = MemoryScheduledSet()  # E: assignment reportAssignmentType
    d: MemoryPriorityStream[int] = MemoryPriorityStream()  # E: assignment reportAssignmentType
    e: AsyncMemorySortedSet[int] = AsyncMemorySortedSet()  # E: assignment reportAssignmentType
    f: AsyncMemoryTimeSortedSet[int] = AsyncMemoryTimeSortedSet()  # E: assignment reportAssignmentType
    g: AsyncMemoryScheduledSet[int] = AsyncMemoryScheduledSet()  # E: assignment reportAssignmentType
    h: AsyncMemoryPriorityStream[int] = AsyncMemoryPriorityStream()  # E: assignment reportAssignmentType


def tasks() -> MemoryScheduledSet[Task]:
    return MemoryScheduledSet(serializer=MsgspecCodec(Task))


async def wrong_items() -> None:
    MemorySortedSet(serializer=MsgspecCodec(Task), scorer=lambda t: t.upper())  # E: attr-defined reportAttributeAccessIssue
    a = tasks()
    a |= {"text"}  # E: arg-type reportOperatorIssue
    tasks().add("text")  # E: arg-type reportArgumentType
    [name_lease] = MemorySortedSet().claim()
    tasks().ack(name_lease)  # E: arg-type reportArgumentType
    MemoryPriorityStream(serializer=MsgspecCodec(Task)).add("k", "text")  # E: arg-type reportArgumentType
    await AsyncMemoryScheduledSet(serializer=MsgspecCodec(Task)).union_update(["text"])  # E: list-item reportArgumentType
    await AsyncMemoryPriorityStream(serializer=MsgspecCodec(Task)).add("k", "text")  # E: arg-type reportArgumentType
    len(AsyncMemorySortedSet())  # E: arg-type reportArgumentType


class Queue(Protocol):
    def add(self, item: Task, score: float | None = None) -> bool: ...


def work(queue: Queue) -> None: ...


def a_model_of_another_type_does_not_stand_in() -> None:
    work(MemorySortedSet())  # E: arg-type reportArgumentType
    work(AsyncMemorySortedSet(serializer=MsgspecCodec(Task)))  # E: arg-type reportArgumentType
