"""A lease belongs to its item type: one set's lease is refused by a set of another type."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import Lease, MsgspecCodec, SortedSet
from typedset.aio import AsyncScheduledSet
from typedset.testing import MemorySortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis, name_lease: Lease[str]) -> None:
    tasks = SortedSet(r, "tasks", serializer=MsgspecCodec(Task))
    tasks.ack(name_lease)  # E: arg-type reportArgumentType
    tasks.ack_many([name_lease])  # E: list-item reportArgumentType
    tasks.extend(name_lease, 10)  # E: arg-type reportArgumentType
    tasks.claim(ttl="10s")  # E: arg-type reportArgumentType
    MemorySortedSet(serializer=MsgspecCodec(Task)).release(name_lease)  # E: arg-type reportArgumentType
    timed = AsyncScheduledSet(ar, "tasks", serializer=MsgspecCodec(Task))
    await timed.release_many([name_lease], delay=1)  # E: list-item reportArgumentType
    with tasks.processing() as task:
        task.upper()  # E: attr-defined reportAttributeAccessIssue
    async with timed.processing() as job:
        job.upper()  # E: attr-defined reportAttributeAccessIssue
    with timed.processing():  # E: attr-defined reportGeneralTypeIssues
        pass
    lease = tasks.claim()[0]
    lease.item = Task(2)  # E: misc reportAttributeAccessIssue
