"""Without a serializer the element (or value) type is ``str``, whatever the annotation says."""

from __future__ import annotations

import redis
import redis.asyncio

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)


def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    a: SortedSet[int] = SortedSet(r, "k")  # E: assignment reportAssignmentType
    b: TimeSortedSet[int] = TimeSortedSet(r, "k")  # E: assignment reportAssignmentType
    c: ScheduledSet[bytes] = ScheduledSet(r, "k", scorer=len)  # E: assignment reportAssignmentType
    d: AsyncSortedSet[int] = AsyncSortedSet(ar, "k")  # E: assignment reportAssignmentType
    e: AsyncTimeSortedSet[int] = AsyncTimeSortedSet(ar, "k")  # E: assignment reportAssignmentType
    f: AsyncScheduledSet[int] = AsyncScheduledSet(ar, "k")  # E: assignment reportAssignmentType
    g: PriorityStream[int] = PriorityStream(r, "k")  # E: assignment reportAssignmentType
    h: AsyncPriorityStream[int] = AsyncPriorityStream(ar, "k", decay=0.5)  # E: assignment reportAssignmentType
