"""The asyncio twin of the priority-stream model, for unit tests of asyncio code.

``AsyncMemoryPriorityStream`` has exactly the API of
:class:`typedset.aio.AsyncPriorityStream` (coroutines where those are
coroutines, the views as lists) and the constructor of
:class:`~typedset.testing.MemoryPriorityStream`, ``clock`` included; its
state lives in that blocking model, so the semantics are written once.
``pull(timeout=)`` polls that model every few milliseconds with
``asyncio.sleep``, as the asyncio set models wait, so an item another task
adds is seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Generic, overload

from typing_extensions import TypeVar

from .._base import default_codec, share_docs
from .._durability import Durability
from .._stats import StreamStats
from .._stream_ops import StreamDeadLetter
from ..protocols import Serializer
from .aio_model import ONE_DAY, POLL, each
from .stream_model import MemoryPriorityStream

__all__ = ["AsyncMemoryPriorityStream"]

#: The value type; ``str`` when no serializer says otherwise.
V = TypeVar("V", default=str)
D = TypeVar("D")


class AsyncMemoryPriorityStream(Generic[V]):
    """An ``AsyncPriorityStream`` model: a :class:`MemoryPriorityStream` behind coroutines."""

    # ``self`` pins ``str`` without a serializer, as in ``AsyncPriorityStream``.
    @overload
    def __init__(
        self: AsyncMemoryPriorityStream[str],
        name: str = "memory",
        *,
        decay: float = 1.0,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[V],
        decay: float = 1.0,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[Any] | None = None,
        decay: float = 1.0,
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        codec: Serializer[V] = default_codec(type(self), serializer)
        self._model: MemoryPriorityStream[V] = MemoryPriorityStream(
            name, serializer=codec, decay=decay, durability=durability, clock=clock
        )

    @property
    def name(self) -> str:
        """The name given (``"memory"`` by default)."""
        return self._model.name

    @property
    def durability(self) -> Durability | None:
        """What the real collection's writes would wait for; kept, with no effect in memory."""
        return self._model.durability

    @property
    def serializer(self) -> Serializer[V]:
        """The codec values are stored with (values are kept encoded, as Redis keeps them)."""
        return self._model.serializer

    @property
    def decay(self) -> float:
        """How much ``pull(purge=False)`` lowers the priority of the items it keeps."""
        return self._model.decay

    async def add(
        self, key: str, value: V, score: float = 1.0, *, readd: bool = False
    ) -> float | None:
        return self._model.add(key, value, score, readd=readd)

    async def add_many(
        self, items: Iterable[tuple[str, V, float]], *, readd: bool = False
    ) -> list[float | None]:
        return self._model.add_many(items, readd=readd)

    async def pull(
        self,
        count: int = 1,
        *,
        purge: bool = True,
        gate: bool = False,
        expire_in: timedelta | float = ONE_DAY,
        expire_at: datetime | None = None,
        timeout: float | None = None,
    ) -> dict[str, V]:
        def attempt() -> dict[str, V]:
            return self._model.pull(
                count,
                purge=purge,
                gate=gate,
                expire_in=expire_in,
                expire_at=expire_at,
                timeout=timeout,
            )

        found = attempt()  # checks every argument first, as the real pull does
        deadline = time.monotonic() + (timeout or 0.0)
        while not found and (remaining := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(POLL, remaining))
            found = attempt()
        return found

    async def increment(self, key: str, by: float = 1.0) -> float:
        return self._model.increment(key, by)

    async def decrement_all(self, by: float = 1.0) -> int:
        return self._model.decrement_all(by)

    async def delete_below(self, threshold: float, *, gate: bool = False) -> list[str]:
        return self._model.delete_below(threshold, gate=gate)

    async def clear(self) -> None:
        self._model.clear()

    async def expire(self) -> int:
        return self._model.expire()

    async def __getitem__(self, key: str) -> V:
        return self._model[key]

    @overload
    async def get(self, key: str, default: None = None) -> V | None: ...
    @overload
    async def get(self, key: str, default: V | D) -> V | D: ...
    async def get(self, key: str, default: object = None) -> object:
        return self._model.get(key, default)

    async def priority(self, key: str) -> float | None:
        return self._model.priority(key)

    async def contains(self, key: str) -> bool:
        return self._model.contains(key)

    async def size(self) -> int:
        return self._model.size()

    async def stats(self) -> StreamStats:
        return self._model.stats()

    def __aiter__(self) -> AsyncIterator[str]:
        return each(self._model)

    async def keys(self) -> list[str]:
        """Keys in priority order. O(N log N)."""
        return list(self._model.keys())

    async def values(self) -> list[V]:
        """Values in priority order. O(N log N)."""
        return list(self._model.values())

    async def items(self) -> list[tuple[str, V]]:
        """``(key, value)`` pairs in priority order. O(N log N)."""
        return list(self._model.items())

    async def dead_letters(self) -> list[StreamDeadLetter]:
        return self._model.dead_letters()

    async def requeue_dead(self) -> int:
        return self._model.requeue_dead()

    async def clear_dead_letters(self) -> int:
        return self._model.clear_dead_letters()

    async def cooling(self) -> dict[str, datetime]:
        return self._model.cooling()

    async def gated(self) -> set[str]:
        return self._model.gated()

    async def ungate(self, key: str) -> bool:
        return self._model.ungate(key)

    async def cool_down(self, key: str, until: datetime | timedelta | float) -> datetime:
        return self._model.cool_down(key, until)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, serializer={self.serializer!r})"


# The coroutines say what their blocking model's methods say.
share_docs(AsyncMemoryPriorityStream, MemoryPriorityStream, {"__aiter__": "__iter__"})
