"""What only the asyncio twins have to show: real coroutines that never block the loop.

Everything they share with the blocking classes is checked by the other
behaviour tests, which run for both flavours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import msgspec
import pytest
import redis.asyncio

from conftest import Server
from typedset import MsgspecCodec
from typedset.aio import AsyncScheduledSet, AsyncSortedSet, AsyncTimeSortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def run_with(server: Server, body: Callable[[redis.asyncio.Redis], Awaitable[None]]) -> None:
    async def main() -> None:
        client = server.async_client()
        try:
            await body(client)
        finally:
            await client.aclose()

    asyncio.run(main())


async def ticks_while(waiting: Awaitable[object]) -> tuple[object, int]:
    """Await ``waiting`` while a ticker runs; return its result and the ticks counted."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        return await waiting, ticks
    finally:
        ticking.cancel()


@pytest.mark.parametrize("kind", [AsyncSortedSet, AsyncTimeSortedSet, AsyncScheduledSet])
def test_blocking_pop_leaves_the_event_loop_running(
    server: Server, name: str, kind: type[AsyncSortedSet[str]]
) -> None:
    async def body(client: redis.asyncio.Redis) -> None:
        s = kind(client, name)

        async def produce() -> None:
            await asyncio.sleep(0.3)
            await s.add("late")

        producer = asyncio.create_task(produce())
        item, ticks = await ticks_while(s.pop(timeout=5))
        await producer
        assert item == "late"
        assert ticks >= 10  # ~30 ticks of 10 ms fit in the 0.3 s wait

    run_with(server, body)


def test_blocking_take_times_out_without_blocking_the_loop(server: Server, name: str) -> None:
    async def body(client: redis.asyncio.Redis) -> None:
        s = AsyncScheduledSet(client, name)
        await s.add("far", time.time() + 3600)
        items, ticks = await ticks_while(s.take(3, timeout=0.3))
        assert items == []
        assert ticks >= 10

    run_with(server, body)


def test_async_for_yields_typed_items_in_score_order(server: Server, name: str) -> None:
    async def body(client: redis.asyncio.Redis) -> None:
        s = AsyncSortedSet(client, name, serializer=MsgspecCodec(Task))
        await s.update_scored([(Task(i), float(-i)) for i in range(1200)])
        seen = [task async for task in s]
        assert seen == [Task(i) for i in reversed(range(1200))]
        assert await s.size() == 1200
        assert await s.contains(Task(7))
        assert not await s.contains(Task(5000))

    run_with(server, body)


@pytest.mark.parametrize("kind", [AsyncSortedSet, AsyncScheduledSet])
def test_cancelled_blocking_pop_takes_nothing(
    server: Server, name: str, kind: type[AsyncSortedSet[str]]
) -> None:
    """A pop cancelled while the server holds its BZPOPMIN must not take the next item.

    Closing the connection does not always stop the command in time (Redis
    6.2 served such dead clients): the item it pops is put back.
    """

    async def body(client: redis.asyncio.Redis) -> None:
        s = kind(client, name)
        for round_ in range(20):
            waiting = asyncio.create_task(s.pop(timeout=10))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await s.add(f"after {round_}")
            await asyncio.sleep(0.05)  # time for a dead BZPOPMIN to take it, and put it back
            assert await s.size() == 1, f"round {round_}: the item was taken by a cancelled pop"
            assert await s.pop() == f"after {round_}"

    run_with(server, body)


def test_repr_does_no_io(name: str) -> None:
    dead = redis.asyncio.Redis(host="127.0.0.1", port=1)  # nothing listens there
    s = AsyncScheduledSet(dead, name, serializer=MsgspecCodec(Task))
    assert repr(s) == f"AsyncScheduledSet({name!r}, serializer=MsgspecCodec(Task, format='json'))"


def test_in_place_methods_read_an_async_set_on_another_client(server: Server, name: str) -> None:
    async def body(client: redis.asyncio.Redis) -> None:
        other_client = server.async_client()
        s = AsyncSortedSet(client, name)
        t = AsyncSortedSet(other_client, name + ":other")
        try:
            await s.update(["a", "b"])
            await t.update(["b", "c"])
            await s.union_update(t)  # not the same client: read through the client
            assert [item async for item in s] == ["a", "b", "c"]
            assert not await s.isdisjoint(t)
            await s.difference_update(t)
            assert [item async for item in s] == ["a"]
        finally:
            await t.clear()
            await other_client.aclose()

    run_with(server, body)
