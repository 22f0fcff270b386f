"""The async models behave as the blocking models they wrap, and wait without blocking the loop.

One scripted sequence per kind runs on the blocking model and on its async
twin, with the same fake clock, and every result (or error) must agree. The
waiting calls (``pop``, ``take``, ``claim``, ``processing`` with a
``timeout``) must let other tasks run, and wake when one of them adds an
item. No server is needed.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, ItemsView, KeysView, ValuesView
from typing import Any

import msgspec
import pytest

from typedset import MsgspecCodec
from typedset.aio import AsyncProcessing
from typedset.testing import (
    AsyncMemoryPriorityStream,
    AsyncMemoryScheduledSet,
    AsyncMemorySortedSet,
    AsyncMemoryTimeSortedSet,
    MemoryPriorityStream,
    MemoryScheduledSet,
    MemorySortedSet,
    MemoryTimeSortedSet,
)


class Task(msgspec.Struct, frozen=True):
    id: int


class Clock:
    """A clock the script moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Calls methods on a blocking or an async model alike, and records what each returned."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.log: list[tuple[str, object]] = []

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(self.target, method)(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except (KeyError, ValueError, TypeError) as error:
            result = error
        self.log.append((method, _plain(result)))
        return result

    async def contents(self) -> list[Any]:
        """Iteration, ``for`` or ``async for``."""
        if hasattr(self.target, "__aiter__"):
            found = [item async for item in self.target]
        else:
            found = list(self.target)
        self.log.append(("iterate", found))
        return found

    async def process(self, fail: bool) -> None:
        """One ``processing`` block, ``with`` or ``async with``; ``fail`` raises inside it."""
        job = self.target.processing(ttl=5)
        try:
            if isinstance(job, AsyncProcessing):
                async with job as item:
                    self.log.append(("processing", item))
                    if fail:
                        raise RuntimeError("the job failed")
            else:
                with job as item:
                    self.log.append(("processing", item))
                    if fail:
                        raise RuntimeError("the job failed")
        except (RuntimeError, KeyError) as error:
            self.log.append(("processing", _plain(error)))


def _plain(result: object) -> object:
    """A result both flavours can compare: views as lists, errors as their kind and text."""
    if isinstance(result, KeysView | ValuesView | ItemsView):
        return list(result)
    if isinstance(result, Exception):
        return type(result).__name__, str(result)
    return result


async def sorted_set_script(s: Recorder, clock: Clock) -> None:
    await s("add", "c", 3.0)
    await s("update", ["b", "a"])
    await s("update_scored", [("d", 4.0), ("e", -1.0)])
    await s("increment", "c", 2.5)
    await s("increment", "absent")
    await s("score", "c")
    await s("contains", "b")
    await s("size")
    await s.contents()
    await s("peek")
    await s("peek", 1)
    await s("peek_score")
    await s("pop")
    await s("take", 2)
    await s("take", 0, timeout=5)
    await s("discard", "zz")
    await s("remove", "zz")
    await s("add", "x", float("nan"))
    await s("pop", timeout=-1)
    # leases: claim, ack, release, extend, expiry by the clock, dead letters
    await s("update_scored", [("p", 1.0), ("q", 2.0), ("r", 3.0)])
    leases = await s("claim", 2, ttl=10)
    await s("leased")
    await s("ack", leases[0])
    await s("ack", leases[0])
    await s("extend", leases[1], 20)
    await s("release", leases[1], delay=5)
    await s("peek_score")
    clock.now += 6
    more = await s("claim", 3, ttl=1)
    await s("extend_many", more, 2)
    clock.now += 3
    await s("ack_many", more)
    again = await s("claim", 5, ttl=1)
    await s("release_many", again)
    await s("dead_letters")
    await s("requeue_dead")
    await s.process(fail=False)
    await s.process(fail=True)
    await s("size")
    # set algebra
    await s("isdisjoint", ["q", "nope"])
    await s("union_update", ["u", "v", "w"])
    await s("intersection_update", ["u", "v", "w", "q", 1])
    await s("difference_update", ["u", 2])
    await s("symmetric_difference_update", ["v", "new"])
    await s.contents()
    await s("clear")
    await s("pop")
    await s.process(fail=False)
    await s("clear_dead_letters")


async def dead_letter_script(s: Recorder, clock: Clock) -> None:
    await s("add", "job", 1.0)
    for _ in range(3):
        leases = await s("claim", ttl=1)
        if leases:
            await s("release", leases[0])
        clock.now += 2
    await s("dead_letters")
    await s("requeue_dead")
    await s("claim")
    await s("dead_letters")


async def scheduled_script(s: Recorder, clock: Clock) -> None:
    await s("add", "later", clock.now + 10)
    await s("add", "now", clock.now)
    await s("available")
    await s("take", 5)
    await s("pop")
    await s("size")
    clock.now += 10
    await s("available")
    await s("claim")


async def stream_script(s: Recorder, clock: Clock) -> None:
    await s("add", "a", "one", 2.0)
    await s("add_many", [("b", "two", 1.0), ("c", "three", 5.0), ("a", "one!", 1.0)])
    await s("increment", "b", 0.5)
    await s("priority", "a")
    await s("get", "a")
    await s("get", "nope", "fallback")
    await s("__getitem__", "c")
    await s("__getitem__", "nope")
    await s("contains", "b")
    await s("size")
    await s("keys")
    await s("values")
    await s("items")
    await s.contents()
    await s("pull", 1, purge=False, gate=True, expire_in=30)
    await s("add", "c", "back")
    await s("add", "c", "back", readd=True)
    await s("pull", 2, expire_in=5)
    await s("add", "a", "cooling")
    clock.now += 6
    await s("expire")
    await s("add", "a", "again")
    await s("decrement_all", 0.5)
    await s("delete_below", 1.0, gate=True)
    await s("pull", 0)
    await s("dead_letters")
    await s("clear_dead_letters")
    await s("items")
    await s("clear")
    await s("size")


#: (blocking model, async model, script, constructor options)
SCRIPTS: list[tuple[Any, Any, Callable[[Recorder, Clock], Awaitable[None]], dict[str, Any]]] = [
    (MemorySortedSet, AsyncMemorySortedSet, sorted_set_script, {"max_deliveries": 3}),
    (MemoryTimeSortedSet, AsyncMemoryTimeSortedSet, sorted_set_script, {}),
    (MemoryScheduledSet, AsyncMemoryScheduledSet, scheduled_script, {}),
    (MemorySortedSet, AsyncMemorySortedSet, dead_letter_script, {"max_deliveries": 2}),
    (MemoryPriorityStream, AsyncMemoryPriorityStream, stream_script, {"decay": 0.5}),
]


@pytest.mark.parametrize(
    ("blocking", "twin", "script", "options"),
    SCRIPTS,
    ids=[f"{twin.__name__}-{script.__name__}" for _, twin, script, _ in SCRIPTS],
)
def test_an_async_model_answers_as_its_blocking_model(
    blocking: Callable[..., Any],
    twin: Callable[..., Any],
    script: Callable[[Recorder, Clock], Awaitable[None]],
    options: dict[str, Any],
) -> None:
    async def run(make: Callable[..., Any]) -> list[tuple[str, object]]:
        clock = Clock()
        recorder = Recorder(make("jobs", clock=clock, **options))
        await script(recorder, clock)
        return recorder.log

    expected = asyncio.run(run(blocking))
    got = asyncio.run(run(twin))
    assert len(expected) >= 8
    assert got == expected


def test_async_models_keep_the_codec_and_the_clock() -> None:
    async def main() -> None:
        clock = Clock()
        tasks = AsyncMemoryTimeSortedSet(serializer=MsgspecCodec(Task), clock=clock)
        await tasks.add(Task(1))
        assert await tasks.score(Task(1)) == clock.now
        assert tasks.name == "memory"
        assert repr(tasks) == f"AsyncMemoryTimeSortedSet('memory', serializer={tasks.serializer!r})"
        stream = AsyncMemoryPriorityStream("feeds", serializer=MsgspecCodec(Task), decay=0.25)
        assert (stream.name, stream.decay) == ("feeds", 0.25)
        await stream.add("k", Task(2))
        assert await stream.items() == [("k", Task(2))]
        assert [key async for key in stream] == ["k"]

    asyncio.run(main())


def test_async_set_algebra_takes_another_async_model() -> None:
    async def main() -> None:
        ours, theirs = AsyncMemorySortedSet(), AsyncMemorySortedSet()
        await ours.update(["a", "b"])
        await theirs.update(["b", "c"])
        assert not await ours.isdisjoint(theirs)
        await ours.union_update(theirs)
        assert [item async for item in ours] == ["a", "b", "c"]
        await ours.difference_update(theirs)
        assert [item async for item in ours] == ["a"]

    asyncio.run(main())


def test_the_blocking_models_in_place_operators_are_the_named_methods() -> None:
    s = MemorySortedSet()
    same = s
    s |= {"a", "b", "c"}
    s -= {"a"}
    s &= {"b", "c", 1}
    s ^= {"c", "d"}
    assert s is same
    assert list(s) == ["b", "d"]
    assert s | {"e"} == {"b", "d", "e"}
    assert s & {"b"} == {"b"}
    assert s - {"b"} == {"d"}
    assert s ^ {"b", "e"} == {"d", "e"}


async def ticks_while(waiting: Awaitable[object]) -> tuple[object, int]:
    """Await ``waiting`` while a ticker runs; its result (or error) and the ticks counted."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        return await waiting, ticks
    except KeyError as error:
        return error, ticks
    finally:
        ticking.cancel()


@pytest.mark.parametrize("kind", [AsyncMemorySortedSet, AsyncMemoryScheduledSet])
def test_a_waiting_pop_lets_the_loop_run_and_wakes_on_an_add(
    kind: type[AsyncMemorySortedSet[str]],
) -> None:
    async def main() -> None:
        s = kind()

        async def add_later() -> None:
            await asyncio.sleep(0.1)
            await s.add("x", 0.0)

        adding = asyncio.create_task(add_later())
        started = time.monotonic()
        found, ticks = await ticks_while(s.pop(timeout=5))
        await adding
        assert found == "x"
        assert time.monotonic() - started < 1
        assert ticks >= 5

    asyncio.run(main())


def test_a_waiting_call_gives_up_at_its_timeout_without_blocking() -> None:
    async def main() -> None:
        s = AsyncMemorySortedSet()
        started = time.monotonic()
        found, ticks = await ticks_while(s.pop(timeout=0.2))
        assert isinstance(found, KeyError)
        assert 0.2 <= time.monotonic() - started < 1
        assert ticks >= 10
        assert await s.take(3, timeout=0.05) == []
        assert await s.claim(timeout=0.05) == []
        started = time.monotonic()
        assert await s.take(0, timeout=5) == []
        assert time.monotonic() - started < 0.5
        with pytest.raises(ValueError, match="timeout"):
            await s.pop(timeout=-1)

    asyncio.run(main())


def test_waiting_claim_and_processing_wake_when_an_item_comes() -> None:
    async def main() -> None:
        clock = Clock()
        s = AsyncMemoryScheduledSet(clock=clock)
        await s.add("due later", clock.now + 60)

        async def move_the_clock() -> None:
            await asyncio.sleep(0.05)
            clock.now += 60  # the item becomes due: no add, only time

        moving = asyncio.create_task(move_the_clock())
        [lease] = await s.claim(ttl=5, timeout=5)
        await moving
        assert lease.item == "due later"
        assert await s.ack(lease)

        async def add_later() -> None:
            await asyncio.sleep(0.05)
            await s.add("job", 0.0)

        adding = asyncio.create_task(add_later())
        async with s.processing(ttl=5, timeout=5) as item:
            assert item == "job"
            assert [held.item for held in await s.leased()] == ["job"]
        await adding
        assert await s.leased() == []
        assert await s.size() == 0

    asyncio.run(main())
