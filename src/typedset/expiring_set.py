"""``ExpiringSet`` and ``AsyncExpiringSet``: sets whose members expire one by one.

``_ExpiringBase`` holds the constructor and its type overloads; the twins
hand each call to a driver, a line each, as the sorted sets do. Every
operation is one script (``_expiring_ops``) that first drops expired members
(at most 1,000 per call, or the whole set at once when all have expired) on
the server's clock; ``^=`` then drops as many more as it adds. Costs are
given as round trips and Redis time complexity (N members in the set, M in
the call).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, MutableSet
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast, overload

from typing_extensions import Self, TypeVar

from ._base import Async, Blocking, Collection, collect, default_codec, share_docs
from ._durability import Durability
from ._expiring_ops import ExpiringDeadLetter, ExpiringOps, OnRefresh
from ._keys import EXPIRING_KIND
from ._stats import ExpiringStats
from .errors import EncodeError
from .protocols import AsyncClient, Serializer, SyncClient

__all__ = ["AsyncExpiringSet", "ExpiringDeadLetter", "ExpiringSet", "OnRefresh"]

#: The client flavour: ``SyncClient`` or ``AsyncClient``.
C = TypeVar("C")
#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
S = TypeVar("S")


class _ExpiringBase(Collection[C, T]):
    """What an expiring set is apart from I/O; shared by the blocking and asyncio twins."""

    _kind = EXPIRING_KIND

    # ``self`` pins ``str`` without a serializer, as in ``sorted_set._SetBase``.
    @overload
    def __init__(
        self: _ExpiringBase[C, str],  # pyright: ignore[reportInvalidTypeVarUse]  (mypy needs C here)
        client: C,
        name: str,
        *,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[T],
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
    ) -> None: ...
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[Any] | None = None,
        ttl: float | timedelta,
        on_duplicate: OnRefresh = "keep",
        durability: Durability | None = None,
    ) -> None:
        codec: Serializer[T] = default_codec(type(self), serializer)
        self._ops = ExpiringOps(name, codec, ttl, on_duplicate)
        self._bind(client, name, codec, durability)

    @property
    def ttl(self) -> float:
        """The time to live ``add`` and ``update`` give without one, in seconds. No I/O; O(1)."""
        return self._ops.ttl / 1000

    def __repr__(self) -> str:
        """``ExpiringSet('seen', ttl=86400.0, serializer=StrCodec())``: no I/O."""
        return (
            f"{type(self).__name__}({self._name!r}, ttl={self.ttl!r}, serializer={self._codec!r})"
        )


class ExpiringSet(_ExpiringBase[SyncClient, T], Blocking[T], MutableSet[T]):
    """A set whose members expire one by one, ``ttl`` after they were added, on the server clock.

    ``ExpiringSet(client, "seen", ttl=86400)`` holds ``str`` for a day each;
    pass ``serializer=`` for another type, and ``ttl`` as seconds or a
    ``timedelta``. ``on_duplicate`` says what adding a present member does:
    ``"keep"`` its deadline (the first add counts: "seen in the last day")
    or ``"refresh"`` it to now + ttl ("active in the last day"). An expired
    member is absent for every method: ``add`` adds it again (and returns
    ``True``), ``in``, ``len()`` and iteration skip it.

    >>> seen = ExpiringSet(redis.Redis(), "seen", ttl=3600)  # doctest: +SKIP
    >>> seen.add("https://example.com/"), seen.add("https://example.com/")  # doctest: +SKIP
    (True, False)

    Keys, for the name ``seen``: the ZSET ``seen`` itself (member ->
    deadline in milliseconds of server time), the kind marker
    ``{seen}:kind`` and the dead letters ``{seen}:dead``. Each carries a key
    TTL: the set its latest deadline, the dead letters no sooner than that
    (nor than their own deadlines), the marker the later of the two. So a set
    nobody uses any more disappears by itself, dead letters and all, and no
    other kind of collection can take the name while any of its keys exists.
    Expired members are removed by the calls that touch the set: up to
    1,000 per call, and ``^=`` as many more as it adds (the whole set at once
    when all have expired); no sweeper process.

    Dead letters: a member the serializer cannot decode is never dropped.
    ``pop`` moves it to the dead letters and raises
    :class:`~typedset.DecodeError` (with its bytes); iteration moves it and
    goes on. ``dead_letters()`` lists them, ``requeue_dead()`` adds them back
    with a fresh deadline, ``clear_dead_letters()`` deletes them; ``clear()``
    keeps them.

    Costs, for N members and M in the call (each call first removes up to
    1,000 expired members, O(log N) each, amortised over their adds):

    * ``add``, ``touch``, ``discard``, ``remove``, ``pop``: one round trip; O(log N)
    * ``in``, ``expires_at``, ``len()``: one round trip; O(log N)
    * ``update``, ``|=``, ``-=``: one round trip per 10,000 items; O(M log N)
    * ``isdisjoint``: one round trip; O(M log N)
    * iteration, in deadline order: one round trip per 500 members; O(N)
    * ``dead_letters()``, ``requeue_dead()``, ``clear_dead_letters()``: one round
      trip; O(D) for D dead letters (``requeue_dead``: O(D log N))
    * ``&=``: one round trip, atomic; O(N + M), plus O(log N) per member removed;
      ``^=``: one, atomic; O(M log N)

    Expired members go at the rate members arrive: a call that adds M members
    also removes up to max(M, 1,000) expired ones (``update`` and ``|=`` add
    1,000 per call; ``^=`` any number in its one call).

    The first run of a script on a server costs one more round trip, as
    does the first operation of a name on a client (its kind check).
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_ExpiringBase.__init__``)

        @overload
        def __init__(
            self: ExpiringSet[str],
            client: SyncClient,
            name: str,
            *,
            ttl: float | timedelta,
            on_duplicate: OnRefresh = "keep",
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: SyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            ttl: float | timedelta,
            on_duplicate: OnRefresh = "keep",
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    # ``add`` answers whether the item was new, where ``MutableSet.add`` returns
    # ``None``: a caller through the ABC ignores the answer, so the override is safe.
    def add(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        self, item: T, ttl: float | timedelta | None = None
    ) -> bool:
        """Add ``item`` until now + ``ttl`` (the set's ``ttl`` if ``None``).

        ``True`` when it was absent or expired. A present member keeps its
        deadline, or gets the new one with ``on_duplicate="refresh"``.

        >>> seen.add("a"), seen.add("a", ttl=60)            # doctest: +SKIP
        (True, False)

        One round trip; O(log N).
        """
        return self._flow(self._ops.add(item, ttl))

    def update(self, items: Iterable[T], ttl: float | timedelta | None = None) -> int:
        """Add many items, as ``add`` would; return how many were absent or expired.

        Every item is encoded before anything is sent, so a bad item writes
        nothing; the chunks (1,000 items each) are not one transaction, and
        the items of one chunk share one deadline. One round trip per 10,000
        items; O(M log N).
        """
        return self._flow(self._ops.update(items, ttl))

    def touch(self, item: T, ttl: float | timedelta) -> bool:
        """Make a present member expire at now + ``ttl``; ``False`` (no change) if absent.

        Shortens as well as lengthens. One round trip; O(log N).
        """
        return self._flow(self._ops.touch(item, ttl))

    def expires_at(self, item: T) -> float | None:
        """When ``item`` expires, in server time (Unix seconds, millisecond precision).

        ``None`` if absent or expired. The same clock as ``Lease.deadline``.
        One round trip; O(log N).
        """
        return self._flow(self._ops.expires_at(item))

    def discard(self, item: T) -> None:
        """Remove ``item`` if present. One round trip; O(log N)."""
        self._flow(self._ops.discard(item))

    def remove(self, item: T) -> None:
        """Remove ``item``; ``KeyError`` if absent or expired. One round trip; O(log N)."""
        self._flow(self._ops.remove(item))

    def clear(self) -> None:
        """Remove every member; the dead letters stay. One round trip; O(N).

        The kind marker goes too, unless dead letters remain.
        :class:`~typedset.NameClashError`, deleting nothing, when this set
        expired and another kind of collection has taken the name since.
        """
        self._flow(self._ops.clear())

    def contains(self, item: T) -> bool:
        """Whether ``item`` is present and unexpired (``item in s``).

        :class:`~typedset.EncodeError` for an item the codec cannot encode.
        One round trip; O(log N).
        """
        return self._flow(self._ops.contains(item))

    def size(self) -> int:
        """The number of unexpired members (``len(s)``). One round trip; O(log N)."""
        return self._flow(self._ops.size())

    def stats(self) -> ExpiringStats:
        """A snapshot: live and expired members, dead letters, deadlines (:class:`ExpiringStats`).

        One round trip; O(log N), read at one instant of the server's clock.
        Unlike the other calls it prunes nothing (it writes nothing), so
        ``expired`` counts the members past their deadline still stored.
        """
        return self._flow(self._ops.stats())

    def pop(self) -> T:
        """Remove and return the member with the soonest deadline; ``KeyError`` if none.

        Atomic: two callers never get the same member. A member the codec
        cannot decode is moved to the dead letters (one more round trip, a
        script, carried out even when an asyncio task is cancelled while it
        waits) and :class:`~typedset.DecodeError`, carrying its bytes, is
        raised; the next ``pop`` goes on with the next member.
        One round trip; O(log N).
        """
        return self._flow(self._ops.pop())

    def isdisjoint(self, other: Iterable[object]) -> bool:
        """Whether no item of ``other`` is present (items the codec cannot encode are not).

        All M items go in one script call. One round trip (none when ``other``
        has no item to ask about); O(M log N).
        """
        return self._flow(self._ops.isdisjoint(other))

    def __contains__(self, item: object) -> bool:
        """``item in s``: :meth:`contains`. One round trip; O(log N).

        An item the codec cannot encode (another type) cannot be a member:
        ``False``, with no I/O, as for the sorted sets.
        """
        try:
            return self.contains(cast("T", item))
        except EncodeError:
            return False

    def __len__(self) -> int:
        """``len(s)``: :meth:`size`. One round trip; O(log N)."""
        return self.size()

    def __iter__(self) -> Iterator[T]:
        """Unexpired members, soonest deadline first, in pages of 500 (one round trip each).

        A member present for the whole iteration with an unchanged deadline
        is yielded exactly once. A member the codec cannot decode is moved to
        the dead letters (one more round trip for its page) and skipped.
        N // 500 + 1 round trips; O(log N) per page plus O(1) per member.
        """
        return self._paged(self._ops.page)

    # --- dead letters ----------------------------------------------------------

    def dead_letters(self) -> list[ExpiringDeadLetter]:
        """The members moved here because they could not be decoded, oldest move first.

        Each has its bytes, the decoder's error, the deadline it had and when
        it was moved. They stay until ``requeue_dead``, ``clear_dead_letters``
        or the whole set expires (see the class docstring).
        One round trip; O(D log D) for D dead letters.
        """
        return self._flow(self._ops.dead_letters())

    def requeue_dead(self) -> int:
        """Add every dead letter back with the deadline now + the set's ``ttl``; return how many.

        As ``update`` of their bytes would (a present member keeps its deadline,
        or gets the new one with ``on_duplicate="refresh"``): their old deadlines
        may have passed while they waited, and a requeue loses nothing.
        Atomic. One round trip; O(D log N) for D dead letters.
        """
        return self._flow(self._ops.requeue_dead())

    def clear_dead_letters(self) -> int:
        """Delete the dead letters; return 1 if there were any, else 0.

        One round trip; O(D) for D dead letters.
        """
        return self._flow(self._ops.clear_dead_letters())

    # --- set algebra -------------------------------------------------------------

    def union_update(self, other: Iterable[T]) -> None:
        """Add every item of ``other`` with the set's ``ttl`` (``s |= other``), as ``update``.

        One round trip per 10,000 items; O(M log N).
        """
        self._flow(self._ops.update(other, None))

    def intersection_update(self, other: Iterable[object]) -> None:
        """Keep only the members also in ``other`` (``s &= other``), atomically.

        All M items go in one script call. One round trip; O(N + M), plus
        O(log N) per member removed.
        """
        self._flow(self._ops.combine("and", other))

    def difference_update(self, other: Iterable[object]) -> None:
        """Remove every item of ``other`` (``s -= other``); items of another type are skipped.

        One round trip per 10,000 items; O(M log N).
        """
        self._flow(self._ops.difference_update(other))

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """Remove the items of ``other`` that are present, add the others (``s ^= other``).

        Atomic; added items get the set's ``ttl``. One round trip; O(M log N).
        """
        self._flow(self._ops.combine("xor", other))

    @classmethod
    def _from_iterable(cls, it: Iterable[S]) -> set[S]:
        return set(it)

    # Binary operators read the set (N // 500 + 1 round trips) and return a
    # builtin set, typed as ``SortedSet``'s are (see there for why).

    def __or__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """``set(self) | set(other)``: a builtin set, the server unchanged.

        Reads ``self`` as iteration does, N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine | set(other)

    def __and__(self, other: AbstractSet[object]) -> set[T]:
        """Members of ``self`` also in ``other``, as a builtin set.

        Reads ``self`` as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine & set(other)

    def __sub__(self, other: AbstractSet[object]) -> set[T]:
        """Members of ``self`` not in ``other``, as a builtin set.

        Reads ``self`` as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine - set(other)

    def __xor__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """Items in exactly one of the two, as a builtin set.

        Reads ``self`` as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine ^ set(other)

    def __ior__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s |= other``: :meth:`union_update`. One round trip per 10,000 items; O(M log N)."""
        self.union_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        """``s &= other``: :meth:`intersection_update`. One round trip; O(N + M + R log N).

        R: the members removed.
        """
        self.intersection_update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        """``s -= other``: :meth:`difference_update`. One round trip per 10,000; O(M log N)."""
        self.difference_update(other)
        return self

    def __ixor__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s ^= other``: :meth:`symmetric_difference_update`. One round trip; O(M log N)."""
        self.symmetric_difference_update(other)
        return self


class AsyncExpiringSet(_ExpiringBase[AsyncClient, T], Async[T]):
    """The asyncio twin of :class:`ExpiringSet`: the same constructor, methods as coroutines.

    ``in``, ``len()`` and ``for`` become ``await s.contains(x)``,
    ``await s.size()`` and ``async for``; in-place operators become
    ``union_update`` and its siblings.

    >>> seen = AsyncExpiringSet(redis.asyncio.Redis(), "seen", ttl=3600)  # doctest: +SKIP
    >>> await seen.add("a"), await seen.contains("a")    # doctest: +SKIP
    (True, True)

    Keys and costs are :class:`ExpiringSet`'s, method for method (``add``:
    one round trip, O(log N)).
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_ExpiringBase.__init__``)

        @overload
        def __init__(
            self: AsyncExpiringSet[str],
            client: AsyncClient,
            name: str,
            *,
            ttl: float | timedelta,
            on_duplicate: OnRefresh = "keep",
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: AsyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            ttl: float | timedelta,
            on_duplicate: OnRefresh = "keep",
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    async def add(self, item: T, ttl: float | timedelta | None = None) -> bool:
        return await self._flow(self._ops.add(item, ttl))

    async def update(self, items: Iterable[T], ttl: float | timedelta | None = None) -> int:
        return await self._flow(self._ops.update(items, ttl))

    async def touch(self, item: T, ttl: float | timedelta) -> bool:
        return await self._flow(self._ops.touch(item, ttl))

    async def expires_at(self, item: T) -> float | None:
        return await self._flow(self._ops.expires_at(item))

    async def discard(self, item: T) -> None:
        await self._flow(self._ops.discard(item))

    async def remove(self, item: T) -> None:
        await self._flow(self._ops.remove(item))

    async def clear(self) -> None:
        await self._flow(self._ops.clear())

    async def contains(self, item: T) -> bool:
        return await self._flow(self._ops.contains(item))

    async def size(self) -> int:
        return await self._flow(self._ops.size())

    async def stats(self) -> ExpiringStats:
        return await self._flow(self._ops.stats())

    async def pop(self) -> T:
        return await self._flow(self._ops.pop())

    async def isdisjoint(self, other: Iterable[object] | AsyncIterable[object]) -> bool:
        return await self._flow(self._ops.isdisjoint(await collect(other)))

    def __aiter__(self) -> AsyncIterator[T]:
        return self._paged(self._ops.page)

    async def dead_letters(self) -> list[ExpiringDeadLetter]:
        return await self._flow(self._ops.dead_letters())

    async def requeue_dead(self) -> int:
        return await self._flow(self._ops.requeue_dead())

    async def clear_dead_letters(self) -> int:
        return await self._flow(self._ops.clear_dead_letters())

    # The async twin also takes async iterables (another async set, say): read first.

    async def union_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        await self._flow(self._ops.update(await collect(other), None))

    async def intersection_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        await self._flow(self._ops.combine("and", await collect(other)))

    async def difference_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        await self._flow(self._ops.difference_update(await collect(other)))

    async def symmetric_difference_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        await self._flow(self._ops.combine("xor", await collect(other)))


share_docs(AsyncExpiringSet, ExpiringSet, {"__aiter__": "__iter__"})
