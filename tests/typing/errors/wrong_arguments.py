from __future__ import annotations

import redis

from typedset import JsonCodec, ScheduledSet, SortedSet


class NotASerializer:
    def dumps(self, obj: str) -> bytes:
        return obj.encode()


def text_scorer(item: str) -> str:
    return item


def f(r: redis.Redis) -> None:
    SortedSet(r, "x", serializer=NotASerializer())  # E: call-overload reportArgumentType
    SortedSet(r, "x", on_duplicate="first")  # E: call-overload reportArgumentType
    SortedSet(r, 42)  # E: call-overload reportArgumentType
    SortedSet("localhost", "x")  # E: call-overload reportArgumentType
    s = SortedSet(r, "x", serializer=JsonCodec())
    s.take("3")  # E: arg-type reportArgumentType
    s.pop(5)  # E: call-arg reportCallIssue
    SortedSet(r, "x").available()  # E: attr-defined reportAttributeAccessIssue
    ScheduledSet(r, "x", scorer=text_scorer)  # E: arg-type reportArgumentType
