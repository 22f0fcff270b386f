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
    await tasks.add("not a task")  # E: arg-type
    assert Task(1) in tasks  # E: operator
    len(tasks)  # E: arg-type
    for _ in tasks:  # E: attr-defined
        pass
    popped: str = await tasks.pop()  # E: assignment
    tasks.pop().id  # E: attr-defined
    AsyncScheduledSet(r, "x")  # E: call-overload
    SortedSet(ar, "x")  # E: call-overload
