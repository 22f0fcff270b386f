"""In-place operators and their named methods refuse items of another type."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, SortedSet
from typedset.aio import AsyncSortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    tasks = SortedSet(r, "tasks", serializer=MsgspecCodec(Task))
    names = SortedSet(r, "names")
    words = {"x"}
    tasks |= {"x"}  # E: arg-type
    tasks ^= {"x"}  # E: arg-type
    tasks |= words  # E: arg-type
    tasks ^= names  # E: arg-type
    tasks.union_update(["x"])  # E: list-item
    tasks.symmetric_difference_update(words)  # E: arg-type
    atasks = AsyncSortedSet(ar, "tasks", serializer=MsgspecCodec(Task))
    await atasks.union_update(["x"])  # E: list-item
    await atasks.symmetric_difference_update(names)  # E: arg-type
