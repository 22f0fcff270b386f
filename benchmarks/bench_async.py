"""The asyncio twins vs raw redis.asyncio: 100 concurrent tasks, same run, interleaved.

Each case starts ``TASKS`` tasks; each does its share of the operations one
after another. Each side has a default ``redis.asyncio.Redis`` of its own:
raw redis.asyncio takes a pooled connection per in-flight call, typedset's
calls share a few pipelined connections. Target: 3x the raw client.

    python benchmarks/bench_async.py [--url redis://...] [--rounds 7]
"""

from __future__ import annotations

import asyncio
from typing import cast

import redis
import redis.asyncio

from bench_sorted_set import Popped, members
from harness import Case, main_with
from typedset.aio import AsyncSortedSet

TASKS = 100
OPS = 20_000
PER_TASK = OPS // TASKS
NAME = "bench:typedset:async"


def cases(url: str) -> list[Case]:
    mine, theirs = redis.asyncio.Redis.from_url(url), redis.asyncio.Redis.from_url(url)
    s = AsyncSortedSet(mine, NAME)
    sync = redis.Redis.from_url(url)

    def empty() -> None:
        sync.delete(NAME)

    def filled() -> None:
        sync.delete(NAME)
        sync.zadd(NAME, dict.fromkeys(members(OPS), 0))

    async def ts_add(context: object) -> None:
        async def task(t: int) -> None:
            for i, member in enumerate(members(PER_TASK)):
                await s.add(f"{t}:{member}", i)

        await asyncio.gather(*(task(t) for t in range(TASKS)))

    async def raw_add(context: object) -> None:
        async def task(t: int) -> None:
            for i, member in enumerate(members(PER_TASK)):
                await theirs.zadd(NAME, {f"{t}:{member}".encode(): i})

        await asyncio.gather(*(task(t) for t in range(TASKS)))

    async def ts_pop(context: object) -> None:
        async def task() -> None:
            for _ in range(PER_TASK):
                await s.pop()

        await asyncio.gather(*(task() for _ in range(TASKS)))

    async def raw_pop(context: object) -> None:
        async def task() -> None:
            for _ in range(PER_TASK):
                [(member, _score)] = cast(Popped, await theirs.zpopmin(NAME))
                member.decode()

        await asyncio.gather(*(task() for _ in range(TASKS)))

    return [
        Case(f"{TASKS} tasks add", OPS, empty, ts_add, raw_add, target=3.0),
        Case(f"{TASKS} tasks pop", OPS, filled, ts_pop, raw_pop, target=3.0),
    ]


def cleanup(url: str) -> None:
    r = redis.Redis.from_url(url)
    r.delete(NAME)
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
