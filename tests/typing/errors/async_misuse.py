"""Using an async twin like a blocking set, or with the wrong client, is a type error."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, SortedSet
from typedset.aio import AsyncScheduledSet, AsyncSortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    tasks = AsyncSortedSet(ar, "x", serializer=MsgspecCodec(Task))
    await tasks.add("not a task")  # E: arg-type reportArgumentType
    assert Task(1) in tasks  # E: operator reportOperatorIssue
    len(tasks)  # E: arg-type reportArgumentType
    for _ in tasks:  # E: attr-defined reportGeneralTypeIssues
        pass
    popped: str = await tasks.pop()  # E: assignment reportAssignmentType
    tasks.pop().id  # E: attr-defined reportAttributeAccessIssue
    AsyncScheduledSet(r, "x")  # E: call-overload reportArgumentType
    SortedSet(ar, "x")  # E: call-overload reportArgumentType
