"""What the checkers infer for ExpiringSet, its async twin and its models: each line is checked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import DeadLetter, MsgspecCodec, OnRefresh
from typedset.expiring_set import AsyncExpiringSet, ExpiringDeadLetter, ExpiringSet
from typedset.testing.expiring_model import AsyncMemoryExpiringSet, MemoryExpiringSet


class Task(msgspec.Struct, frozen=True):
    id: int


def blocking(r: redis.Redis) -> None:
    seen = ExpiringSet(r, "seen", ttl=86400)
    assert_type(seen, ExpiringSet[str])
    assert_type(seen.add("u"), bool)
    assert_type(seen.add("u", ttl=timedelta(hours=1)), bool)
    assert_type(seen.update(["a", "b"], ttl=60), int)
    assert_type(seen.touch("u", 30.0), bool)
    assert_type(seen.expires_at("u"), float | None)
    assert_type(seen.pop(), str)
    assert_type(seen.ttl, float)
    assert_type("u" in seen, bool)
    assert_type(len(seen), int)
    assert_type(iter(seen), Iterator[str])
    assert_type(seen | {"x"}, set[str])
    seen -= {"x"}
    tasks = ExpiringSet(r, "tasks", serializer=MsgspecCodec(Task), ttl=timedelta(days=1))
    assert_type(tasks, ExpiringSet[Task])
    assert_type(tasks.pop(), Task)
    refresh = ExpiringSet(r, "active", ttl=60, on_duplicate="refresh")
    assert_type(refresh, ExpiringSet[str])
    policy: OnRefresh = "keep"  # the public alias of on_duplicate's choices
    assert_type(ExpiringSet(r, "first-seen", ttl=60, on_duplicate=policy), ExpiringSet[str])
    letters = tasks.dead_letters()
    assert_type(letters, list[ExpiringDeadLetter])
    letter = letters[0]
    assert_type(letter.raw, bytes)
    assert_type(letter.deadline, float)
    assert_type(letter.score, float)
    generic: DeadLetter = letter  # handled as every kind's dead letters are
    assert_type(generic.at, float)
    assert_type(tasks.requeue_dead(), int)
    assert_type(tasks.clear_dead_letters(), int)


async def asynchronous(ar: redis.asyncio.Redis) -> None:
    seen = AsyncExpiringSet(ar, "seen", ttl=60)
    assert_type(seen, AsyncExpiringSet[str])
    assert_type(await seen.add("u"), bool)
    assert_type(await seen.update(["a"]), int)
    assert_type(await seen.expires_at("u"), float | None)
    assert_type(await seen.contains("u"), bool)
    assert_type(await seen.size(), int)
    assert_type(seen.__aiter__(), AsyncIterator[str])
    tasks = AsyncExpiringSet(ar, "tasks", serializer=MsgspecCodec(Task), ttl=60)
    assert_type(await tasks.pop(), Task)
    assert_type(await tasks.dead_letters(), list[ExpiringDeadLetter])
    assert_type(await tasks.requeue_dead(), int)
    assert_type(await tasks.clear_dead_letters(), int)


async def models() -> None:
    seen = MemoryExpiringSet(ttl=60, clock=lambda: 0.0)
    assert_type(seen, MemoryExpiringSet[str])
    assert_type(seen.add("u"), bool)
    tasks = AsyncMemoryExpiringSet(serializer=MsgspecCodec(Task), ttl=60)
    assert_type(tasks, AsyncMemoryExpiringSet[Task])
    assert_type(await tasks.add(Task(1)), bool)
    assert_type(seen.dead_letters(), list[ExpiringDeadLetter])
    assert_type(await tasks.requeue_dead(), int)
