"""In-memory models of ``ExpiringSet`` and ``AsyncExpiringSet``, with an injectable clock.

They have the public API of the real classes and share no code with them
(only the public codecs and exceptions): the state machine in
:mod:`typedset.testing.expiring_machine` compares the two. ``clock`` stands
for the server's clock, in Unix seconds; deadlines are whole milliseconds,
as on the server (``floor(clock() * 1000) + ttl`` in milliseconds), and a
member whose deadline is ``<= now`` has expired: every method treats it as
absent. Members are kept encoded, exactly as Redis keeps them, and iterate
in deadline order, then by their bytes, the way a ZSET orders them. A member
the serializer cannot decode goes to the dead letters (``pop`` raises
:class:`~typedset.DecodeError` after the move, iteration skips it); they go
when the clock passes the latest deadline the set had since one was moved,
as the real set's dead-letter key expires.

>>> now = [1000.0]
>>> seen = MemoryExpiringSet(ttl=60, clock=lambda: now[0])
>>> seen.add("a"), seen.add("a"), "a" in seen
(True, False, True)
>>> now[0] += 60  # the deadline: "a" has expired
>>> "a" in seen, seen.add("a")
(False, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableSet,
)
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import Any, Generic, cast, overload

from typing_extensions import Self, TypeVar

from .._base import default_codec, share_docs
from .._durability import Durability
from .._stats import ExpiringStats
from ..errors import DecodeError, EncodeError
from ..expiring_set import ExpiringDeadLetter, OnRefresh
from ..protocols import Serializer
from .aio_model import collect, each
from .model import MemoryCollection, encode_with

__all__ = ["AsyncMemoryExpiringSet", "MemoryExpiringSet"]

#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
S = TypeVar("S")

#: The longest time to live, in seconds, as the real classes have it.
_MAX_TTL = 1e10


def _milliseconds(ttl: object) -> int:
    """``ttl`` (seconds or ``timedelta``) in whole milliseconds; refused as the real ones do."""
    if isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
    elif isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"ttl must be a number, not {type(ttl).__name__}")
    else:
        seconds = float(ttl)
    if math.isnan(seconds) or not 0.001 <= seconds <= _MAX_TTL:
        raise ValueError(f"ttl must be at least 0.001 seconds and at most 1e10, not {ttl!r}")
    return max(1, round(seconds * 1000))


def _iterable(items: object, what: str) -> None:
    """Refuse one ``str``/``bytes`` or a mapping where many items are wanted, as the real do."""
    kind = type(items).__name__
    if isinstance(items, str | bytes | bytearray | memoryview | Mapping):
        raise TypeError(f"{what} takes an iterable of items, not one {kind}")


class MemoryExpiringSet(MutableSet[T], MemoryCollection[T]):
    """An ``ExpiringSet`` kept in a dict (member -> deadline); same API, no server.

    ``clock`` stands for the server's clock: move it on to expire members.
    Nothing is pruned: an expired member is only invisible, which is all
    the real set's lazy removal lets anyone observe.
    """

    @overload
    def __init__(
        self: MemoryExpiringSet[str],
        name: str = "memory",
        *,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[T],
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[Any] | None = None,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bind(name, serializer, durability, clock)
        if on_duplicate not in ("keep", "refresh"):
            raise ValueError(f"on_duplicate must be 'keep' or 'refresh', not {on_duplicate!r}")
        self._ttl = _milliseconds(ttl)
        self._refresh = on_duplicate == "refresh"
        self._deadlines: dict[bytes, int] = {}
        #: member -> (reason, deadline, moved at) in ms; kept while the clock is <= _dead_until.
        self._dead: dict[bytes, tuple[str, int, int]] = {}
        self._dead_until = 0

    # --- internals -------------------------------------------------------------

    def _now(self) -> int:
        return math.floor(self._clock() * 1000)

    def _live(self, member: bytes, now: int) -> bool:
        deadline = self._deadlines.get(member)
        return deadline is not None and deadline > now

    def _ttl_or_default(self, ttl: object) -> int:
        return self._ttl if ttl is None else _milliseconds(ttl)

    def _add_members(self, members: list[bytes], ttl: int) -> int:
        now = self._now()
        added = 0
        for member in dict.fromkeys(members):
            live = self._live(member, now)
            added += not live
            if self._refresh or not live:
                self._deadlines[member] = now + ttl
        self._keep_dead(now)
        return added

    def _letters(self, now: int) -> dict[bytes, tuple[str, int, int]]:
        """The dead letters, forgotten once their key would have expired."""
        if self._dead and now > self._dead_until:
            self._dead.clear()
        return self._dead

    def _keep_dead(self, now: int) -> None:
        """After a write: dead letters live at least as long as the set's latest deadline."""
        if self._letters(now):
            live = [d for d in self._deadlines.values() if d > now]
            self._dead_until = max(self._dead_until, *live, 0)

    def _bury(self, member: bytes, deadline: int, reason: str, now: int) -> None:
        self._letters(now)[member] = (reason, deadline, now)
        self._dead_until = max(self._dead_until, deadline)
        self._keep_dead(now)

    def _decoded(self, order: list[tuple[int, bytes]], now: int) -> list[T]:
        """``order``'s members decoded; the undecodable ones moved to the dead letters."""
        items: list[T] = []
        for deadline, member in order:
            try:
                items.append(self._decode(member))
            except DecodeError as exc:
                self._deadlines.pop(member, None)
                self._bury(member, deadline, exc.reason, now)
        return items

    def _encodable(self, items: Iterable[object]) -> list[bytes]:
        members: list[bytes] = []
        for item in items:
            try:
                members.append(encode_with(self._serializer, item))
            except EncodeError:
                continue
        return members

    def _decode(self, member: bytes) -> T:
        """``member`` decoded, or :class:`DecodeError` (as the real set raises it)."""
        try:
            return self._serializer.loads(member)
        except Exception as exc:
            raise DecodeError(member, f"{type(exc).__name__}: {exc}") from exc

    @property
    def ttl(self) -> float:
        """The time to live ``add`` and ``update`` give without one, in seconds. O(1)."""
        return self._ttl / 1000

    # --- the API ----------------------------------------------------------------

    def add(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        self, item: T, ttl: float | timedelta | None = None
    ) -> bool:
        """Add ``item`` until now + ``ttl``; ``True`` when it was absent or expired. O(1)."""
        milliseconds = self._ttl_or_default(ttl)  # the ttl is checked first, as the real add does
        return self._add_members([encode_with(self._serializer, item)], milliseconds) == 1

    def update(self, items: Iterable[T], ttl: float | timedelta | None = None) -> int:
        """Add many items with one deadline; how many were absent or expired. O(M)."""
        _iterable(items, "update")
        members = [encode_with(self._serializer, item) for item in items]
        return self._add_members(members, self._ttl_or_default(ttl))

    def touch(self, item: T, ttl: float | timedelta) -> bool:
        """Make a present member expire at now + ``ttl``; ``False`` if absent. O(1)."""
        milliseconds = _milliseconds(ttl)
        member = encode_with(self._serializer, item)
        now = self._now()
        if not self._live(member, now):
            return False
        self._deadlines[member] = now + milliseconds
        self._keep_dead(now)
        return True

    def expires_at(self, item: T) -> float | None:
        """When ``item`` expires (clock seconds, millisecond precision); ``None`` if absent."""
        member = encode_with(self._serializer, item)
        if not self._live(member, self._now()):
            return None
        return self._deadlines[member] / 1000

    def discard(self, item: T) -> None:
        """Remove ``item`` if present. O(1)."""
        self._deadlines.pop(encode_with(self._serializer, item), None)

    def remove(self, item: T) -> None:
        """Remove ``item``; ``KeyError`` if absent or expired. O(1)."""
        member = encode_with(self._serializer, item)
        live = self._live(member, self._now())
        self._deadlines.pop(member, None)
        if not live:
            raise KeyError(item)

    def clear(self) -> None:
        """Remove every member; the dead letters stay. O(1)."""
        self._deadlines.clear()

    def contains(self, item: T) -> bool:
        """Whether ``item`` is present and unexpired; ``EncodeError`` for another type. O(1)."""
        return self._live(encode_with(self._serializer, item), self._now())

    def size(self) -> int:
        """The number of unexpired members. O(N)."""
        now = self._now()
        return sum(deadline > now for deadline in self._deadlines.values())

    def stats(self) -> ExpiringStats:
        """A snapshot at ``clock()``, as ``ExpiringSet.stats``. O(N).

        ``expired`` counts the expired members this model still holds: it
        forgets them on its own schedule, not the server's.
        """
        now = self._now()
        live = sorted(d for d in self._deadlines.values() if d > now)
        return ExpiringStats(
            at=now / 1000,
            dead_letters=len(self._letters(now)),
            live=len(live),
            expired=len(self._deadlines) - len(live),
            next_expiry=live[0] / 1000 if live else None,
            latest_expiry=live[-1] / 1000 if live else None,
        )

    def pop(self) -> T:
        """Remove and return the member with the soonest deadline; ``KeyError`` if none."""
        now = self._now()
        live = [(d, m) for m, d in self._deadlines.items() if d > now]
        if not live:
            raise KeyError("pop from an empty set")
        deadline, member = min(live)
        del self._deadlines[member]
        try:
            return self._decode(member)
        except DecodeError as exc:
            self._bury(member, deadline, exc.reason, now)
            raise

    def isdisjoint(self, other: Iterable[object]) -> bool:
        """Whether no item of ``other`` is present. O(M)."""
        _iterable(other, "isdisjoint")
        now = self._now()
        return not any(self._live(member, now) for member in self._encodable(other))

    def __contains__(self, item: object) -> bool:
        """``item in s``: ``False`` for an item the codec cannot encode. O(1)."""
        try:
            return self.contains(cast("T", item))
        except EncodeError:
            return False

    def __len__(self) -> int:
        """``len(s)``: :meth:`size`. O(N)."""
        return self.size()

    def __iter__(self) -> Iterator[T]:
        """Unexpired members, soonest deadline first (then by bytes). O(N log N)."""
        now = self._now()
        order = sorted((d, m) for m, d in self._deadlines.items() if d > now)
        return iter(self._decoded(order, now))

    def dead_letters(self) -> list[ExpiringDeadLetter]:
        """The members moved here as undecodable, oldest move first. O(D log D)."""
        letters = [
            ExpiringDeadLetter(member, reason, deadline / 1000, at / 1000)
            for member, (reason, deadline, at) in self._letters(self._now()).items()
        ]
        return sorted(letters, key=lambda letter: (letter.at, letter.raw))

    def requeue_dead(self) -> int:
        """Add every dead letter back with the deadline now + the set's ``ttl``; how many. O(D)."""
        members = list(self._letters(self._now()))
        self._dead.clear()
        self._add_members(members, self._ttl)
        return len(members)

    def clear_dead_letters(self) -> int:
        """Delete the dead letters; 1 if there were any, else 0. O(1)."""
        had = bool(self._letters(self._now()))
        self._dead.clear()
        return int(had)

    def union_update(self, other: Iterable[T]) -> None:
        """Add every item of ``other`` with the set's ``ttl``. O(M)."""
        self.update(other)

    def intersection_update(self, other: Iterable[object]) -> None:
        """Keep only the members also in ``other``. O(N + M)."""
        _iterable(other, "intersection_update")
        keep = set(self._encodable(other))
        for member in [m for m in self._deadlines if m not in keep]:
            del self._deadlines[member]

    def difference_update(self, other: Iterable[object]) -> None:
        """Remove every item of ``other``. O(M)."""
        _iterable(other, "difference_update")
        for member in self._encodable(other):
            self._deadlines.pop(member, None)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """Remove the items of ``other`` present, add the others with the set's ``ttl``. O(M)."""
        _iterable(other, "symmetric_difference_update")
        members = [encode_with(self._serializer, item) for item in other]
        now = self._now()
        for member in dict.fromkeys(members):
            if self._live(member, now):
                del self._deadlines[member]
            else:
                self._deadlines[member] = now + self._ttl
        self._keep_dead(now)

    @classmethod
    def _from_iterable(cls, it: Iterable[S]) -> set[S]:
        return set(it)

    def __or__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """``set(self) | set(other)``, a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine | set(other)

    def __and__(self, other: AbstractSet[object]) -> set[T]:
        """Members also in ``other``, a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine & set(other)

    def __sub__(self, other: AbstractSet[object]) -> set[T]:
        """Members not in ``other``, a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine - set(other)

    def __xor__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """Items in exactly one of the two, a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine ^ set(other)

    def __ior__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s |= other``: :meth:`union_update`."""
        self.union_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        """``s &= other``: :meth:`intersection_update`."""
        self.intersection_update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        """``s -= other``: :meth:`difference_update`."""
        self.difference_update(other)
        return self

    def __ixor__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s ^= other``: :meth:`symmetric_difference_update`."""
        self.symmetric_difference_update(other)
        return self

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._name!r}, ttl={self.ttl!r}, "
            f"serializer={self._serializer!r})"
        )


