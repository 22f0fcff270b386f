"""Mistakes with unique_for and periodic items that both checkers catch."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import AsyncSortedSet
from typedset.testing.model import MemorySortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    SortedSet(r, "names", unique_for="1h")  # E: call-overload reportArgumentType
    jobs = ScheduledSet(r, "jobs", serializer=MsgspecCodec(Task))
    jobs.add_periodic("text", 60)  # E: arg-type reportArgumentType
    jobs.add_periodic(Task(1), "5m")  # E: arg-type reportArgumentType
    jobs.add_periodic(Task(1), 60, anchor="later")  # E: arg-type reportArgumentType
    jobs.add_periodic(Task(1), 60, reschedule="never")  # E: arg-type reportArgumentType
    jobs.add_periodic(Task(1), 60, 0.0)  # E: call-arg reportCallIssue
    SortedSet(r, "plain").add_periodic("a", 60)  # E: attr-defined reportAttributeAccessIssue
    TimeSortedSet(r, "timed").add_periodic("a", 60)  # E: attr-defined reportAttributeAccessIssue
    MemorySortedSet().add_periodic("a", 60)  # E: attr-defined reportAttributeAccessIssue
    added: None = AsyncSortedSet(ar, "names").add("a")  # E: assignment reportAssignmentType
    count: str = SortedSet(r, "names").update(["a"])  # E: assignment reportAssignmentType
