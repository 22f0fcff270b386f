from __future__ import annotations

import msgspec
import redis

from typedset import MsgspecCodec, SortedSet


class Task(msgspec.Struct):
    id: int


def f(r: redis.Redis) -> None:
    names = SortedSet(r, "names")
    names.add(42)  # E: arg-type reportArgumentType
    tasks = SortedSet(r, "tasks", serializer=MsgspecCodec(Task))
    tasks.add("not a task")  # E: arg-type reportArgumentType
    tasks.update([Task(1), 2])  # E: list-item reportArgumentType
    tasks.update_scored([(Task(1), "high")])  # E: list-item reportArgumentType
    x: str = tasks.pop()  # E: assignment reportAssignmentType
