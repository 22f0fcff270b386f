from __future__ import annotations

import redis

from typedset import JsonCodec, ScheduledSet, SortedSet


class NotASerializer:
    def dumps(self, obj: str) -> bytes:
        return obj.encode()


def text_scorer(item: str) -> str:
    return item


def f(r: redis.Redis) -> None:
    SortedSet(r, "x", serializer=NotASerializer())  # E: call-overload
    SortedSet(r, "x", on_duplicate="first")  # E: call-overload
    SortedSet(r, 42)  # E: call-overload
    SortedSet("localhost", "x")  # E: call-overload
    s = SortedSet(r, "x", serializer=JsonCodec())
    s.take("3")  # E: arg-type
    s.pop(5)  # E: call-arg
    SortedSet(r, "x").available()  # E: attr-defined
    ScheduledSet(r, "x", scorer=text_scorer)  # E: arg-type
