from __future__ import annotations

import msgspec
import redis

from typedset import MsgspecCodec, SortedSet


class Task(msgspec.Struct):
    id: int


def f(r: redis.Redis) -> None:
    names = SortedSet(r, "names")
    names.add(42)  # E: arg-type
    tasks = SortedSet(r, "tasks", serializer=MsgspecCodec(Task))
    tasks.add("not a task")  # E: arg-type
    tasks.update([Task(1), 2])  # E: list-item
    tasks.update_scored([(Task(1), "high")])  # E: list-item
    x: str = tasks.pop()  # E: assignment
