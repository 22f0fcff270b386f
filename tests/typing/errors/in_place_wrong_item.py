"""In-place operators and their named methods refuse items of another type.

Each mistake gets its own set: after a refused ``|=`` a checker no longer
knows the variable's type, and would miss the next mistake.
"""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, SortedSet
from typedset.aio import AsyncSortedSet
from typedset.testing import MemorySortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def tasks_of(r: redis.Redis) -> SortedSet[Task]:
    return SortedSet(r, "tasks", serializer=MsgspecCodec(Task))


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    names = SortedSet(r, "names")
    words = {"x"}
    a = tasks_of(r)
    a |= {"x"}  # E: arg-type reportOperatorIssue
    b = tasks_of(r)
    b ^= {"x"}  # E: arg-type reportOperatorIssue
    c = tasks_of(r)
    c |= words  # E: arg-type reportOperatorIssue
    d = tasks_of(r)
    d ^= names  # E: arg-type reportOperatorIssue
    tasks_of(r).union_update(["x"])  # E: list-item reportArgumentType
    tasks_of(r).symmetric_difference_update(words)  # E: arg-type reportArgumentType
    tasks_of(r) | {"x"}  # E: arg-type reportOperatorIssue
    tasks_of(r) ^ words  # E: operator reportOperatorIssue
    model = MemorySortedSet(serializer=MsgspecCodec(Task))
    model |= {"x"}  # E: arg-type reportOperatorIssue
    atasks = AsyncSortedSet(ar, "tasks", serializer=MsgspecCodec(Task))
    await atasks.union_update(["x"])  # E: list-item reportArgumentType
    await atasks.symmetric_difference_update(names)  # E: arg-type reportArgumentType