class AsyncMemoryExpiringSet(Generic[T]):
    """An ``AsyncExpiringSet`` model: a :class:`MemoryExpiringSet` behind coroutines.

    >>> import asyncio
    >>> async def main() -> tuple[bool, bool, list[str]]:
    ...     seen = AsyncMemoryExpiringSet(ttl=60)
    ...     return await seen.add("a"), await seen.add("a"), [x async for x in seen]
    >>> asyncio.run(main())
    (True, False, ['a'])
    """

    @overload
    def __init__(
        self: AsyncMemoryExpiringSet[str],
        name: str = "memory",
        *,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[T],
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[Any] | None = None,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._model: MemoryExpiringSet[T] = MemoryExpiringSet(
            name,
            serializer=default_codec(type(self), serializer),
            ttl=ttl,
            on_duplicate=on_duplicate,
            durability=durability,
            clock=clock,
        )

    @property
    def name(self) -> str:
        """The name given (``"memory"`` by default). O(1)."""
        return self._model.name

    @property
    def durability(self) -> Durability | None:
        """What the real collection's writes would wait for; kept, with no effect in memory."""
        return self._model.durability

    @property
    def serializer(self) -> Serializer[T]:
        """The codec items are stored with (members are kept encoded, as Redis keeps them)."""
        return self._model.serializer

    @property
    def ttl(self) -> float:
        """The time to live ``add`` and ``update`` give without one, in seconds. O(1)."""
        return self._model.ttl

    async def add(self, item: T, ttl: float | timedelta | None = None) -> bool:
        return self._model.add(item, ttl)

    async def update(self, items: Iterable[T], ttl: float | timedelta | None = None) -> int:
        return self._model.update(items, ttl)

    async def touch(self, item: T, ttl: float | timedelta) -> bool:
        return self._model.touch(item, ttl)

    async def expires_at(self, item: T) -> float | None:
        return self._model.expires_at(item)

    async def discard(self, item: T) -> None:
        self._model.discard(item)

    async def remove(self, item: T) -> None:
        self._model.remove(item)

    async def clear(self) -> None:
        self._model.clear()

    async def contains(self, item: T) -> bool:
        return self._model.contains(item)

    async def size(self) -> int:
        return self._model.size()

    async def stats(self) -> ExpiringStats:
        return self._model.stats()

    async def pop(self) -> T:
        return self._model.pop()

    async def isdisjoint(self, other: Iterable[object] | AsyncIterable[object]) -> bool:
        return self._model.isdisjoint(await collect(other))

    def __aiter__(self) -> AsyncIterator[T]:
        return each(list(self._model))

    async def dead_letters(self) -> list[ExpiringDeadLetter]:
        return self._model.dead_letters()

    async def requeue_dead(self) -> int:
        return self._model.requeue_dead()

    async def clear_dead_letters(self) -> int:
        return self._model.clear_dead_letters()

    async def union_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        self._model.union_update(await collect(other))

    async def intersection_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        self._model.intersection_update(await collect(other))

    async def difference_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        self._model.difference_update(await collect(other))

    async def symmetric_difference_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        self._model.symmetric_difference_update(await collect(other))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, ttl={self.ttl!r}, "
            f"serializer={self.serializer!r})"
        )


share_docs(AsyncMemoryExpiringSet, MemoryExpiringSet, {"__aiter__": "__iter__"})
