"""The asyncio twins vs raw redis.asyncio: 100 concurrent tasks, same run, interleaved.

Each case starts ``TASKS`` tasks; each does its share of the operations one
after another. Each side has a default ``redis.asyncio.Redis`` of its own:
raw redis.asyncio takes a pooled connection per in-flight call, typedset's
calls share a few pipelined connections. Target: 3x the raw client.

The lease rows are ``bench_sorted_set.py``'s, run by the tasks: ``claim(1)``
then ``ack`` per item, ``claim(100)`` then ``ack_many`` per batch, against
the same raw lower bound (one EVALSHA of ``ZPOPMIN`` + ``ZADD`` into a
lease ZSET, then one ``ZREM``; no fencing, no return of expired leases, no
delivery counts).

    python benchmarks/bench_async.py [--url redis://...] [--rounds 7]
"""

from __future__ import annotations

import asyncio
import time
from typing import cast

import redis
import redis.asyncio

from bench_sorted_set import CLAIM_LUA, TTL, Popped, members
from harness import Case, main_with
from typedset import Lease
from typedset.aio import AsyncSortedSet

TASKS = 100
OPS = 20_000
PER_TASK = OPS // TASKS
BATCHES = 1_000
PER_TASK_BATCHES = BATCHES // TASKS
NAME = "bench:typedset:async"
LEASE_KEYS = tuple(f"{{{NAME}}}:{suffix}" for suffix in ("leased", "held", "deliveries", "fence"))
ALL_KEYS = (NAME, *LEASE_KEYS, f"{{{NAME}}}:dead", f"{{{NAME}}}:kind")
RAW_LEASES = f"{{{NAME}}}:raw-leases"


def cases(url: str) -> list[Case]:
    mine, theirs = redis.asyncio.Redis.from_url(url), redis.asyncio.Redis.from_url(url)
    s = AsyncSortedSet(mine, NAME)
    raw_claim = theirs.register_script(CLAIM_LUA)
    sync = redis.Redis.from_url(url)

    def empty() -> None:
        sync.delete(NAME)

    def filled() -> None:
        sync.delete(NAME)
        sync.zadd(NAME, dict.fromkeys(members(OPS), 0))

    def filled_unleased(n: int) -> None:
        sync.delete(NAME, *LEASE_KEYS, RAW_LEASES)
        for start in range(0, n, 5000):
            sync.zadd(NAME, dict.fromkeys(members(n)[start : start + 5000], 0))

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

    async def ts_claim_ack(context: object) -> None:
        async def task() -> None:
            for _ in range(PER_TASK):
                [lease] = await s.claim(1, ttl=TTL)
                await s.ack(lease)

        await asyncio.gather(*(task() for _ in range(TASKS)))

    async def raw_claim_ack(context: object) -> None:
        async def task() -> None:
            # One EVALSHA (ZPOPMIN 1 + ZADD leases), then ZREM leases: two round trips each side.
            for _ in range(PER_TASK):
                found = await raw_claim(keys=[NAME, RAW_LEASES], args=[1, time.time() + TTL])
                [member] = cast(list[bytes], found)
                member.decode()
                await theirs.zrem(RAW_LEASES, member)

        await asyncio.gather(*(task() for _ in range(TASKS)))

    async def ts_claim_ack_many(context: object) -> None:
        async def task() -> None:
            for _ in range(PER_TASK_BATCHES):
                leases: list[Lease[str]] = await s.claim(100, ttl=TTL)
                await s.ack_many(leases)

        await asyncio.gather(*(task() for _ in range(TASKS)))

    async def raw_claim_ack_many(context: object) -> None:
        async def task() -> None:
            # One EVALSHA (ZPOPMIN 100 + one ZADD of the 100), then one ZREM of the 100.
            for _ in range(PER_TASK_BATCHES):
                found = await raw_claim(keys=[NAME, RAW_LEASES], args=[100, time.time() + TTL])
                batch = cast(list[bytes], found)
                [member.decode() for member in batch]
                await theirs.zrem(RAW_LEASES, *batch)

        await asyncio.gather(*(task() for _ in range(TASKS)))

    return [
        Case(f"{TASKS} tasks add", OPS, empty, ts_add, raw_add, target=3.0),
        Case(f"{TASKS} tasks pop", OPS, filled, ts_pop, raw_pop, target=3.0),
        Case(
            f"{TASKS} tasks claim(1)+ack",
            OPS,
            lambda: filled_unleased(OPS),
            ts_claim_ack,
            raw_claim_ack,
        ),
        Case(
            f"{TASKS} tasks claim(100)+ack_many",
            BATCHES,
            lambda: filled_unleased(BATCHES * 100),
            ts_claim_ack_many,
            raw_claim_ack_many,
        ),
    ]


def cleanup(url: str) -> None:
    r = redis.Redis.from_url(url)
    r.delete(*ALL_KEYS, RAW_LEASES)
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
