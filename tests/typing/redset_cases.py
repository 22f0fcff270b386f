"""Inference cases for ``typedset.compat.redset``: mypy --strict and basedpyright strict
check these (they are never run).

redset users' code, unchanged, gets sensible types: the item type comes from
the serializer (text without one), positional ``scorer``/``serializer`` are
checked like keyword ones, and each method returns what redset returned.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=error

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

import redis
from typing_extensions import assert_type

import typedset
from typedset.codecs import JsonData, JsonValue
from typedset.compat import redset
from typedset.compat.redset import ScheduledSet, SortedSet, TimeSortedSet
from typedset.compat.redset.exceptions import LockTimeout
from typedset.compat.redset.interfaces import Serializer
from typedset.compat.redset.serializers import NamedtupleSerializer, RedsetJsonCodec


class Point(NamedTuple):
    x: int
    y: int


class IntSerializer(Serializer[int]):
    """A serializer written the redset way: subclassing the interface."""

    def dumps(self, obj: int) -> str:
        return str(obj)

    def loads(self, str_from_redis: str) -> int:
        return int(str_from_redis)


class Doubling:
    """A serializer that does not subclass the interface: any object with the methods fits."""

    def dumps(self, obj: float) -> str:
        return repr(obj * 2)

    def loads(self, str_from_redis: str) -> float:
        return float(str_from_redis) / 2


def inferred_item_types(r: redis.Redis) -> None:
    assert_type(SortedSet(r, "x"), SortedSet[str])
    assert_type(TimeSortedSet(r, "x"), TimeSortedSet[str])
    assert_type(ScheduledSet(r, "x"), ScheduledSet[str])
    assert_type(redset.SortedSet(r, "x"), SortedSet[str])
    assert_type(SortedSet(r, "x", serializer=IntSerializer()), SortedSet[int])
    assert_type(SortedSet(r, "x", serializer=Doubling()), SortedSet[float])
    assert_type(SortedSet(r, "x", serializer=NamedtupleSerializer(Point)), SortedSet[Point])
    assert_type(TimeSortedSet(r, "x", serializer=NamedtupleSerializer(Point)), TimeSortedSet[Point])
    assert_type(ScheduledSet(r, "x", serializer=RedsetJsonCodec()), ScheduledSet[JsonValue])
    assert_type(SortedSet(r, "x", serializer=json), SortedSet[Any])


def positional_arguments_in_redsets_order(r: redis.Redis) -> None:
    assert_type(SortedSet(r, "x", lambda i: -i, IntSerializer()), SortedSet[int])
    assert_type(SortedSet(r, "x", lambda s: float(len(s))), SortedSet[str])
    assert_type(TimeSortedSet(r, "x", None, IntSerializer()), TimeSortedSet[int])
    assert_type(ScheduledSet(r, "x", None, None, 5, 20), ScheduledSet[str])
    assert_type(
        SortedSet(r, "x", scorer=lambda p: p.x, serializer=NamedtupleSerializer(Point)),
        SortedSet[Point],
    )


def methods_return_what_redset_returned(r: redis.Redis) -> None:
    s = ScheduledSet(r, "x", serializer=NamedtupleSerializer(Point))
    assert_type(s.add(Point(1, 2)), float)
    assert_type(s.add(Point(1, 2), 5), float)
    assert_type(s.pop(), Point)
    assert_type(s.take(3), list[Point])
    assert_type(s.peek(), Point)
    assert_type(s.peek(position=1), Point)
    assert_type(s.peek_score(), float | None)
    assert_type(s.score(Point(1, 2)), float | None)
    assert_type(s.discard(Point(1, 2)), bool)
    assert_type(s.clear(), bool)
    assert_type(len(s), int)
    assert_type(Point(1, 2) in s, bool)
    assert_type(s.available(), int)
    assert_type(s.name, str)
    assert_type(s.scorer, Callable[[Point], float])
    assert_type(s.serializer, object)
    assert_type(s.typed, typedset.ScheduledSet[Point])
    assert_type(SortedSet(r, "x").typed, typedset.SortedSet[str])


def redset_json_codec_serves_typedset_sets_too(r: redis.Redis) -> None:
    shared = typedset.SortedSet(r, "x", serializer=RedsetJsonCodec())
    assert_type(shared, typedset.SortedSet[JsonValue])
    shared.add({"foo": "bar1"})
    assert_type(RedsetJsonCodec().loads(b"{}"), JsonData)
    assert_type(RedsetJsonCodec().dumps({"a": [1, 2]}), str)


def serializers(r: redis.Redis) -> None:
    codec = NamedtupleSerializer(Point)
    assert_type(codec, NamedtupleSerializer[Point])
    assert_type(codec.NTClass, type[Point])
    assert_type(codec.loads('{"x": 1, "y": 2}'), Point)
    assert_type(codec.dumps(Point(1, 2)), str)
    as_interface: Serializer[Point] = codec  # it is a redset serializer
    assert_type(SortedSet(r, "x", serializer=as_interface), SortedSet[Point])


def exceptions() -> None:
    try:
        pass
    except LockTimeout as exc:
        assert_type(exc, LockTimeout)
