"""The sorted-set kinds, blocking and asyncio, side by side.

``_SetBase`` holds everything that is not I/O: the constructor and its type
overloads, ``name``, ``serializer``, ``repr`` (from ``_base.Collection``) and
the choice of how to run an in-place operator. ``SortedSet`` and
``AsyncSortedSet`` are twins: each method builds its call in ``_set_ops`` and
hands it to a driver, ``drive`` or ``adrive``, and nothing else. The async
twins share the sync twins' docstrings (copied by ``share_docs``), so a
method is documented once. Costs are given as round trips and Redis time
complexity (N members in the set, M in the call).
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    MutableSet,
)
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast, overload

from typing_extensions import Self, TypeVar

from ._base import Async, Blocking, Collection, collect, default_codec, share_docs
from ._durability import Durability
from ._keys import SET_KIND, key_slot
from ._ops import Flow, run
from ._processing import AsyncProcessing, Processing
from ._set_ops import DeadLetter, Lease, SetOps, check_ttl
from ._stats import SetStats
from .errors import EncodeError
from .protocols import (
    Anchor,
    AsyncClient,
    OnDuplicate,
    Reschedule,
    Scorer,
    Serializer,
    SyncClient,
)

__all__ = [
    "AsyncProcessing",
    "AsyncScheduledSet",
    "AsyncSortedSet",
    "AsyncTimeSortedSet",
    "Processing",
    "ScheduledSet",
    "SortedSet",
    "TimeSortedSet",
]

#: The client flavour: ``SyncClient`` or ``AsyncClient``.
C = TypeVar("C")
#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
S = TypeVar("S")
_Op = Literal["or", "and", "sub", "xor"]

#: A lease's time to live when ``claim`` and ``processing`` are given none, in seconds.
DEFAULT_TTL = 30.0


class _SetBase(Collection[C, T]):
    """What a sorted set is apart from I/O; shared by the blocking and asyncio twins."""

    _kind = SET_KIND
    _timed: ClassVar[bool] = False
    _scheduled: ClassVar[bool] = False

    # ``self`` pins ``str`` in the no-serializer overload: without it ``T``
    # stays open there (it has a default), so ``s: SortedSet[int] =
    # SortedSet(r, "k")`` would be accepted. mypy checks such a ``self`` only
    # in the class that declares ``__init__``, so each public kind repeats
    # these overloads for the checker (under ``TYPE_CHECKING``: no run-time change).
    @overload
    def __init__(
        self: _SetBase[C, str],  # pyright: ignore[reportInvalidTypeVarUse]  (mypy needs C here)
        client: C,
        name: str,
        *,
        scorer: Scorer[str] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[T],
        scorer: Scorer[T] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
    ) -> None: ...
    def __init__(
        self,
        client: C,
        name: str,
        *,
        serializer: Serializer[Any] | None = None,
        scorer: Scorer[Any] | None = None,
        on_duplicate: OnDuplicate = "replace",
        max_deliveries: int | None = None,
        unique_for: float | timedelta | None = None,
        durability: Durability | None = None,
    ) -> None:
        codec: Serializer[T] = default_codec(type(self), serializer)
        self._ops = SetOps(
            name,
            codec,
            scorer,
            on_duplicate,
            timed=self._timed,
            scheduled=self._scheduled,
            max_deliveries=max_deliveries,
            poll=durability is not None,
            unique_for=unique_for,
        )
        self._bind(client, name, codec, durability)

    def _server_side(self, other: object) -> bool:
        """Whether an in-place operator can let the server read ``other`` directly.

        It can when ``other`` is a typedset set on the same client, with the
        same codec, in the same cluster slot.
        """
        source = _typedset_set(other)
        if source is None:
            return False
        return (
            source._client is self._client
            and source._ops.codec == self._ops.codec
            and (not self._backend.clustered or key_slot(self.name) == key_slot(source.name))
        )

    def _combine(self, op: _Op, other: Iterable[Any]) -> Flow[int]:
        """``self op= other`` as one script call, reading ``other`` on the server if it can.

        A set read on the server checks its own name first (it may never
        have been used): a stream's keys are never read as a set's.
        """
        if not self._server_side(other):
            return (yield from run(self._ops.combine_with_items(op, other)))
        source = cast("_SetBase[Any, Any]", other)
        if not source._named:
            yield from source._check_name()
        return (yield from run(self._ops.combine_with_key(op, source.name)))


class SortedSet(_SetBase[SyncClient, T], Blocking[T], MutableSet[T]):
    """A set of items ordered by score, lowest first, shared through Redis.

    ``SortedSet(client, "jobs")`` holds ``str``; pass ``serializer=`` to hold
    another type (``MsgspecCodec(Task)`` gives a ``SortedSet[Task]``). Items
    are added with score 0 unless given a score or a ``scorer``;
    ``on_duplicate`` says what adding a present item does to its score
    (``"replace"``, ``"keep"``, ``"min"`` or ``"max"``), and
    ``max_deliveries`` after how many claims without an ack an item goes to
    the dead-letter store, and ``unique_for`` (seconds or a ``timedelta``)
    makes the set unique until done: ``add`` refuses an item that is
    pending, under lease, or was popped, taken or acked less than that long
    ago (an item whose lease expired or was released is pending; one moved
    to the dead letters or discarded is not done). A ``MutableSet``: ``in``, ``len()``, iteration in
    score order, ``|=`` and the other in-place operators.

    >>> s = SortedSet(redis.Redis(), "jobs")                # doctest: +SKIP
    >>> s.add("b", score=2); s.add("a", score=1)            # doctest: +SKIP
    >>> s.pop(), "b" in s, len(s)                           # doctest: +SKIP
    ('a', True, 1)

    Keys, for the name ``jobs``: the pending items are the ZSET ``jobs``
    itself (any ZSET producer, redset's included, can feed it); leases live
    in ``{jobs}:leased`` (ZSET), ``{jobs}:held`` and ``{jobs}:deliveries``
    (HASHes), undecodable or over-delivered items in ``{jobs}:dead``, the
    lease counter in ``{jobs}:fence`` and the kind marker in ``{jobs}:kind``;
    ``{jobs}:done`` (ZSET, with ``unique_for``) records when items were last
    done, and ``{jobs}:periodic`` (HASH) the schedules of periodic items.
    All share the name's cluster slot (``jobs:{t}`` gets ``jobs:{t}:dead``).

    Costs, for N items in the set, M in the call and L leases held:

    * ``add``, ``discard``, ``remove``, ``pop``, ``peek``: one round trip; O(log N)
    * ``in``, ``len()``, ``score``: one round trip; O(1)
    * ``take(n)``, ``claim(n)``: one round trip; O(n log N)
    * ``ack``, ``release``, ``extend``: one round trip; O(log N + log L)
    * ``update``: one round trip per 10,000 items; O(M log N)
    * iteration: one round trip per 500 items; O(N)
    * ``|=``, ``-=``, ``^=``: one round trip, atomic; O(M log N)

    The methods that read the head or act on a lease (``pop``, ``take``,
    ``peek``, ``claim``, ``ack`` and the like) first return every lease
    whose deadline has passed to the pending set, O(log N) each: a lease
    expires once, so that cost is amortised over all calls. The first run
    of a script on a server costs one more round trip (its EVALSHA misses
    and it is sent whole), as does the first operation of a name on a
    client (its kind check). Comparisons (``<=``, ``==``, ...) are the
    ``Set`` ABC's: they iterate, then test ``in`` item by item, one round
    trip per test made on a typedset set.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: SortedSet[str],
            client: SyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: SyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    # --- writes ---------------------------------------------------------------

    # ``set.add`` returns None; ours tells whether the item went in (a bool
    # where None was, so code written for ``set`` still works).
    def add(self, item: T, score: float | None = None) -> bool:  # type: ignore[override]
        """Add ``item``; ``True`` if it was not pending and now is.

        An explicit ``score`` wins, then ``scorer``, then the default: 0, or
        the server's clock in a ``TimeSortedSet`` and a ``ScheduledSet``. An
        item already pending returns ``False`` and its score follows
        ``on_duplicate``. With ``unique_for``, an item pending, under lease,
        or popped, taken or acked less than ``unique_for`` ago is refused:
        ``False``, nothing written (in the same script: no race).

        >>> s.add("a"), s.add("b", score=-1), s.add("a")    # doctest: +SKIP
        (True, True, False)
        >>> s.pop()                                         # doctest: +SKIP
        'b'

        One round trip; O(log N).
        """
        return self._call(self._ops.add(item, score))

    def update(self, items: Iterable[T]) -> int:
        """Add many items, scored as ``add`` would; return how many were newly added.

        Every item is encoded before anything is sent, so a bad item writes
        nothing; the chunks are not one transaction. Time-scored items of one
        chunk share one server timestamp; ``unique_for`` refuses items as
        ``add`` does. One round trip per 10,000 items; O(M log N) for M items.
        """
        return self._flow(self._ops.update(items))

    def update_scored(self, pairs: Iterable[tuple[T, float]]) -> int:
        """Add many ``(item, score)`` pairs, as ``add(item, score)`` would; how many were new.

        Checked and encoded before anything is sent, like ``update``. One
        round trip per 10,000 pairs; O(M log N) for M pairs.
        """
        return self._flow(self._ops.update_scored(pairs))

    def increment(self, item: T, by: float = 1.0) -> float:
        """Add ``by`` to the score of a present item; return the new score.

        ``KeyError`` if the item is absent (it is never created).

        >>> s.add("a", score=1); s.increment("a", by=2)     # doctest: +SKIP
        3.0

        One round trip; O(log N).
        """
        return self._call(self._ops.increment(item, by))

    def discard(self, item: T) -> None:
        """Remove ``item`` if present; a lease on it is untouched. One round trip; O(log N).

        A periodic item's schedule ends (``ScheduledSet.add_periodic``).
        """
        self._call(self._ops.discard(item))

    def remove(self, item: T) -> None:
        """Remove ``item``; ``KeyError`` if absent. One round trip; O(log N)."""
        self._call(self._ops.remove(item))

    def clear(self) -> None:
        """Remove every item, end every lease and schedule (dead letters are kept).

        A ``unique_for`` set also forgets what was done.

        One round trip; O(N + L) for L leases held.
        """
        self._call(self._ops.clear())

    # --- consuming ---------------------------------------------------------------

    def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the lowest-scored item; ``KeyError`` when there is none.

        With ``timeout``, wait up to that many seconds for one. An item that
        cannot be decoded is moved to the dead-letter store and
        :class:`~typedset.DecodeError` is raised. At most once: a popped item
        is gone even if its consumer then fails (``claim`` is at least once).

        >>> s.add("a"); s.pop()                             # doctest: +SKIP
        'a'

        One round trip; O(log N), after expired leases go back (O(log N) each,
        amortised). Waiting costs two round trips per second (a script and a
        ``BZPOPMIN`` of at most a second), and one more once an item comes;
        a ``ScheduledSet`` polls instead, a round trip every 2 to 50 ms.
        """
        return self._flow(self._ops.pop(timeout))

    def take(self, n: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``n`` items in score order; ``[]`` for ``n <= 0``.

        With ``timeout``, wait up to that many seconds for the first. Items
        that cannot be decoded are moved to the dead-letter store (one more
        round trip) and skipped.

        >>> s.update(["a", "b", "c"]); s.take(2)            # doctest: +SKIP
        ['a', 'b']

        One round trip; O(n log N), after expired leases go back (O(log N)
        each, amortised). Waiting costs what ``pop``'s does.
        """
        return self._flow(self._ops.take(n, timeout))

    # --- leases (at least once) ----------------------------------------------------

    def claim(
        self, n: int = 1, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> list[Lease[T]]:
        """Lease up to ``n`` items in score order, until server time + ``ttl`` seconds.

        The items leave the pending set but are not gone: ``ack`` finishes a
        lease, ``release`` puts its item back, and a lease not acked by its
        deadline returns its item to pending by itself (inside the next call
        of anyone that reads the head or acts on a lease: ``claim``, ``pop``,
        ``take``, ``peek``, ``ack``, ...). An item already under lease and
        added again is skipped until that lease ends. With
        ``max_deliveries``, an item claimed that many times without an ack
        goes to the dead-letter store instead. Items that cannot be decoded
        are moved to the dead-letter store (one more round trip) and skipped.
        With ``timeout``, wait up to that many seconds for the first item
        (polling, a round trip every 2 to 50 ms).

        >>> s.add("a"); [lease] = s.claim(ttl=30)           # doctest: +SKIP
        >>> lease.item, s.ack(lease)                        # doctest: +SKIP
        ('a', True)

        One round trip; O((n + s) log N), s the pending items skipped because
        held or buried, after expired leases go back (O(log N) each, amortised).
        """
        return self._flow(self._ops.claim(n, ttl, timeout))

    def ack(self, lease: Lease[T]) -> bool:
        """Finish a lease: its item is done and gone. ``False`` if the lease was no longer held.

        A lease that expired, whose item went back or was claimed again, is
        not held: acking it changes nothing (another consumer's lease of the
        same item is untouched). ``ValueError`` for a lease of another set.

        One round trip; O(log L) for L leases held, after expired leases go
        back (O(log N) each, amortised).
        """
        return self._call(self._ops.ack((lease,), "ack")) == 1

    def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        """``ack`` each lease; return how many were still held (a lease listed twice counts once).

        Every lease is checked before anything is sent. One round trip;
        O(M log L) for M leases, after expired leases go back (O(log N) each,
        amortised).
        """
        return self._call(self._ops.ack(leases, "ack_many"))

    def release(self, lease: Lease[T], *, delay: float | None = None) -> bool:
        """End a lease and put its item back; ``False`` (and no change) if no longer held.

        The item gets its original score back, or with ``delay`` becomes due
        at server time + ``delay``. If the item was added again meanwhile,
        the copy pending keeps the lower of the two scores. Its delivery
        count stays; at ``max_deliveries`` the item goes to the dead-letter
        store instead.

        >>> [lease] = s.claim(); s.release(lease, delay=60)  # doctest: +SKIP
        True

        One round trip; O(log N + log L), after expired leases go back
        (O(log N) each, amortised).
        """
        return self._call(self._ops.release((lease,), delay, "release")) == 1

    def release_many(self, leases: Iterable[Lease[T]], *, delay: float | None = None) -> int:
        """``release`` each lease; return how many were still held.

        Every lease is checked before anything is sent. One round trip;
        O(M (log N + log L)) for M leases, after expired leases go back
        (O(log N) each, amortised).
        """
        return self._call(self._ops.release(leases, delay, "release_many"))

    def extend(self, lease: Lease[T], ttl: float) -> bool:
        """Make a held lease end at server time + ``ttl``; ``False`` if no longer held.

        ``lease.deadline`` keeps the old value (a lease is immutable); a long
        job calls this before its deadline.

        One round trip; O(log L), after expired leases go back (O(log N)
        each, amortised).
        """
        return self._call(self._ops.extend((lease,), ttl, "extend")) == 1

    def extend_many(self, leases: Iterable[Lease[T]], ttl: float) -> int:
        """``extend`` each lease; how many were still held (a lease listed twice counts once).

        Every lease is checked before anything is sent. One round trip;
        O(M log L) for M leases, after expired leases go back (O(log N) each,
        amortised).
        """
        return self._call(self._ops.extend(leases, ttl, "extend_many"))

    def processing(
        self, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> Processing[T]:
        """Claim one item for a ``with`` block: ack on normal exit, release on an exception.

        >>> with s.processing(ttl=30) as item:              # doctest: +SKIP
        ...     handle(item)

        ``KeyError`` when nothing is ready (with ``timeout``, after waiting
        that long); :class:`~typedset.DecodeError` for an item that cannot be
        decoded (it moved to the dead-letter store). A long job keeps its
        lease with ``extend()`` on the object ``processing`` returned. The
        asyncio twin's block is ``async with``.

        No I/O until the block starts; entering it is one round trip (a claim
        of one item, O(log N)), leaving it one more (an ack or a release,
        O(log N + log L)); each first returns expired leases (O(log N) each,
        amortised).
        """
        seconds = check_ttl(ttl)
        return Processing(self, seconds, lambda: self._flow(self._ops.claim_one(seconds, timeout)))

    def leased(self) -> list[Lease[T]]:
        """Every lease still held, earliest deadline first.

        Leases whose item no longer decodes are left out. One round trip;
        O(L) for L leases held, after expired leases go back (O(log N) each,
        amortised).
        """
        return self._flow(self._ops.leased())

    # --- reads ---------------------------------------------------------------

    def peek(self, position: int = 0) -> T:
        """The item at ``position`` in score order, left in place; ``KeyError`` if none.

        0 is the next to pop, -1 the last; a ``ScheduledSet`` counts only the
        items that are due. An item that cannot be decoded is moved to the
        dead-letter store (one more round trip) and the position looked at again.

        >>> s.update(["a", "b"]); s.peek(), s.peek(-1)      # doctest: +SKIP
        ('a', 'b')

        One round trip; O(log N), after expired leases go back (O(log N)
        each, amortised).
        """
        return self._flow(self._ops.peek(position))

    def peek_score(self) -> float | None:
        """The score of the next item to pop, or ``None`` when there is none.

        One round trip; O(log N), after expired leases go back (O(log N)
        each, amortised).
        """
        return self._call(self._ops.peek_score())

    def score(self, item: T) -> float | None:
        """The score of ``item``, or ``None`` if absent (an item under lease is absent).

        One round trip; O(1).
        """
        return self._call(self._ops.score(item))

    def contains(self, item: T) -> bool:
        """Whether ``item`` is pending (``item in s``); an item under lease is not.

        One round trip; O(1).
        """
        return self._call(self._ops.contains(item))

    def size(self) -> int:
        """The number of pending items (``len(s)``); items under lease are not counted.

        One round trip; O(1).
        """
        return self._call(self._ops.size())

    def stats(self) -> SetStats:
        """A snapshot of the set: pending, due, leased, dead letters, lag (:class:`SetStats`).

        One round trip; O(log N), read at one instant of the server's clock,
        after expired leases go back to pending as on every read of the head
        (O(log N) each, amortised; the only write).

        >>> s.stats().pending, s.stats().leased                # doctest: +SKIP
        (3, 1)
        """
        return self._call(self._ops.stats())

    def __contains__(self, item: object) -> bool:
        """``item in s``: :meth:`contains`. One round trip; O(1).

        An item the codec cannot encode (another type) cannot be a member:
        ``False``, with no I/O, as for ``isdisjoint`` and ``-=``, so the
        comparisons (``s >= {other}``, ``s == other``) answer instead of
        raising. :meth:`contains`, typed for items, raises
        :class:`~typedset.EncodeError` for one.
        """
        try:
            return self.contains(cast("T", item))
        except EncodeError:
            return False

    def __len__(self) -> int:
        """``len(s)``: :meth:`size`. One round trip; O(1).

        ``list(s)`` asks for it first (a length hint): one round trip more.
        """
        return self.size()

    def __iter__(self) -> Iterator[T]:
        """Items in score order, fetched in pages of 500 (one round trip each).

        An item present for the whole iteration with an unchanged score is
        yielded exactly once, even while others add and pop. Items that
        cannot be decoded are moved to the dead-letter store (one more round
        trip) and skipped.

        N // 500 + 1 round trips for N items; O(log N) per page plus O(1)
        per item, O(N) in all.
        """
        return self._paged(self._ops.page)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> list[DeadLetter]:
        """The dead-letter store, oldest first: items not decoded or delivered too often.

        One round trip; O(D log D) for D dead letters (sorted here).
        """
        return self._call(self._ops.dead_letters())

    def requeue_dead(self) -> int:
        """Put every dead letter back with its old score; return how many.

        Each starts again with no deliveries; one that is pending again keeps
        its current score. With ``unique_for``, one under lease or done less
        than that long ago (added again after it was buried) stays a dead
        letter: it would run twice. Atomic. One round trip; O(D log N) for D
        dead letters, after expired leases go back (O(log N) each, amortised).
        """
        return self._call(self._ops.requeue_dead())

    def clear_dead_letters(self) -> int:
        """Delete the dead-letter store; return 1 if there was one.

        One round trip; O(D) for D dead letters.
        """
        return self._call(self._ops.clear_dead_letters())

    # --- set algebra -------------------------------------------------------------

    def isdisjoint(self, other: Iterable[object]) -> bool:
        """Whether no item of ``other`` is present (items the codec cannot encode are not).

        All M items go in one command. One round trip (none when ``other``
        has no item to ask about); O(M).
        """
        return self._flow(self._ops.isdisjoint(other))

    def union_update(self, other: Iterable[T]) -> None:
        """Add every item of ``other`` (``s |= other``), atomically.

        Against a typedset set on the same client and cluster slot the server
        reads it directly and its scores are copied; other items are scored
        as ``add`` would score them and go in one command. Present items
        follow ``on_duplicate``.

        >>> s.union_update({"a", "b"}); sorted(s)           # doctest: +SKIP
        ['a', 'b']

        One round trip (two the first time the other set is used on this
        client: its name is checked); O(M log N) for M items in ``other``.
        """
        self._flow(self._combine("or", other))

    def intersection_update(self, other: Iterable[object]) -> None:
        """Keep only items also in ``other`` (``s &= other``), atomically.

        ``other`` is read as ``union_update`` reads it. One round trip;
        O(N + M), plus O(log N) per item removed.
        """
        self._flow(self._combine("and", other))

    def difference_update(self, other: Iterable[object]) -> None:
        """Remove every item of ``other`` (``s -= other``), atomically.

        ``other`` is read as ``union_update`` reads it; a lease on a removed
        item is untouched. One round trip; O(M log N).
        """
        self._flow(self._combine("sub", other))

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """Remove items in both, add the others (``s ^= other``), atomically.

        ``other`` is read as ``union_update`` reads it; added items are scored
        as ``union_update`` scores them. One round trip; O(M log N).
        """
        self._flow(self._combine("xor", other))

    # Binary operators build a builtin set from one batched pass over each
    # side, not one round trip per item as the ABC's mixins would.

    @classmethod
    def _from_iterable(cls, it: Iterable[S]) -> set[S]:
        return set(it)

    # ``|`` and ``^`` take sets of ``T`` only, narrower than ``set``'s
    # (which take any and return a union): pyright checks ``s |= x`` as
    # ``s = s | x`` when ``__ior__`` refuses ``x``, so a wider ``|`` would let
    # ``tasks |= {"text"}`` through. Mixing types is still one ``set(s)`` away.

    def __or__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """``set(self) | set(other)``: a builtin set, the server unchanged.

        Reads ``self`` as iteration does, N // 500 + 1 round trips (and
        ``other`` likewise if it is a typedset set); O(N + M).
        """
        mine: set[T] = set(self)
        return mine | set(other)

    def __and__(self, other: AbstractSet[object]) -> set[T]:
        """Items of ``self`` also in ``other``, as a builtin set.

        Reads both as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine & set(other)

    def __sub__(self, other: AbstractSet[object]) -> set[T]:
        """Items of ``self`` not in ``other``, as a builtin set.

        Reads both as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine - set(other)

    def __xor__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """Items in exactly one of the two, as a builtin set.

        Reads both as ``|`` does: N // 500 + 1 round trips; O(N + M).
        """
        mine: set[T] = set(self)
        return mine ^ set(other)

    # In-place operators follow typeshed's ``set``: ``|=`` and ``^=`` add
    # items, so they take ``AbstractSet[T]`` (narrower than the ABC's, the
    # same ignore as typeshed's ``set.__ior__``); ``&=`` and ``-=`` only
    # compare, so they take any set.

    def __ior__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s |= other``: :meth:`union_update`. One round trip; O(M log N)."""
        self.union_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        """``s &= other``: :meth:`intersection_update`.

        One round trip; O(N + M), plus O(log N) per item removed.
        """
        self.intersection_update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        """``s -= other``: :meth:`difference_update`. One round trip; O(M log N)."""
        self.difference_update(other)
        return self

    def __ixor__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``s ^= other``: :meth:`symmetric_difference_update`. One round trip; O(M log N)."""
        self.symmetric_difference_update(other)
        return self


class TimeSortedSet(SortedSet[T]):
    """A ``SortedSet`` whose default score is the Redis server's clock: first in, first out.

    An explicit ``score`` or a ``scorer`` still wins; ``update`` gives the
    items of one chunk (1,000) the same timestamp, so they pop in member order.

    >>> q = TimeSortedSet(redis.Redis(), "inbox")           # doctest: +SKIP
    >>> q.add("first"); q.add("second")                     # doctest: +SKIP
    >>> q.pop()                                             # doctest: +SKIP
    'first'

    Keys and costs are :class:`SortedSet`'s: ``add`` and ``pop`` are one
    round trip and O(log N) each (the clock is read on the server, in the
    same script).
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: TimeSortedSet[str],
            client: SyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: SyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _timed = True


class ScheduledSet(TimeSortedSet[T]):
    """A ``TimeSortedSet`` whose reads see only items that are due (score <= server time).

    ``pop``, ``take``, ``claim``, ``peek`` and ``peek_score`` skip items
    scheduled for the future; ``len`` and iteration count them all;
    ``available()`` counts the due ones. An item added without a score is
    due at once; give it a Unix time to schedule it.

    >>> q = ScheduledSet(redis.Redis(), "reminders")        # doctest: +SKIP
    >>> q.add("later", score=time.time() + 60); q.add("now")  # doctest: +SKIP
    >>> q.pop(), q.available(), len(q)                      # doctest: +SKIP
    ('now', 0, 1)

    Keys and costs are :class:`SortedSet`'s (``pop`` and ``add`` are one
    round trip, O(log N)), except that waiting for an item that falls due
    polls the server, a round trip every 2 to 50 ms, as Redis cannot block
    until a score is reached.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: ScheduledSet[str],
            client: SyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: SyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _scheduled = True

    def available(self) -> int:
        """How many items are due now (``len`` counts the future ones too).

        One round trip; O(log N), after expired leases go back (O(log N)
        each, amortised).
        """
        return self._call(self._ops.available())

    def add_periodic(
        self,
        item: T,
        every: float | timedelta,
        *,
        first_due: float | None = None,
        anchor: Anchor = "due",
        reschedule: Reschedule = "claim",
    ) -> bool:
        """Add ``item`` due at ``first_due`` (default: now), then again every ``every``.

        Each run is handed out once: ``pop`` and ``take`` put the item back
        due at its next run in the same script, and so does ``claim`` (with
        ``reschedule="claim"``), or ``ack`` of its lease (``"ack"``). The
        next run is the previous due time plus the interval, skipping the
        runs missed (the first such time after now; ``anchor="due"``), or
        server time plus the interval (``anchor="now"``). ``True`` if the
        item was not pending and now is (an item already pending follows
        ``on_duplicate``; one under lease gets the new schedule, and with
        ``reschedule="claim"`` and no pending copy, its first run pending
        beside the lease: the claim that handed the lease out scheduled none).

        With ``reschedule="claim"`` the next run is pending while the lease
        is held but is not claimed until that lease ends (a job never runs
        beside itself); a released or expired lease puts its own run back
        (the earlier due time wins), so that run is retried and the next is
        scheduled from it again. With ``"ack"`` nothing is pending while
        the lease is held; a release or expiry retries the run, and its ack
        schedules the next. Either way an item buried for ``max_deliveries``
        gets its next run, ``discard`` (or ``-=``, ``&=``, ``clear``) ends
        the schedule, and ``unique_for`` does not apply to ``add_periodic``.

        >>> q.add_periodic("report", timedelta(minutes=5))  # doctest: +SKIP
        True
        >>> q.pop(), q.score("report") - time.time() > 299  # doctest: +SKIP
        ('report', True)

        One round trip; O(log N). The schedule is kept in ``{name}:periodic``.
        """
        return self._call(self._ops.add_periodic(item, every, first_due, anchor, reschedule))


class AsyncSortedSet(_SetBase[AsyncClient, T], Async[T]):
    """The asyncio twin of :class:`SortedSet`: the same constructor, methods as coroutines.

    Give it a ``redis.asyncio`` client. ``in``, ``len()`` and ``for`` become
    ``await s.contains(x)``, ``await s.size()`` and ``async for``; in-place
    operators become ``union_update`` and its siblings. Blocking ``pop`` and
    ``take`` wait without blocking the event loop.

    >>> s = AsyncSortedSet(redis.asyncio.Redis(), "jobs")   # doctest: +SKIP
    >>> await s.add("a"); await s.pop()                     # doctest: +SKIP
    'a'

    Keys and costs are :class:`SortedSet`'s, method for method (``add`` and
    ``pop`` are one round trip and O(log N) each). The calls that many tasks
    make in one event-loop turn leave together in one write on one
    connection; each still waits one round trip for its reply.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: AsyncSortedSet[str],
            client: AsyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: AsyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    async def add(self, item: T, score: float | None = None) -> bool:
        return await self._call(self._ops.add(item, score))

    async def update(self, items: Iterable[T]) -> int:
        return await self._flow(self._ops.update(items))

    async def update_scored(self, pairs: Iterable[tuple[T, float]]) -> int:
        return await self._flow(self._ops.update_scored(pairs))

    async def increment(self, item: T, by: float = 1.0) -> float:
        return await self._call(self._ops.increment(item, by))

    async def discard(self, item: T) -> None:
        await self._call(self._ops.discard(item))

    async def remove(self, item: T) -> None:
        await self._call(self._ops.remove(item))

    async def clear(self) -> None:
        await self._call(self._ops.clear())

    async def pop(self, *, timeout: float | None = None) -> T:
        return await self._flow(self._ops.pop(timeout))

    async def take(self, n: int, *, timeout: float | None = None) -> list[T]:
        return await self._flow(self._ops.take(n, timeout))

    async def claim(
        self, n: int = 1, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> list[Lease[T]]:
        return await self._flow(self._ops.claim(n, ttl, timeout))

    async def ack(self, lease: Lease[T]) -> bool:
        return await self._call(self._ops.ack((lease,), "ack")) == 1

    async def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        return await self._call(self._ops.ack(leases, "ack_many"))

    async def release(self, lease: Lease[T], *, delay: float | None = None) -> bool:
        return await self._call(self._ops.release((lease,), delay, "release")) == 1

    async def release_many(self, leases: Iterable[Lease[T]], *, delay: float | None = None) -> int:
        return await self._call(self._ops.release(leases, delay, "release_many"))

    async def extend(self, lease: Lease[T], ttl: float) -> bool:
        return await self._call(self._ops.extend((lease,), ttl, "extend")) == 1

    async def extend_many(self, leases: Iterable[Lease[T]], ttl: float) -> int:
        return await self._call(self._ops.extend(leases, ttl, "extend_many"))

    def processing(
        self, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> AsyncProcessing[T]:
        seconds = check_ttl(ttl)
        return AsyncProcessing(
            self, seconds, lambda: self._flow(self._ops.claim_one(seconds, timeout))
        )

    async def leased(self) -> list[Lease[T]]:
        return await self._flow(self._ops.leased())

    async def peek(self, position: int = 0) -> T:
        return await self._flow(self._ops.peek(position))

    async def peek_score(self) -> float | None:
        return await self._call(self._ops.peek_score())

    async def score(self, item: T) -> float | None:
        return await self._call(self._ops.score(item))

    async def contains(self, item: T) -> bool:
        return await self._call(self._ops.contains(item))

    async def size(self) -> int:
        return await self._call(self._ops.size())

    async def stats(self) -> SetStats:
        return await self._call(self._ops.stats())

    def __aiter__(self) -> AsyncIterator[T]:
        return self._paged(self._ops.page)

    async def dead_letters(self) -> list[DeadLetter]:
        return await self._call(self._ops.dead_letters())

    async def requeue_dead(self) -> int:
        return await self._call(self._ops.requeue_dead())

    async def clear_dead_letters(self) -> int:
        return await self._call(self._ops.clear_dead_letters())

    # The async twin also takes async iterables (another async set, say): they
    # are read first, then sent in the same single call.

    async def isdisjoint(self, other: Iterable[object] | AsyncIterable[object]) -> bool:
        return await self._flow(self._ops.isdisjoint(await collect(other)))

    async def union_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        await self._combine_with("or", other)

    async def intersection_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        await self._combine_with("and", other)

    async def difference_update(self, other: Iterable[object] | AsyncIterable[object]) -> None:
        await self._combine_with("sub", other)

    async def symmetric_difference_update(self, other: Iterable[T] | AsyncIterable[T]) -> None:
        await self._combine_with("xor", other)

    async def _combine_with(self, op: _Op, other: Iterable[Any] | AsyncIterable[Any]) -> None:
        # A set the server can read is sent by name; anything else is read here first.
        items = other if self._server_side(other) else await collect(other)
        await self._flow(self._combine(op, cast("Iterable[Any]", items)))


def _typedset_set(value: object) -> _SetBase[Any, Any] | None:
    """``value`` if it is a typedset set (of any client and item type), else ``None``."""
    if not isinstance(value, _SetBase):
        return None
    # mypy narrows to _SetBase[Any, Any] already; pyright to unknown parameters.
    return cast("_SetBase[Any, Any]", value)  # type: ignore[redundant-cast]


class AsyncTimeSortedSet(AsyncSortedSet[T]):
    """The asyncio twin of :class:`TimeSortedSet`: the default score is the server's clock.

    >>> q = AsyncTimeSortedSet(redis.asyncio.Redis(), "inbox")  # doctest: +SKIP
    >>> await q.add("first"); await q.add("second")         # doctest: +SKIP
    >>> await q.pop()                                       # doctest: +SKIP
    'first'

    Keys and costs are :class:`SortedSet`'s (``add`` and ``pop``: one round
    trip, O(log N)).
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: AsyncTimeSortedSet[str],
            client: AsyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: AsyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _timed = True


class AsyncScheduledSet(AsyncTimeSortedSet[T]):
    """The asyncio twin of :class:`ScheduledSet`: reads see only the items that are due.

    >>> q = AsyncScheduledSet(redis.asyncio.Redis(), "reminders")  # doctest: +SKIP
    >>> await q.add("now"); await q.pop()                   # doctest: +SKIP
    'now'

    Keys and costs are :class:`SortedSet`'s (``add`` and ``pop``: one round
    trip, O(log N)); waiting for an item that falls due polls, a round trip
    every 2 to 50 ms.
    """

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``_SetBase.__init__``)

        @overload
        def __init__(
            self: AsyncScheduledSet[str],
            client: AsyncClient,
            name: str,
            *,
            scorer: Scorer[str] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            client: AsyncClient,
            name: str,
            *,
            serializer: Serializer[T],
            scorer: Scorer[T] | None = None,
            on_duplicate: OnDuplicate = "replace",
            max_deliveries: int | None = None,
            unique_for: float | timedelta | None = None,
            durability: Durability | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _scheduled = True

    async def available(self) -> int:
        return await self._call(self._ops.available())

    async def add_periodic(
        self,
        item: T,
        every: float | timedelta,
        *,
        first_due: float | None = None,
        anchor: Anchor = "due",
        reschedule: Reschedule = "claim",
    ) -> bool:
        return await self._call(self._ops.add_periodic(item, every, first_due, anchor, reschedule))


share_docs(AsyncSortedSet, SortedSet, {"__aiter__": "__iter__"})
share_docs(AsyncScheduledSet, ScheduledSet, {})
