"""Cancelled async calls never desynchronise the shared connections.

Calls of many tasks share pipelined connections, their replies read in
order. A call cancelled before its command was written is never sent; one
cancelled after has its reply read and dropped. Here 1,000 of 4,000
concurrent calls are cancelled, before and after their commands went out;
every call that was not cancelled must get its own answer, and every call
afterwards must agree with the in-memory model.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio

from conftest import Server
from typedset.aio import AsyncSortedSet
from typedset.testing import MemorySortedSet

ITEMS = 2_000
CALLS = 4_000
CANCELS = 1_000


def _item(k: int) -> str:
    return f"i{k:05}"


async def _cancel_at_random(
    s: AsyncSortedSet[str], rng: random.Random
) -> tuple[int, int, set[int], set[int]]:
    """Run ``CALLS`` calls and cancel ``CANCELS`` of them.

    Returns how many were answered and cancelled, and which adds were
    cancelled before and after their command was written.
    """
    calls: list[tuple[asyncio.Task[Any], object, int | None]] = []

    def start(k: int) -> None:
        choice = k % 4
        coro: Awaitable[Any]
        if choice == 0:
            coro, expected, added = s.score(_item(k % ITEMS)), float(k % ITEMS), None
        elif choice == 1:
            coro, expected, added = s.contains(_item(k % ITEMS)), True, None
        elif choice == 2:
            coro, expected, added = s.contains(f"absent{k}"), False, None
        else:
            coro, expected, added = s.add(f"w{k}", 10_000.0 + k), True, k  # a new item
        calls.append((asyncio.ensure_future(coro), expected, added))

    early: set[int] = set()  # adds cancelled before their command could be written
    late: set[int] = set()  # adds cancelled after it was written
    victims = set(rng.sample(range(CALLS), CANCELS))
    for batch in range(0, CALLS, 200):
        for k in range(batch, batch + 200):
            start(k)
        # Half the victims of this batch go before the writer has run, half after.
        mine = [k for k in range(batch, batch + 200) if k in victims]
        for k in mine[: len(mine) // 2]:
            calls[k][0].cancel()
            if calls[k][2] is not None:
                early.add(k)
        await asyncio.sleep(0)  # the tasks queue their commands
        await asyncio.sleep(0)  # the writer sends them
        for k in mine[len(mine) // 2 :]:
            if calls[k][0].cancel() and calls[k][2] is not None:
                late.add(k)
        if rng.random() < 0.3:
            await asyncio.sleep(rng.random() / 1000)
    results = await asyncio.gather(*(task for task, _, _ in calls), return_exceptions=True)
    answered = cancelled = 0
    for (_, expected, _), result in zip(calls, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            cancelled += 1
            continue
        assert result == expected, "a reply went to the wrong caller"
        answered += 1
    return answered, cancelled, early, late


async def _agree_with_the_model(
    s: AsyncSortedSet[str], model: MemorySortedSet[str], rng: random.Random
) -> None:
    """Rounds of concurrent calls on distinct items, then sequential ones, all checked."""
    present = sorted(model)
    fresh = 0
    for _ in range(150):
        picked = rng.sample(present, 8)
        checks: list[tuple[Awaitable[Any], object]] = []
        for item in picked[:4]:
            checks.append((s.score(item), model.score(item)))
        for item in picked[4:6]:
            checks.append((s.increment(item, 1.0), model.increment(item, 1.0)))
        for item in picked[6:]:
            model.discard(item)
            present.remove(item)
            checks.append((s.discard(item), None))
        for _ in range(3):
            fresh += 1
            model.add(f"n{fresh}", float(fresh))
            present.append(f"n{fresh}")
            checks.append((s.add(f"n{fresh}", float(fresh)), True))
        got = await asyncio.gather(*(call for call, _ in checks))
        assert got == [expected for _, expected in checks]
        expected_pop = model.pop()
        present.remove(expected_pop)
        assert await s.pop() == expected_pop
        assert await s.size() == len(model)
    assert [item async for item in s] == list(model)


def test_cancelling_a_thousand_calls_in_flight_leaves_every_later_call_correct(
    server: Server, name: str
) -> None:
    async def scenario() -> None:
        client = redis.asyncio.Redis.from_url(server.url)
        s = AsyncSortedSet(client, name)
        rng = random.Random(20261129)
        try:
            await s.update_scored((_item(k), float(k)) for k in range(ITEMS))
            answered, cancelled, early, late = await _cancel_at_random(s, rng)
            assert cancelled == CANCELS
            assert answered == CALLS - CANCELS
            # Not written, never sent: those adds did not happen.
            for k in early:
                assert not await s.contains(f"w{k}")
            # The model starts from what is stored now: an add cancelled in
            # flight may or may not have run, and that is the caller's to know.
            model: MemorySortedSet[str] = MemorySortedSet(name)
            stored: Callable[[str], Awaitable[float | None]] = s.score
            for item in [item async for item in s]:
                score = await stored(item)
                assert score is not None
                model.add(item, score)
            assert late, "some adds were cancelled after they were written"
            await _agree_with_the_model(s, model, rng)
        finally:
            await s.clear()
            await client.aclose()

    asyncio.run(scenario())
