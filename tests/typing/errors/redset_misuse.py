"""Mistakes in redset-style code that the shim's types catch (redset was untyped).

Most fail at run time too, with a clear error at the call (a serializer in the
scorer's place, another class's tuple, a score or a tuple class of the wrong
type, a missing attribute, assigning a read-only one). ``add(1)`` on a text set
and ``take("3")`` run, as under redset (the set stores ``"1"`` and pops
``'1'``), and are flagged all the same. A serializer without ``dumps``/``loads``,
which falls back to text, is flagged too; pyright reports it under two rules,
so it is not marked here.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import redis

from typedset.compat.redset import ScheduledSet, SortedSet
from typedset.compat.redset.serializers import NamedtupleSerializer


class Point(NamedTuple):
    x: int
    y: int


class Other(NamedTuple):
    x: int
    y: int


def misuse(r: redis.Redis) -> None:
    text = SortedSet(r, "x")
    text.add(1)  # E: arg-type reportArgumentType
    SortedSet(r, "x", NamedtupleSerializer(Point))  # E: call-overload reportArgumentType
    SortedSet(r, "x", lambda p: p.z, NamedtupleSerializer(Point))  # E: attr-defined reportAttributeAccessIssue
    points = ScheduledSet(r, "x", serializer=NamedtupleSerializer(Point))
    points.add(Other(1, 2))  # E: arg-type reportArgumentType
    points.add(Point(1, 2), "soon")  # E: arg-type reportArgumentType
    points.take("3")  # E: arg-type reportArgumentType
    score: float = points.score(Point(1, 2))  # E: assignment reportAssignmentType
    NamedtupleSerializer(dict)  # E: type-var reportArgumentType
    text.available()  # E: attr-defined reportAttributeAccessIssue
    text.lock  # E: attr-defined reportAttributeAccessIssue
    text.serializer = json  # E: misc reportAttributeAccessIssue
    text.redis = r  # E: misc reportAttributeAccessIssue
