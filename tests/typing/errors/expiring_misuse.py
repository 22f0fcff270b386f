"""Wrong items, time to live and arguments for an expiring set are type errors."""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec
from typedset.expiring_set import AsyncExpiringSet, ExpiringSet
from typedset.testing.expiring_model import MemoryExpiringSet


class Task(msgspec.Struct, frozen=True):
    id: int


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    tasks = ExpiringSet(r, "x", serializer=MsgspecCodec(Task), ttl=60)
    tasks.add("not a task")  # E: arg-type reportArgumentType
    tasks.add(Task(1), ttl="1h")  # E: arg-type reportArgumentType
    tasks.update([Task(1), 5])  # E: list-item reportArgumentType
    tasks.touch(Task(1))  # E: call-arg reportCallIssue
    when: str | None = tasks.expires_at(Task(1))  # E: assignment reportAssignmentType
    ExpiringSet(r, "y")  # E: call-overload reportCallIssue
    ExpiringSet(r, "y", ttl=60, on_duplicate="replace")  # E: call-overload reportArgumentType
    ExpiringSet(ar, "z", ttl=60)  # E: call-overload reportArgumentType
    seen = AsyncExpiringSet(ar, "w", ttl=60)
    len(seen)  # E: arg-type reportArgumentType
    MemoryExpiringSet(ttl=60).add(5)  # E: arg-type reportArgumentType
    tasks.requeue_dead(ttl=60)  # E: call-arg reportCallIssue
    letter = tasks.dead_letters()[0]
    letter.deadline = 1.0  # E: misc reportAttributeAccessIssue
    raw: str = letter.raw  # E: assignment reportAssignmentType
