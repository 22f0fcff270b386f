"""The asyncio twins vs raw redis.asyncio: 100 concurrent tasks, same run, interleaved.

Each case starts ``TASKS`` tasks on one shared client; each task does its
share of the operations one after another. Rounds alternate which side goes
first; the report gives ops/s and the typedset/raw time ratio (target <= 1.25).

    python benchmarks/bench_async.py [--url redis://...] [--rounds 7]
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

import redis.asyncio

from bench_sorted_set import Popped, Results, main_with, members
from typedset.aio import AsyncSortedSet

TASKS = 100
OPS = 10_000
PER_TASK = OPS // TASKS

Body = Callable[[redis.asyncio.Redis, str, int], Awaitable[None]]


@dataclass
class Case:
    """One benchmark: what to put in the set first, and what each task does, for each side."""

    name: str
    prefill: bool
    typedset: Body
    raw: Body


async def ts_add(r: redis.asyncio.Redis, name: str, task: int) -> None:
    s = AsyncSortedSet(r, name)
    for i, member in enumerate(members(PER_TASK)):
        await s.add(f"{task}:{member}", i)


async def raw_add(r: redis.asyncio.Redis, name: str, task: int) -> None:
    for i, member in enumerate(members(PER_TASK)):
        await r.zadd(name, {f"{task}:{member}".encode(): i})


async def ts_pop(r: redis.asyncio.Redis, name: str, task: int) -> None:
    s = AsyncSortedSet(r, name)
    for _ in range(PER_TASK):
        await s.pop()


async def raw_pop(r: redis.asyncio.Redis, name: str, task: int) -> None:
    for _ in range(PER_TASK):
        [(member, _score)] = cast(Popped, await r.zpopmin(name))
        member.decode()


CASES = [
    Case(f"{TASKS} tasks add", False, ts_add, raw_add),
    Case(f"{TASKS} tasks pop", True, ts_pop, raw_pop),
]


async def timed(case: Case, body: Body, r: redis.asyncio.Redis, name: str) -> float:
    await r.delete(name)
    if case.prefill:
        await r.zadd(name, dict.fromkeys(members(OPS), 0))
    started = time.perf_counter()
    await asyncio.gather(*(body(r, name, task) for task in range(TASKS)))
    return time.perf_counter() - started


async def run(r: redis.asyncio.Redis, rounds: int) -> Results:
    name = "bench:typedset:async"
    results = []
    for case in CASES:
        for body in (case.typedset, case.raw):  # warm-up: connections, scripts
            await timed(case, body, r, name)
        times: dict[Body, list[float]] = {case.typedset: [], case.raw: []}
        for round_ in range(rounds):
            order = [case.typedset, case.raw]
            for body in order if round_ % 2 == 0 else reversed(order):
                times[body].append(await timed(case, body, r, name))
        ts, raw = statistics.median(times[case.typedset]), statistics.median(times[case.raw])
        results.append((case.name, OPS / ts, OPS / raw, ts / raw))
    await r.delete(name)
    await r.aclose()
    return results


def main() -> None:
    def bench(url: str, rounds: int) -> Results:
        client = redis.asyncio.Redis.from_url(url, max_connections=TASKS)
        return asyncio.run(run(client, rounds))

    main_with(__doc__, bench)


if __name__ == "__main__":
    main()
