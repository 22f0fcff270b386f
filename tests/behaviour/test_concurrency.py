"""Many processes and tasks consuming one set: every item is delivered exactly once."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from threading import Barrier

import pytest
import redis
import redis.asyncio

from conftest import Server
from typedset import ScheduledSet, SortedSet
from typedset.aio import AsyncScheduledSet, AsyncSortedSet

ITEMS = 20_000
PROCESSES = 8
TASKS = 200
IDLE = 1.0  # a consumer stops after this many seconds without an item


def consume(url: str, name: str, kind: str, use_pop: bool, start: Barrier) -> list[str]:
    """Drain the set with take(50) or pop(); return what this process received."""
    client = redis.Redis.from_url(url)
    s = ScheduledSet(client, name) if kind == "scheduled" else SortedSet(client, name)
    start.wait(timeout=120)  # all processes compete from the same moment
    received: list[str] = []
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < IDLE:
        if use_pop:
            try:
                received.append(s.pop())
            except KeyError:
                time.sleep(0.001)
                continue
        else:
            batch = s.take(50)
            if not batch:
                time.sleep(0.001)
                continue
            received += batch
        idle_since = time.monotonic()
    client.close()
    return received


async def consume_async(s: AsyncSortedSet[str], use_pop: bool) -> list[str]:
    """One task's share, waiting on the server: blocking pop or take until a wait times out."""
    received: list[str] = []
    while True:
        try:
            batch = [await s.pop(timeout=IDLE)] if use_pop else await s.take(50, timeout=IDLE)
        except KeyError:
            return received
        if not batch:
            return received
        received += batch


async def consume_in_tasks(url: str, name: str, kind: str, start: Barrier) -> list[list[str]]:
    """``TASKS`` consumers sharing one asyncio client, as in an application.

    redis-py's pool opens at most 100 connections unless told otherwise.
    """
    client = redis.asyncio.Redis.from_url(url, max_connections=TASKS)
    s = AsyncScheduledSet(client, name) if kind == "scheduled" else AsyncSortedSet(client, name)
    await asyncio.gather(*(s.size() for _ in range(TASKS)))  # open the connections first
    await asyncio.to_thread(start.wait, 120)
    try:
        return await asyncio.gather(*(consume_async(s, task % 2 == 0) for task in range(TASKS)))
    finally:
        await client.aclose()


def fill(r: redis.Redis, name: str, kind: str) -> tuple[SortedSet[str], list[str]]:
    """The set under test, holding ``ITEMS`` items, and those items."""
    s = ScheduledSet(r, name) if kind == "scheduled" else SortedSet(r, name)
    expected = [f"item-{i}" for i in range(ITEMS)]
    if kind == "scheduled":
        # half due now, half due within the next second: consumers must wait for them
        now = time.time()
        s.update_scored([(item, now + (i % 2) * 0.5) for i, item in enumerate(expected)])
    else:
        s.update(expected)
    return s, expected


def drain(
    url: str,
    name: str,
    kind: str,
    processes: int,
    alongside: Callable[[Barrier], list[list[str]]] | None = None,
    *,
    only_pop: bool = False,
) -> tuple[list[list[str]], list[list[str]]]:
    """What each process received, and what ``alongside`` (run here) received.

    Even-numbered processes pop, odd ones take(50) (unless ``only_pop``).
    Everyone starts together.
    """
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(processes) as pool:
        start = manager.Barrier(processes + (alongside is not None))
        args = [
            (url, name, kind, only_pop or worker % 2 == 0, start) for worker in range(processes)
        ]
        pending = pool.starmap_async(consume, args)
        here = alongside(start) if alongside else []
        return pending.get(timeout=300), here


def assert_exactly_once(results: list[list[str]], expected: list[str]) -> None:
    delivered = Counter(item for received in results for item in received)
    assert sum(delivered.values()) == ITEMS, "duplicates or losses"
    assert set(delivered) == set(expected)
    assert max(delivered.values()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sorted", "scheduled"])
def test_concurrent_consumers_receive_every_item_exactly_once(
    server: Server, plain: redis.Redis, name: str, kind: str
) -> None:
    s, expected = fill(plain, name, kind)
    results, _ = drain(server.url, name, kind, PROCESSES)
    assert_exactly_once(results, expected)
    assert all(received for received in results), "every process took part"
    assert len(s) == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sorted", "scheduled"])
def test_tasks_in_one_event_loop_and_processes_receive_every_item_exactly_once(
    server: Server, plain: redis.Redis, name: str, kind: str
) -> None:
    s, expected = fill(plain, name, kind)

    def in_tasks(start: Barrier) -> list[list[str]]:
        return asyncio.run(consume_in_tasks(server.url, name, kind, start))

    in_processes, in_loop = drain(server.url, name, kind, 4, alongside=in_tasks)
    assert_exactly_once(in_processes + in_loop, expected)
    assert sum(map(len, in_loop)) > 0, "the event loop took part"
    assert sum(map(len, in_processes)) > 0, "the processes took part"
    assert len(s) == 0


#: The many-tasks test: tasks on one default asyncio client, and the items they share.
MANY_TASKS = 10_000
MANY_ITEMS = 50_000
#: The most server connections the asyncio client may open for it.
MAX_CONNECTIONS = 8


async def pop_until_empty(s: AsyncSortedSet[str], into: list[str]) -> None:
    while True:
        try:
            into.append(await s.pop())
        except KeyError:
            return


async def many_tasks(url: str, name: str, start: Barrier) -> tuple[list[str], int]:
    """What ``MANY_TASKS`` tasks on one default client popped, and the most connections it held."""
    client = redis.asyncio.Redis.from_url(url, client_name="typedset-many-tasks")
    watcher = redis.asyncio.Redis.from_url(url)
    s = AsyncSortedSet(client, name)
    received: list[str] = []
    most = 0

    async def count_connections() -> None:
        nonlocal most
        while True:
            listed = await watcher.client_list()
            most = max(most, sum(1 for c in listed if c.get("name") == "typedset-many-tasks"))
            await asyncio.sleep(0.02)

    counting = asyncio.create_task(count_connections())
    # The tasks queue their first pops as the processes start: with 10,000
    # tasks to set up on a loaded machine, starting after them could leave
    # the tasks nothing to take.
    popping = asyncio.gather(*(pop_until_empty(s, received) for _ in range(MANY_TASKS)))
    await asyncio.to_thread(start.wait, 120)
    try:
        await popping
    finally:
        counting.cancel()
        await client.aclose()
        await watcher.aclose()
    return received, most


@pytest.mark.slow
def test_ten_thousand_tasks_on_one_default_client_and_processes_pop_each_item_once(
    server: Server, plain: redis.Redis, name: str
) -> None:
    expected = [f"item-{i}" for i in range(MANY_ITEMS)]
    SortedSet(plain, name).update(expected)
    outcome: list[tuple[list[str], int]] = []

    def in_tasks(start: Barrier) -> list[list[str]]:
        outcome.append(asyncio.run(many_tasks(server.url, name, start)))
        return [outcome[0][0]]

    in_processes, in_loop = drain(server.url, name, "sorted", 4, alongside=in_tasks, only_pop=True)
    delivered = Counter(item for received in in_processes + in_loop for item in received)
    assert sum(delivered.values()) == MANY_ITEMS, "duplicates or losses"
    assert set(delivered) == set(expected)
    assert sum(map(len, in_loop)) > 0, "the tasks took part"
    assert sum(map(len, in_processes)) > 0, "the processes took part"
    most = outcome[0][1]
    assert 1 <= most <= MAX_CONNECTIONS, f"{most} connections"
