"""A scorer is checked against the element type: mypy infers a lambda's parameter."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, Scorer, SortedSet, TimeSortedSet
from typedset.aio import AsyncScheduledSet
from typedset.testing import MemorySortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def by_name(name: str) -> float:
    return float(len(name))


def label(task: Task) -> str:
    return str(task.id)


def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    codec = MsgspecCodec(Task)
    SortedSet(r, "tasks", serializer=codec, scorer=lambda t: t.upper())  # E: attr-defined reportAttributeAccessIssue
    SortedSet(r, "tasks", serializer=codec, scorer=label)  # E: arg-type reportArgumentType
    SortedSet(r, "tasks", serializer=codec, scorer=by_name)  # E: arg-type reportArgumentType
    SortedSet(r, "names", scorer=lambda name: name.id)  # E: attr-defined reportAttributeAccessIssue
    TimeSortedSet(r, "names", scorer=lambda name: name.id)  # E: attr-defined reportAttributeAccessIssue
    AsyncScheduledSet(ar, "tasks", serializer=codec, scorer=lambda t: t.upper())  # E: attr-defined reportAttributeAccessIssue
    MemorySortedSet(serializer=codec, scorer=lambda t: t.upper())  # E: attr-defined reportAttributeAccessIssue
    scorer: Scorer[Task] = by_name  # E: assignment reportAssignmentType
