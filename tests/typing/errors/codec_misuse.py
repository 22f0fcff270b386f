"""A codec's type is exact: it is no ``Serializer`` of another type, for classes and type forms."""

from __future__ import annotations

import msgspec
import redis

from typedset import JsonCodec, MsgspecCodec, Serializer, SortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def misuse(r: redis.Redis) -> None:
    codec: Serializer[str] = MsgspecCodec(Task)  # E: arg-type reportAssignmentType
    numbers: Serializer[list[str]] = MsgspecCodec(list[int])  # E: arg-type reportAssignmentType
    maybe: MsgspecCodec[Task] = MsgspecCodec(Task | None)  # E: arg-type reportAssignmentType
    SortedSet(r, "x", serializer=MsgspecCodec(list[int])).add(["x"])  # E: list-item reportArgumentType
    SortedSet(r, "x", serializer=MsgspecCodec(dict[str, Task])).add({"k": 1})  # E: dict-item reportArgumentType
    json_items = SortedSet(r, "x", serializer=JsonCodec())
    json_items.add({1: "not a str key"})  # E: dict-item reportArgumentType
    json_items.add({"a": {1, 2}})  # E: dict-item reportArgumentType
    json_items.add(Task(1))  # E: arg-type reportArgumentType
