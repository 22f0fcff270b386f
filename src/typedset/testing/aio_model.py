"""The asyncio twins of the in-memory models, for unit tests of asyncio code.

``AsyncMemorySortedSet``, ``AsyncMemoryTimeSortedSet``,
``AsyncMemoryScheduledSet`` (and, in :mod:`.aio_stream_model`,
``AsyncMemoryPriorityStream``) have exactly
the API of :mod:`typedset.aio`'s classes (coroutines where those are
coroutines, ``async with`` for ``processing``, ``async for``, the stream's
views as lists) and the constructor of the blocking models, ``clock``
included. Each keeps its state in the blocking model of its kind, so the
semantics are written once, in :mod:`typedset.testing.model`.

Waiting is modelled here: ``pop``, ``take``, ``claim`` and ``processing``
given a ``timeout`` poll the model every few milliseconds with
``asyncio.sleep`` until something is ready or the timeout (in real seconds,
as for the real classes) is over, so the event loop keeps running and an
item another task adds is seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, overload

from typing_extensions import TypeVar

from .. import DeadLetter, Lease
from .._base import default_codec, share_docs
from .._durability import Durability
from .._set_ops import check_ttl
from .._stats import SetStats
from ..aio import AsyncProcessing
from ..protocols import Anchor, OnDuplicate, Reschedule, Scorer, Serializer
from .model import DEFAULT_TTL, MemoryScheduledSet, MemorySortedSet, MemoryTimeSortedSet

__all__ = [
    "AsyncMemoryScheduledSet",
    "AsyncMemorySortedSet",
    "AsyncMemoryTimeSortedSet",
]

#: The element (or value) type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
D = TypeVar("D")
S = TypeVar("S")

#: How often a waiting call looks at the model again, in seconds.
POLL = 0.005
#: How long a pulled key cools down unless told otherwise.
ONE_DAY = timedelta(days=1)


async def _waiting(attempt: Callable[[], list[S]], n: int, timeout: float | None) -> list[S]:
    """``attempt()`` until it finds something or ``timeout`` seconds have passed.

    The first attempt checks the arguments (``n`` and ``timeout`` included),
    so bad input fails at once, as it does for the real classes; ``n <= 0``
    answers ``[]`` at once.
    """
    found = attempt()
    if found or timeout is None or n <= 0:
        return found
    deadline = time.monotonic() + timeout
    while not found:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(min(POLL, remaining))
        found = attempt()
    return found


async def collect(items: Iterable[S] | AsyncIterable[S]) -> Iterable[S]:
    if isinstance(items, AsyncIterable):
        return [item async for item in items]
    return items


async def each(items: Iterable[S]) -> AsyncIterator[S]:
    for item in items:
        yield item


class AsyncMemorySortedSet(Generic[T]):
    """An ``AsyncSortedSet`` model: a :class:`MemorySortedSet` behind coroutines, no server.

    >>> import asyncio
    >>> async def main() -> list[str]:
    ...     jobs = AsyncMemorySortedSet()
    ...     await jobs.add("a")
    ...     async with jobs.processing(ttl=10) as item:
    ...         pass
    ...     return [item, *[x async for x in jobs]]
    >>> asyncio.run(main())
    ['a']
    """

    _model_type: ClassVar[type[MemorySortedSet[Any]]] = MemorySortedSet

    # ``self`` pins ``str`` without a serializer; each subclass repeats the
    # overloads for mypy (see ``MemorySortedSet.__init__``).
    @overload
    def __init__(
        self: AsyncMemorySortedSet[str],
        name: str = "memory",
        *,
        scorer: Scorer[str] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[T],
        scorer: Scorer[T] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[Any] | None = None,
        scorer: Scorer[Any] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._model: MemorySortedSet[T] = self._model_type(
            name,
            serializer=default_codec(type(self), serializer),
            scorer=scorer,
            on_duplicate=on_duplicate,
            max_deliveries=max_deliveries,
            unique_for=unique_for,
            durability=durability,
            clock=clock,
        )

    @property
    def name(self) -> str:
        """The name given (``"memory"`` by default); lease tokens carry it, as the real ones do."""
        return self._model.name

    @property
    def durability(self) -> Durability | None:
        """What the real collection's writes would wait for; kept, with no effect in memory."""
        return self._model.durability

    @property
    def serializer(self) -> Serializer[T]:
        """The codec items are stored with (members are kept encoded, as Redis keeps them)."""
        return self._model.serializer

    async def add(self, item: T, score: float | None = None) -> bool:
        return self._model.add(item, score)

    async def update(self, items: Iterable[T]) -> int:
        return self._model.update(items)

    async def update_scored(self, pairs: Iterable[tuple[T, float]]) -> int:
        return self._model.update_scored(pairs)

    async def increment(self, item: T, by: float = 1.0) -> float:
        return self._model.increment(item, by)

    async def discard(self, item: T) -> None:
        self._model.discard(item)

    async def remove(self, item: T) -> None:
        self._model.remove(item)

    async def clear(self) -> None:
        self._model.clear()

    async def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the lowest-scored item; ``KeyError`` if none (after ``timeout``).

        Waits without blocking the event loop. O(L + N) per look.
        """
        taken = await self.take(1, timeout=timeout)
        if not taken:
            raise KeyError("pop from an empty set")
        return taken[0]

    async def take(self, n: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``n`` items; with ``timeout``, wait that long for the first.

        Waits without blocking the event loop. O(L + n N) per look.
        """
        return await _waiting(lambda: self._model.take(n, timeout=timeout), n, timeout)

    async def claim(
        self, n: int = 1, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> list[Lease[T]]:
        """Lease up to ``n`` items until ``clock() + ttl``; with ``timeout``, wait for the first.

        Waits without blocking the event loop. O(L + (n + s) N) per look.
        """
        return await _waiting(lambda: self._model.claim(n, ttl=ttl, timeout=timeout), n, timeout)

    async def ack(self, lease: Lease[T]) -> bool:
        return self._model.ack(lease)

    async def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        return self._model.ack_many(leases)

    async def release(self, lease: Lease[T], *, delay: float | None = None) -> bool:
        return self._model.release(lease, delay=delay)

    async def release_many(self, leases: Iterable[Lease[T]], *, delay: float | None = None) -> int:
        return self._model.release_many(leases, delay=delay)

    async def extend(self, lease: Lease[T], ttl: float) -> bool:
        return self._model.extend(lease, ttl)

    async def extend_many(self, leases: Iterable[Lease[T]], ttl: float) -> int:
        return self._model.extend_many(leases, ttl)

    def processing(
        self, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> AsyncProcessing[T]:
        """Claim one item for an ``async with`` block: ack on normal exit, release on an exception.

        ``KeyError`` when nothing is ready (with ``timeout``, after waiting that long).
        """
        seconds = check_ttl(ttl)
        return AsyncProcessing(self, seconds, lambda: self._claim_one(seconds, timeout))

    async def _claim_one(self, ttl: float, timeout: float | None) -> Lease[T]:
        leases = await self.claim(1, ttl=ttl, timeout=timeout)
        if not leases:
            raise KeyError(f"nothing to claim in {self.name}")
        return leases[0]

    async def leased(self) -> list[Lease[T]]:
        return self._model.leased()

    async def peek(self, position: int = 0) -> T:
        return self._model.peek(position)

    async def peek_score(self) -> float | None:
        return self._model.peek_score()

    async def score(self, item: T) -> float | None:
        return self._model.score(item)

    async def contains(self, item: T) -> bool:
        return self._model.contains(item)

    async def size(self) -> int:
        return self._model.size()

    async def stats(self) -> SetStats:
        return self._model.stats()

    def __aiter__(self) -> AsyncIterator[T]:
        return each(self._model)

    async def dead_letters(self) -> list[DeadLetter]:
        return self._model.dead_letters()

    async def requeue_dead(self) -> int:
        return self._model.requeue_dead()

    async def clear_dead_letters(self) -> int:
        return self._model.clear_dead_letters()

    # As the real async twins, these also take async iterables (another async set).

    async def isdisjoint(self, other: Iterable[object] | AsyncIterable[object]) -> bool:
        return self._model.isdisjoint(await collect(other))

    async def union_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        self._model.union_update(await collect(other))

    async def intersection_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        self._model.intersection_update(await collect(other))

    async def difference_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        self._model.difference_update(await collect(other))

    async def symmetric_difference_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        self._model.symmetric_difference_update(await collect(other))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, serializer={self.serializer!r})"


class AsyncMemoryTimeSortedSet(AsyncMemorySortedSet[T]):
    """An ``AsyncTimeSortedSet`` model: default scores come from ``clock``."""

    _model_type = MemoryTimeSortedSet

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``MemorySortedSet.__init__``)

        @overload
        def __init__(
            self: AsyncMemoryTimeSortedSet[str],
            name: str = "memory",
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
            clock: Callable[[], float] = time.time,
        ) -> None: ...
        @overload
        def __init__(
            self,
            name: str = "memory",
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
            clock: Callable[[], float] = time.time,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...


class AsyncMemoryScheduledSet(AsyncMemoryTimeSortedSet[T]):
    """An ``AsyncScheduledSet`` model: reads and claims see only items due by ``clock()``."""

    _model_type = MemoryScheduledSet

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``MemorySortedSet.__init__``)

        @overload
        def __init__(
            self: AsyncMemoryScheduledSet[str],
            name: str = "memory",
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
            clock: Callable[[], float] = time.time,
        ) -> None: ...
        @overload
        def __init__(
            self,
            name: str = "memory",
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
            clock: Callable[[], float] = time.time,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    async def available(self) -> int:
        return cast("MemoryScheduledSet[T]", self._model).available()

    async def add_periodic(
        self,
        item: T,
        every: float | timedelta,
        *,
        first_due: float | None = None,
        anchor: Anchor = "due",
        reschedule: Reschedule = "claim",
    ) -> bool:
        model = cast("MemoryScheduledSet[T]", self._model)
        return model.add_periodic(
            item, every, first_due=first_due, anchor=anchor, reschedule=reschedule
        )


# The coroutines say what their blocking model's methods say.
share_docs(AsyncMemorySortedSet, MemorySortedSet, {"__aiter__": "__iter__"})
share_docs(AsyncMemoryScheduledSet, MemoryScheduledSet, {})
