"""stats() values are read-only snapshots of the right kind; an async twin's must be awaited."""

from __future__ import annotations

import redis
import redis.asyncio

from typedset import PriorityStream, SortedSet
from typedset.aio import AsyncSortedSet


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    stats = SortedSet(r, "jobs").stats()
    stats.pending = 0  # E: misc reportAttributeAccessIssue
    PriorityStream(r, "p").stats().pending  # E: attr-defined reportAttributeAccessIssue
    AsyncSortedSet(ar, "jobs").stats().pending  # E: attr-defined reportAttributeAccessIssue
    age: float = stats.oldest_age  # E: assignment reportAssignmentType
