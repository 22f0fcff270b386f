"""What the checkers infer for unique-until-done sets and periodic items (mypy --strict, pyright).

``add`` says whether the item went in, ``update`` and ``update_scored`` how
many did; ``unique_for`` takes seconds or a ``timedelta`` and changes no
type; ``add_periodic`` exists on the scheduled kinds (real and model) only.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import MsgspecCodec, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import AsyncScheduledSet, AsyncSortedSet
from typedset.protocols import Anchor, Reschedule
from typedset.testing.aio_model import AsyncMemoryScheduledSet
from typedset.testing.model import MemoryScheduledSet, MemorySortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def blocking(r: redis.Redis) -> None:
    names = SortedSet(r, "names", unique_for=60)
    assert_type(names, SortedSet[str])
    assert_type(names.add("a"), bool)
    assert_type(names.update(["a", "b"]), int)
    assert_type(names.update_scored([("a", 1.0)]), int)
    tasks = TimeSortedSet(r, "tasks", serializer=MsgspecCodec(Task), unique_for=timedelta(hours=1))
    assert_type(tasks, TimeSortedSet[Task])
    assert_type(tasks.add(Task(1)), bool)
    jobs = ScheduledSet(r, "jobs", serializer=MsgspecCodec(Task), unique_for=None)
    assert_type(jobs, ScheduledSet[Task])
    assert_type(jobs.add_periodic(Task(1), 60), bool)
    assert_type(jobs.add_periodic(Task(1), timedelta(minutes=5), first_due=0.0), bool)
    anchor: Anchor = "now"
    reschedule: Reschedule = "ack"
    assert_type(jobs.add_periodic(Task(2), 1.5, anchor=anchor, reschedule=reschedule), bool)


async def asyncio(ar: redis.asyncio.Redis) -> None:
    names = AsyncSortedSet(ar, "names", unique_for=0.5)
    assert_type(names, AsyncSortedSet[str])
    assert_type(await names.add("a"), bool)
    assert_type(await names.update(["a"]), int)
    jobs = AsyncScheduledSet(ar, "jobs", serializer=MsgspecCodec(Task), unique_for=60)
    assert_type(jobs, AsyncScheduledSet[Task])
    assert_type(await jobs.add_periodic(Task(1), 0.2, anchor="due", reschedule="claim"), bool)


async def models() -> None:
    model = MemorySortedSet(unique_for=timedelta(seconds=30))
    assert_type(model, MemorySortedSet[str])
    assert_type(model.add("a"), bool)
    assert_type(model.update_scored([("a", 1.0)]), int)
    scheduled = MemoryScheduledSet(serializer=MsgspecCodec(Task), clock=lambda: 0.0)
    assert_type(scheduled.add_periodic(Task(1), 10, reschedule="ack"), bool)
    twin = AsyncMemoryScheduledSet(unique_for=1)
    assert_type(await twin.add_periodic("tick", 10), bool)
    assert_type(await twin.update(["a"]), int)
