"""``PriorityStream`` and ``AsyncPriorityStream``: keyed values pulled highest priority first.

The successor of good-redis's prioritised stream. Each key holds one value
and a priority; ``add`` raises the priority, ``pull`` takes the highest.
A pulled key cools down until ``expire_in`` (re-adds are refused until then)
and may be gated (re-adds refused until ``readd=True``). ``_StreamBase``
holds the constructor; the twins only hand calls from ``_stream_ops`` to a
driver. Costs are in round trips and Redis time complexity (N items).
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast, overload

from typing_extensions import TypeVar

from ._base import Async, Blocking, Collection, default_codec, share_docs
from ._durability import Durability
from ._keys import STREAM_KIND
from ._stats import StreamStats
from ._stream_ops import StreamDeadLetter, StreamOps
from .protocols import AsyncClient, Serializer, SyncClient

__all__ = ["AsyncPriorityStream", "PriorityStream"]

C = TypeVar("C")
#: The value type; ``str`` when no serializer says otherwise.
V = TypeVar("V", default=str)
D = TypeVar("D")
S = TypeVar("S")

#: How long a pulled key cools down unless told otherwise.
ONE_DAY = timedelta(days=1)


class _StreamBase(Collection[C, V]):
    """What a priority stream is apart from I/O; shared by the blocking and asyncio twins."""

    _kind = STREAM_KIND

    # ``self`` pins ``str`` when no serializer is given (``V`` would stay open).
    # mypy checks such a ``self`` only in the class declaring ``__init__``, so
    # each twin repeats the overloads for the checker (no run-time change).
    @overload
    def __init__(
        self: _StreamBase[C, str],  # pyright: ignore[reportInvalidTypeVarUse]  (mypy needs C)
        client: C,
        name: str,
        *,
        decay: float = 1.0,
        durability: Durability | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[V],
        decay: float = 1.0,
        durability: Durability | None = None,
    ) -> None: ...
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[Any] | None = None,
        decay: float = 1.0,
        durability: Durability | None = None,
    ) -> None:
        codec: Serializer[V] = default_codec(type(self), serializer)
        self._ops = StreamOps(name, codec, decay)
        self._bind(client, name, codec, durability)

    @property
    def decay(self) -> float:
        """How much ``pull(purge=False)`` lowers the priority of the items it keeps.

        Set by the constructor (default 1.0). No I/O; O(1).
        """
        return self._ops.decay


class PriorityStream(_StreamBase[SyncClient, V], Blocking[V], Mapping[str, V]):
    """Keyed values with a priority, shared through Redis; highest priority is pulled first.

    ``PriorityStream(client, "feeds")`` holds ``str`` values; pass
    ``serializer=`` for another type. A ``Mapping[str, V]``: ``s[key]``,
    ``key in s``, ``len(s)``, and ``keys()``/``values()``/``items()`` in
    priority order. ``add`` stores a key's value and raises its priority;
    ``pull`` takes the highest. A pulled key cools down (re-adds are
    refused) until its ``expire_in`` or ``expire_at``, and may be gated
    (refused until re-added with ``readd=True``); ``decay`` is what
    ``pull(purge=False)`` takes off the priority of the items it keeps.

    >>> s = PriorityStream(redis.Redis(), "feeds")          # doctest: +SKIP
    >>> s.add("a", "apple", 1), s.add("b", "banana", 5)     # doctest: +SKIP
    (1.0, 5.0)
    >>> s.pull(), s["a"], len(s)                            # doctest: +SKIP
    ({'b': 'banana'}, 'apple', 1)

    Keys, for the name ``feeds``: the priorities are the ZSET ``feeds``
    itself, the values the HASH ``{feeds}:values``; cool-downs are the ZSET
    ``{feeds}:cooling``, gated keys the SET ``{feeds}:gated``, undecodable
    values the HASH ``{feeds}:dead``, and ``{feeds}:kind`` marks the name.
    All share the name's cluster slot.

    Costs, for N items in the stream and M in the call:

    * ``add``, ``increment``: one round trip; O(log N)
    * ``s[key]``, ``key in s``, ``len(s)``, ``priority``: one round trip; O(1)
    * ``pull(count)``: one round trip; O(count log N)
    * ``add_many``: one round trip, atomic; O(M log N)
    * ``decrement_all``: one round trip; O(N log N)
    * iteration, ``keys()``, ``values()``, ``items()``: one round trip per 500; O(N)
    * ``cooling()``, ``gated()``: one round trip; O(C) and O(G) for C keys cooling
      down and G gated keys
    * ``ungate``, ``cool_down``: one round trip; O(1) and O(log N)
    * ``dead_letters()``, ``requeue_dead()``: one round trip; O(D log D) and
      O(D log N) for D dead letters

    A value that cannot be decoded moves, with its key, raw bytes, reason
    and priority, to the dead letters (and is logged): ``s[key]`` and
    ``get`` raise :class:`~typedset.DecodeError` after moving it; ``pull``,
    ``values()`` and ``items()`` skip it. ``requeue_dead()`` puts them back.

    Every operation but ``clear``, ``gated``, ``ungate``, ``dead_letters``
    and ``clear_dead_letters`` first ends the cool-downs that are over,
    removing what ``pull(purge=False)`` kept until then: O(log N) each, and
    each cool-down ends once, so that cost is amortised. The first run of a
    script on a server, and the first operation of a name on a client, cost
    one more round trip. ``==`` is
    the ``Mapping`` ABC's: it reads every item of both sides.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_StreamBase.__init__``)

        @overload
        def __init__(
            self: PriorityStream[str],
            client: SyncClient,
            name: str,
            *,
            decay: float = 1.0,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: SyncClient,
            name: str,
            *,
            serializer: Serializer[V],
            decay: float = 1.0,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    # --- writes ---------------------------------------------------------------

    def add(self, key: str, value: V, score: float = 1.0, *, readd: bool = False) -> float | None:
        """Store ``value`` and raise the priority of ``key`` by ``score``; the new priority.

        The value replaces the key's old one. Refused (``None``, nothing
        written) while ``key`` is gated or cooling down, unless
        ``readd=True``, which lifts both first.

        >>> s.add("a", "apple", 2), s.add("a", "apricot", 3)  # doctest: +SKIP
        (2.0, 5.0)

        One round trip; O(log N), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.add(key, value, score, readd))

    def add_many(
        self, items: Iterable[tuple[str, V, float]], *, readd: bool = False
    ) -> list[float | None]:
        """``add`` for each ``(key, value, score)``, in order; one result each.

        One script, so one round trip and atomic; every item is checked and
        encoded before anything is sent. O(M log N) for M items,
        after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.add_many(items, readd))

    def pull(
        self,
        count: int = 1,
        *,
        purge: bool = True,
        gate: bool = False,
        expire_in: timedelta | float = ONE_DAY,
        expire_at: datetime | None = None,
        timeout: float | None = None,
    ) -> dict[str, V]:
        """Take up to ``count`` items, highest priority first, as ``{key: value}``.

        ``purge=True`` removes them; ``purge=False`` keeps them with priority
        lowered by ``decay`` until their cool-down ends. ``gate=True`` bars
        their keys from re-adding until ``readd=True``. Each pulled key cools
        down until ``expire_at`` (an aware datetime) or ``expire_in`` from
        now (seconds or a timedelta; one day by default): re-adds are refused
        until then. Kept items can be pulled again, at their lowered
        priority, until then. Returns ``min(count, len(s))`` items, less any
        value that cannot be decoded: that one is logged and moved to
        ``dead_letters()`` (one more round trip), not replaced by another.

        With ``timeout``, an empty stream is watched up to that many seconds
        for the first item (``{}`` if none comes; ``{}`` too, before the
        timeout, when a pull met only undecodable values: those moved to the
        dead letters, as ``take`` does). The wait takes nothing:
        a task cancelled, or a connection lost, while waiting loses no item;
        the pull itself is at most once, as without ``timeout``.

        >>> s.add("a", "apple", 1), s.add("b", "banana", 5)  # doctest: +SKIP
        (1.0, 5.0)
        >>> s.pull(2), s.add("b", "banana")                 # doctest: +SKIP
        ({'b': 'banana', 'a': 'apple'}, None)

        One round trip; O(count log N), after ended cool-downs are swept (O(log N) each,
        amortised). Waiting polls (``size``, taking nothing) every 2 ms at first, then
        every 50 ms at most, and pulls once something is there: one round trip more.
        """
        return self._flow(self._ops.pull(count, purge, gate, expire_in, expire_at, timeout))

    def increment(self, key: str, by: float = 1.0) -> float:
        """Add ``by`` to the priority of ``key``; the new priority. ``KeyError`` if absent.

        Never creates an item (nor lifts a gate or cool-down). One round trip;
        O(log N), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.increment(key, by))

    def decrement_all(self, by: float = 1.0) -> int:
        """Lower every priority by ``by``; how many items changed.

        Atomic. One round trip; O(N log N), after ended cool-downs are swept
        (O(log N) each, amortised).
        """
        return self._call(self._ops.decrement_all(by))

    def delete_below(self, threshold: float, *, gate: bool = False) -> list[str]:
        """Remove items with priority strictly below ``threshold``; their keys, highest first.

        ``gate=True`` also bars those keys from re-adding.

        One round trip; O((M + 1) log N) for M items removed, after ended
        cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.delete_below(threshold, gate))

    def clear(self) -> None:
        """Remove every item, gate and cool-down (dead letters are kept).

        One round trip; O(N + C + G) for C cool-downs and G gated keys.
        """
        self._call(self._ops.clear())

    def expire(self) -> int:
        """End the cool-downs that are over; how many. Never needed for correctness.

        Every operation does this first; call it to free memory in a stream
        nobody touches. Items ``pull(purge=False)`` kept until then go too.
        One round trip; O(E log N) for E ended cool-downs.
        """
        return self._call(self._ops.expire())

    # --- reads ---------------------------------------------------------------

    def __getitem__(self, key: str) -> V:
        """The value of ``key`` (``s[key]``); ``KeyError`` if it holds no item.

        A value that cannot be decoded is moved (raw bytes, reason, priority)
        to ``dead_letters()``, logged, and :class:`~typedset.DecodeError`
        (carrying the raw bytes) is raised: one more round trip.
        One round trip; O(1), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._flow(self._ops.get(key))

    @overload
    def get(self, key: str, default: None = None) -> V | None: ...
    @overload
    def get(self, key: str, default: V | D) -> V | D: ...
    def get(self, key: str, default: object = None) -> object:
        """The value of ``key``, or ``default`` if it holds no item.

        A value that cannot be decoded is moved to ``dead_letters()`` and
        :class:`~typedset.DecodeError` is raised, as ``s[key]`` does.
        One round trip; O(1), after ended cool-downs are swept (O(log N) each, amortised).
        """
        try:
            return self[key]
        except KeyError:
            return default

    def priority(self, key: str) -> float | None:
        """The priority of ``key``, or ``None`` if it holds no item.

        One round trip; O(1), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.priority(key))

    def contains(self, key: str) -> bool:
        """Whether ``key`` holds an item (``key in s``).

        ``TypeError`` for a key that is not a ``str``, before any I/O (``in``
        answers ``False`` for one instead, as the sets' ``in`` does for an
        item of another type). One round trip; O(1), after ended cool-downs
        are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.contains(key))

    def size(self) -> int:
        """The number of items (``len(s)``).

        One round trip; O(1), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.size())

    def stats(self) -> StreamStats:
        """A snapshot of the stream: items, gated, cooling, dead letters (:class:`StreamStats`).

        One round trip; O(log N), read at one instant of the server's clock,
        after ended cool-downs are swept as on every stream call (O(log N)
        each, amortised; the only write).
        """
        return self._call(self._ops.stats())

    def __contains__(self, key: object) -> bool:
        """``key in s``: :meth:`contains`. One round trip; O(1).

        A key that is not a ``str`` holds no item: ``False``, with no I/O
        (``==`` against a mapping with other keys answers instead of raising).
        """
        return isinstance(key, str) and self.contains(key)

    def __len__(self) -> int:
        """``len(s)``: :meth:`size`. One round trip; O(1).

        ``list(s)`` asks for it first (a length hint): one round trip more.
        """
        return self.size()

    def _walk(self, with_values: bool) -> Iterator[tuple[str, V | None]]:
        return self._paged(partial(self._ops.page, with_values=with_values))

    def __iter__(self) -> Iterator[str]:
        """Keys, highest priority first, in pages of 500 (one round trip each).

        A key present for the whole iteration with an unchanged priority is
        yielded exactly once, even while others are added and pulled.

        N // 500 + 1 round trips for N items; O(log N) per page plus O(1)
        per key, O(N) in all.
        """
        return (key for key, _ in self._walk(with_values=False))

    def keys(self) -> KeysView[str]:
        """Keys in priority order, in pages of 500 (one round trip each).

        N // 500 + 1 round trips, O(N), made as the view is iterated (the
        asyncio twin makes them before returning its list).
        """
        return KeysView(self)

    def values(self) -> ValuesView[V]:
        """Values in priority order, fetched with their keys in pages of 500.

        A value that cannot be decoded is moved to ``dead_letters()``, logged
        and skipped (one more round trip for the page that met it).

        N // 500 + 1 round trips, O(N), made as the view is iterated (the
        asyncio twin makes them before returning its list).
        """
        return _Values(self)

    def items(self) -> ItemsView[str, V]:
        """``(key, value)`` pairs in priority order, in pages of 500; undecodable ones skipped.

        Those move to ``dead_letters()`` as ``values()`` says.

        N // 500 + 1 round trips, O(N), made as the view is iterated (the
        asyncio twin makes them before returning its list).
        """
        return _Items(self)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> list[StreamDeadLetter]:
        """The values that could not be decoded, oldest first, with key, reason and priority.

        Every undecodable value a key held has its own letter (the same bytes
        met twice under one key are one letter): none replaces another.
        One round trip; O(D log D) for D dead letters (sorted here).
        """
        return self._call(self._ops.dead_letters())

    def requeue_dead(self) -> int:
        """Put every dead letter back, with its key and priority; return how many.

        Each goes back as ``add(readd=True)`` would: its key's gate and
        cool-down are lifted. A key holds one item: of a key's letters the
        oldest goes back and the others stay, as do the letters of a key that
        holds an item again. Atomic. One round trip; O(D log N) for D dead
        letters, after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.requeue_dead())

    def clear_dead_letters(self) -> int:
        """Delete the dead-letter store; 1 if there was one.

        One round trip; O(D) for D dead letters.
        """
        return self._call(self._ops.clear_dead_letters())

    # --- cool-downs and gates ------------------------------------------------------

    def cooling(self) -> dict[str, datetime]:
        """The keys cooling down, each with when its cool-down ends, soonest first.

        Deadlines are the server's clock, as aware UTC datetimes.
        One round trip; O(C) for C keys cooling down, after ended cool-downs are swept.
        """
        return self._call(self._ops.cooling())

    def gated(self) -> set[str]:
        """The gated keys: re-adding them is refused until ``readd=True`` or ``ungate``.

        A gate has no deadline. One round trip; O(G) for G gated keys.
        """
        return self._call(self._ops.gated())

    def ungate(self, key: str) -> bool:
        """Lift the gate of ``key``; whether it was gated. Its cool-down, if any, stays.

        One round trip; O(1).
        """
        return self._call(self._ops.ungate(key))

    def cool_down(self, key: str, until: datetime | timedelta | float) -> datetime:
        """Make ``key`` cool down until ``until``; the deadline, on the server's clock.

        ``until`` is an aware datetime, or a timedelta or seconds from now
        (``pull``'s ``expire_at`` and ``expire_in``). Starts, moves or ends
        the key's cool-down: re-adding it is refused until then. When it ends
        (here, for a time not in the future), the item the key holds, if any,
        leaves the stream, as one ``pull(purge=False)`` kept does. So a key
        that holds an item not cooling down (never pulled, or re-added since)
        is refused with ``ValueError`` and nothing written: its end would drop
        an item no one had.

        >>> s.cool_down("spam", timedelta(hours=1))          # doctest: +SKIP
        datetime.datetime(2026, 1, 1, 13, 0, tzinfo=datetime.timezone.utc)

        One round trip; O(log N), after ended cool-downs are swept (O(log N) each, amortised).
        """
        return self._call(self._ops.cool_down(key, until))


class _Values(ValuesView[V]):
    def __init__(self, stream: PriorityStream[V]) -> None:
        super().__init__(stream)
        self._stream = stream

    def __iter__(self) -> Iterator[V]:
        # the views are the stream's own: _walk is private to this module, not to the class
        walk = self._stream._walk  # pyright: ignore[reportPrivateUsage]
        return (cast("V", value) for _, value in walk(with_values=True))


class _Items(ItemsView[str, V]):
    def __init__(self, stream: PriorityStream[V]) -> None:
        super().__init__(stream)
        self._stream = stream

    def __iter__(self) -> Iterator[tuple[str, V]]:
        walk = self._stream._walk  # pyright: ignore[reportPrivateUsage] # see _Values
        return ((key, cast("V", value)) for key, value in walk(with_values=True))


class AsyncPriorityStream(_StreamBase[AsyncClient, V], Async[V]):
    """The asyncio twin of :class:`PriorityStream`: the same constructor, methods as coroutines.

    ``await s[key]`` works as it is; ``key in s``, ``len(s)`` and ``for``
    become ``await s.contains(key)``, ``await s.size()`` and ``async for``;
    ``keys()``, ``values()`` and ``items()`` return lists.

    >>> s = AsyncPriorityStream(redis.asyncio.Redis(), "feeds")  # doctest: +SKIP
    >>> await s.add("a", "apple", 1)                        # doctest: +SKIP
    1.0
    >>> await s.pull()                                      # doctest: +SKIP
    {'a': 'apple'}

    Keys and costs are :class:`PriorityStream`'s, method for method (``add``
    one round trip, O(log N); ``pull(count)`` one round trip, O(count log N)).
    The calls that many tasks make in one event-loop turn leave together in
    one write; each still waits one round trip for its reply.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_StreamBase.__init__``)

        @overload
        def __init__(
            self: AsyncPriorityStream[str],
            client: AsyncClient,
            name: str,
            *,
            decay: float = 1.0,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: AsyncClient,
            name: str,
            *,
            serializer: Serializer[V],
            decay: float = 1.0,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    async def add(
        self, key: str, value: V, score: float = 1.0, *, readd: bool = False
    ) -> float | None:
        return await self._call(self._ops.add(key, value, score, readd))

    async def add_many(
        self, items: Iterable[tuple[str, V, float]], *, readd: bool = False
    ) -> list[float | None]:
        return await self._call(self._ops.add_many(items, readd))

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
        return await self._flow(self._ops.pull(count, purge, gate, expire_in, expire_at, timeout))

    async def increment(self, key: str, by: float = 1.0) -> float:
        return await self._call(self._ops.increment(key, by))

    async def decrement_all(self, by: float = 1.0) -> int:
        return await self._call(self._ops.decrement_all(by))

    async def delete_below(self, threshold: float, *, gate: bool = False) -> list[str]:
        return await self._call(self._ops.delete_below(threshold, gate))

    async def clear(self) -> None:
        await self._call(self._ops.clear())

    async def expire(self) -> int:
        return await self._call(self._ops.expire())

    async def __getitem__(self, key: str) -> V:
        return await self._flow(self._ops.get(key))

    @overload
    async def get(self, key: str, default: None = None) -> V | None: ...
    @overload
    async def get(self, key: str, default: V | D) -> V | D: ...
    async def get(self, key: str, default: object = None) -> object:
        try:
            return await self[key]
        except KeyError:
            return default

    async def priority(self, key: str) -> float | None:
        return await self._call(self._ops.priority(key))

    async def contains(self, key: str) -> bool:
        return await self._call(self._ops.contains(key))

    async def size(self) -> int:
        return await self._call(self._ops.size())

    async def stats(self) -> StreamStats:
        return await self._call(self._ops.stats())

    def _walk(self, with_values: bool) -> AsyncIterator[tuple[str, V | None]]:
        return self._paged(partial(self._ops.page, with_values=with_values))

    def __aiter__(self) -> AsyncIterator[str]:
        return (key async for key, _ in self._walk(with_values=False))

    async def keys(self) -> list[str]:
        return [key async for key, _ in self._walk(with_values=False)]

    async def values(self) -> list[V]:
        return [cast("V", value) async for _, value in self._walk(with_values=True)]

    async def items(self) -> list[tuple[str, V]]:
        return [(key, cast("V", value)) async for key, value in self._walk(with_values=True)]

    async def dead_letters(self) -> list[StreamDeadLetter]:
        return await self._call(self._ops.dead_letters())

    async def requeue_dead(self) -> int:
        return await self._call(self._ops.requeue_dead())

    async def clear_dead_letters(self) -> int:
        return await self._call(self._ops.clear_dead_letters())

    async def cooling(self) -> dict[str, datetime]:
        return await self._call(self._ops.cooling())

    async def gated(self) -> set[str]:
        return await self._call(self._ops.gated())

    async def ungate(self, key: str) -> bool:
        return await self._call(self._ops.ungate(key))

    async def cool_down(self, key: str, until: datetime | timedelta | float) -> datetime:
        return await self._call(self._ops.cool_down(key, until))


share_docs(
    AsyncPriorityStream,
    PriorityStream,
    {"__aiter__": "__iter__"},
)
