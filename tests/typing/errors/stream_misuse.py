"""Wrong keys, values and arguments for a priority stream are type errors."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, PriorityStream
from typedset.aio import AsyncPriorityStream


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    tasks = PriorityStream(r, "x", serializer=MsgspecCodec(Task))
    tasks.add(5, Task(1))  # E: arg-type reportArgumentType
    tasks.add("k", "not a task")  # E: arg-type reportArgumentType
    tasks.add_many([("k", Task(1))])  # E: list-item reportArgumentType
    tasks.pull(purge="yes")  # E: arg-type reportArgumentType
    name: int = tasks.pull()["k"]  # E: assignment reportAssignmentType
    tasks["k"] = Task(2)  # E: index reportIndexIssue
    texts = PriorityStream(r, "y")
    texts.add("k", Task(1))  # E: arg-type reportArgumentType
    streams = AsyncPriorityStream(ar, "z", serializer=MsgspecCodec(Task))
    len(streams)  # E: arg-type reportArgumentType
    PriorityStream(ar, "w")  # E: call-overload reportArgumentType
