"""In-memory reference models of typedset's collections: the executable spec.

They have the same public API as the Redis-backed classes and an injectable
``clock``, so they double as test doubles in your own unit tests. They share
no code with the Redis implementation (only the public codecs, exceptions and
the ``Lease`` and ``DeadLetter`` values): the state machines in
:mod:`typedset.testing.machine` compare the two, and a bug written once would
hide in both.

Members are kept in encoded form, exactly as Redis keeps them, and ordered
the way a Redis ZSET orders them: by score, then by the member's bytes.

Leases (``claim``, ``ack``, ``release``, ``extend``, ``leased``,
``processing``) follow the real classes to the letter, with ``clock`` as the
server's clock: a lease whose deadline is ``<= clock()`` is not held, and it
goes back to pending only inside the operations that return expired leases
on the server (``claim``, ``pop``, ``take``, ``peek``, ``peek_score``,
``available``, ``stats``, ``ack``, ``release``, ``extend``, ``leased``,
``requeue_dead``, ``add_periodic``, and ``add``/``update``/``update_scored``
of a set with ``unique_for``), never inside ``len``, ``in``, iteration or
``score``.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, MutableSet
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, overload

from typing_extensions import Self, TypeVar

from .. import DeadLetter, Lease, Processing
from .._base import check_durability, default_codec
from .._durability import Durability
from .._set_ops import (
    check_delay,
    check_finite,
    check_items,
    check_seconds,
    check_ttl,
    lease_parts,
    lease_token,
)
from .._stats import SetStats
from ..errors import EncodeError
from ..protocols import Anchor, OnDuplicate, Reschedule, Scorer, Serializer

__all__ = ["MemoryProcessing", "MemoryScheduledSet", "MemorySortedSet", "MemoryTimeSortedSet"]

#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
S = TypeVar("S")

_POLICIES = ("replace", "keep", "min", "max")
#: A lease's time to live when ``claim`` and ``processing`` are given none, in seconds.
DEFAULT_TTL = 30.0
log = logging.getLogger("typedset")


def encode_with(serializer: Serializer[Any], item: object) -> bytes:
    """What Redis would store for ``item``; any failure is an :class:`EncodeError`."""
    try:
        data = serializer.dumps(item)
    except EncodeError:
        raise
    except Exception as exc:
        raise EncodeError(f"cannot encode {type(item).__name__}: {exc}") from exc
    return data.encode() if isinstance(data, str) else data


def number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{what} must not be NaN")
    return float(value)


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _delay(value: object) -> float | None:
    return None if value is None else check_delay(value)


def _timeout(value: object) -> None:
    if value is not None:
        seconds = number(value, "timeout")
        if seconds < 0 or math.isinf(seconds):
            raise ValueError(f"timeout must be >= 0 and finite, not {value!r}")


@dataclass
class _Held:
    """One lease as the server keeps it: its claim's number, the score it left, its deadline."""

    claim: int
    score: float
    deadline: float


class MemoryCollection(Generic[T]):
    """What every model is apart from its operations, as ``Collection`` is for the real
    classes: its name, its codec (``StrCodec`` unless given), the durability it keeps
    for API parity, and its clock."""

    _name: str
    _serializer: Serializer[T]
    _durability: Durability | None
    _clock: Callable[[], float]

    def _bind(
        self,
        name: str,
        serializer: Serializer[T] | None,
        durability: Durability | None,
        clock: Callable[[], float],
    ) -> None:
        given = cast(object, name)  # an untyped caller may pass anything
        if not isinstance(given, str) or not given:
            raise ValueError("name must be a non-empty str")
        self._name = name
        self._serializer = default_codec(type(self), serializer)
        self._durability = check_durability(durability)
        self._clock = clock

    @property
    def name(self) -> str:
        """The name given (``"memory"`` by default); a set's lease tokens carry it, as the
        real ones do. O(1)."""
        return self._name

    @property
    def durability(self) -> Durability | None:
        """What the real collection's writes would wait for; kept, with no effect in memory."""
        return self._durability

    @property
    def serializer(self) -> Serializer[T]:
        """The codec items are stored with (kept encoded, as Redis keeps them). O(1)."""
        return self._serializer


class MemorySortedSet(MutableSet[T], MemoryCollection[T]):
    """A ``SortedSet`` kept in a Python list; same API, leases included, no server.

    ``clock`` stands for the server's clock (time-scored items, due times and
    lease deadlines): move it on to expire a lease in a unit test. Waiting is
    not modelled: ``timeout`` is checked, then ``pop``, ``take`` and
    ``claim`` answer at once.

    >>> now = [0.0]
    >>> jobs = MemorySortedSet(clock=lambda: now[0])
    >>> jobs.add("a")
    >>> [lease] = jobs.claim(ttl=10)
    >>> now[0] = 10.0  # the deadline: the lease is no longer held
    >>> jobs.ack(lease), [(again.item, again.deliveries) for again in jobs.claim()]
    (False, [('a', 2)])
    """

    _timed: ClassVar[bool] = False
    _scheduled: ClassVar[bool] = False

    # ``self`` pins ``str`` in the no-serializer overload (``T`` would stay
    # open: it has a default). mypy checks such a ``self`` only in the class
    # that declares ``__init__``, so each subclass repeats these overloads
    # for the checker, as the real classes do.
    @overload
    def __init__(
        self: MemorySortedSet[str],
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
        self._bind(name, serializer, durability, clock)
        if on_duplicate not in _POLICIES:
            raise ValueError(f"on_duplicate must be one of {_POLICIES}")
        if max_deliveries is not None:
            max_deliveries = _integer(max_deliveries, "max_deliveries")
            if max_deliveries < 1:
                raise ValueError(f"max_deliveries must be >= 1 or None, not {max_deliveries}")
        self._scorer = scorer
        self._on_duplicate = on_duplicate
        self._max_deliveries = max_deliveries
        self._unique = 0.0 if unique_for is None else check_seconds(unique_for, "unique_for")
        self._done: dict[bytes, float] = {}  # member -> when it was popped, taken or acked
        # member -> (every, anchor, reschedule) of a periodic item
        self._periodic: dict[bytes, tuple[float, str, str]] = {}
        self._scores: dict[bytes, float] = {}
        self._order: list[tuple[float, bytes]] = []  # sorted (score, member)
        self._held: dict[bytes, _Held] = {}  # member -> its lease
        self._deliveries: dict[bytes, int] = {}  # member -> claims without an ack
        self._dead: dict[bytes, tuple[str, float, float]] = {}  # member -> (reason, score, at)
        self._claims = 0  # the last claim's number (the server's fence)

    # --- internals -------------------------------------------------------------

    def _encode(self, item: object) -> bytes:
        return encode_with(self._serializer, item)

    def _put(self, member: bytes, score: float) -> None:
        old = self._scores.get(member)
        if old is not None:
            keep = {
                "replace": False,
                "keep": True,
                "min": score >= old,
                "max": score <= old,
            }[self._on_duplicate]
            if keep:
                return
            self._delete(member)
        self._insert(member, score)

    def _insert(self, member: bytes, score: float) -> None:
        self._scores[member] = score
        bisect.insort(self._order, (score, member))

    def _put_back(self, member: bytes, score: float) -> None:
        """Back to pending at ``score``; a copy already pending keeps the lower score."""
        old = self._scores.get(member)
        if old is None:
            self._insert(member, score)
        elif score < old:
            self._delete(member)
            self._insert(member, score)

    def _delete(self, member: bytes) -> bool:
        score = self._scores.pop(member, None)
        if score is None:
            return False
        del self._order[bisect.bisect_left(self._order, (score, member))]
        return True

    def _drop(self, member: bytes, *, end_schedule: bool = False) -> bool:
        """Remove a pending member for good: its delivery count goes too, unless it is held.

        ``end_schedule``: a periodic member's schedule ends too, pending or not.
        """
        if end_schedule:
            self._periodic.pop(member, None)
        if not self._delete(member):
            return False
        if member not in self._held:
            self._deliveries.pop(member, None)
        return True

    def _return_expired(self, now: float) -> None:
        """Leases whose deadline is ``<= now`` end; their items go back to pending."""
        for member, held in list(self._held.items()):
            if held.deadline <= now:
                del self._held[member]
                self._put_back(member, held.score)

    def _bury(self, member: bytes, score: float, now: float) -> None:
        count = self._deliveries.pop(member, 0)
        reason = f"delivered {count} times without an ack (max_deliveries={self._max_deliveries})"
        self._dead[member] = (reason, score, now)

    def _spent(self, member: bytes) -> bool:
        """Whether ``member`` was delivered ``max_deliveries`` times without an ack."""
        limit = self._max_deliveries
        return limit is not None and self._deliveries.get(member, 0) >= limit

    def _now(self) -> float:
        return float(self._clock())

    def _score_for(self, item: T, score: float | None, now: float | None = None) -> float:
        """Explicit score, else the scorer's, else the default (``now`` if a batch fixed it)."""
        if score is not None:
            return number(score, "score")
        if self._scorer is not None:
            return number(self._scorer(item), "scorer result")
        if now is not None:
            return now
        return self._clock() if self._timed else 0.0

    def _visible(self, now: float) -> list[tuple[float, bytes]]:
        if not self._scheduled:
            return self._order
        return self._order[: bisect.bisect_right(self._order, now, key=lambda entry: entry[0])]

    def _ready(self) -> list[tuple[float, bytes]]:
        """The head as the server's scripts see it: expired leases returned first."""
        now = self._now()
        self._return_expired(now)
        return self._visible(now)

    def _token(self, claim: int, member: bytes) -> bytes:
        """A lease's token, in the real tokens' format (``_set_ops.lease_token``)."""
        return lease_token(self._name, claim, member)

    def _lease_members(self, op: str, leases: Iterable[Lease[T]]) -> list[tuple[int, bytes]]:
        """``(claim, member)`` of each lease, all checked before anything changes."""
        return [(int(claim), member) for claim, member in lease_parts(op, self._name, leases)]

    def _holds(self, claim: int, member: bytes) -> bool:
        held = self._held.get(member)
        return held is not None and held.claim == claim

    # --- the public API ----------------------------------------------------------

    # ``set.add`` returns None; ours tells whether the item went in (a bool
    # where None was, so code written for ``set`` still works).
    def add(self, item: T, score: float | None = None) -> bool:  # type: ignore[override]
        """Add ``item``; ``True`` if it was not pending and now is (see ``SortedSet.add``). O(N)."""
        member = self._encode(item)
        now = self._now()
        scored = self._score_for(item, score, now if self._timed else None)
        return self._add_all([(member, scored)], now) == 1

    def update(self, items: Iterable[T]) -> int:
        """Add many items, scored as ``add`` would; how many were new. A bad item adds nothing.

        O(M N).
        """
        # One clock reading for the batch: Redis scores a whole chunk with one TIME.
        now = self._now()
        staged = [
            (self._encode(item), self._score_for(item, None, now if self._timed else 0.0))
            for item in check_items(items, "update")
        ]
        return self._add_all(staged, now)

    def update_scored(self, pairs: Iterable[tuple[T, float]]) -> int:
        """Add many ``(item, score)`` pairs; how many were new. A bad pair adds nothing. O(M N)."""
        staged = [
            (self._encode(item), number(score, "score"))
            for item, score in check_items(pairs, "update_scored")
        ]
        return self._add_all(staged, self._now())

    def _add_all(self, staged: list[tuple[bytes, float]], now: float) -> int:
        """Add checked members; with ``unique_for``, expired leases return first and members
        pending, held or done lately are refused. How many were new.

        No member, no call on the server: expired leases stay where they are.
        """
        if self._unique and staged:
            self._return_expired(now)
        added = 0
        for member, score in staged:
            if self._unique and self._refused(member, now):
                continue
            added += member not in self._scores
            self._put(member, score)
        return added

    def _refused(self, member: bytes, now: float) -> bool:
        """``unique_for``: whether ``member`` is pending, held, or done less than the window ago."""
        return member in self._scores or member in self._held or self._done_lately(member, now)

    def _done_lately(self, member: bytes, now: float) -> bool:
        """``unique_for``: whether ``member`` was popped, taken or acked within the window."""
        done = self._done.get(member)
        return done is not None and done > now - self._unique

    def _mark_done(self, members: Iterable[bytes], now: float) -> None:
        if self._unique:
            for member in members:
                self._done[member] = now

    def _schedule_next(self, member: bytes, due: float, now: float, at: str | None) -> None:
        """A periodic member handed out (or acked) at ``now``: its next run goes to pending
        when it reschedules ``at`` (``None``: whatever its option)."""
        schedule = self._periodic.get(member)
        if schedule is None or (at is not None and schedule[2] != at):
            return
        every, anchor, _ = schedule
        if anchor == "now":
            upcoming = now + every
        else:
            missed = (now - due) / every  # the script's doubles: an infinite gap stays infinite
            k = max(1.0, (math.floor(missed) if math.isfinite(missed) else missed) + 1.0)
            upcoming = due + k * every
            if upcoming <= now:  # float rounding of k
                upcoming += every
            if upcoming <= now or (due <= now and upcoming > now + every):
                upcoming = now + every  # a due time too far from now for its grid
        self._put_back(member, upcoming)

    def increment(self, item: T, by: float = 1.0) -> float:
        """Add ``by`` to a present item's score; the new score (``KeyError`` if absent). O(N)."""
        member = self._encode(item)
        step = number(by, "by")
        if member not in self._scores:
            raise KeyError(item)
        new = self._scores[member] + step
        if math.isnan(new):
            raise ValueError("resulting score is not a number (NaN)")
        self._delete(member)
        self._insert(member, new)
        return new

    def discard(self, item: T) -> None:
        """Remove ``item`` if present; a periodic item's schedule ends. O(N)."""
        self._drop(self._encode(item), end_schedule=True)

    def remove(self, item: T) -> None:
        """Remove ``item``; ``KeyError`` if absent (a schedule ends all the same). O(N)."""
        if not self._drop(self._encode(item), end_schedule=True):
            raise KeyError(item)

    def clear(self) -> None:
        """Remove every item, end every lease, forget delivery counts; dead letters stay. O(N)."""
        self._scores.clear()
        self._order.clear()
        self._held.clear()
        self._deliveries.clear()
        self._done.clear()
        self._periodic.clear()

    def take(self, n: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``n`` items in score order; ``timeout`` is checked, not waited.

        O(L + n N), L the leases held.
        """
        _integer(n, "n")
        _timeout(timeout)
        if n <= 0:
            return []
        now = self._now()
        self._return_expired(now)
        chosen = list(self._visible(now)[:n])
        for score, member in chosen:
            self._drop(member)
            self._schedule_next(member, score, now, None)
        self._mark_done((member for _, member in chosen), now)
        return [self._serializer.loads(member) for _, member in chosen]

    def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the lowest-scored item; ``KeyError`` if none. O(L + N)."""
        taken = self.take(1, timeout=timeout)
        if not taken:
            raise KeyError("pop from an empty set")
        return taken[0]

    # --- leases (at least once) ------------------------------------------------

    def claim(
        self, n: int = 1, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> list[Lease[T]]:
        """Lease up to ``n`` items in score order until ``clock() + ttl``; see ``SortedSet.claim``.

        A pending copy of a held item is skipped; with ``max_deliveries``, an
        item claimed that many times without an ack goes to the dead letters.
        ``timeout`` is checked, not waited. O(L + (n + s) N), s the held items skipped.
        """
        _integer(n, "n")
        seconds = check_ttl(ttl)
        _timeout(timeout)
        if n <= 0:
            return []
        now = self._now()
        self._return_expired(now)
        deadline = now + seconds
        taken: list[tuple[bytes, float]] = []
        buried: list[tuple[bytes, float]] = []
        for score, member in list(self._visible(now)):
            if len(taken) == n:
                break
            if member in self._held:
                continue
            self._delete(member)
            if self._spent(member):
                self._bury(member, score, now)
                buried.append((member, score))
            else:
                taken.append((member, score))
        for member, score in taken:
            self._schedule_next(member, score, now, "claim")
        for member, score in buried:  # a periodic item's schedule goes on
            self._schedule_next(member, score, now, None)
        if not taken:
            return []
        self._claims += 1
        leases: list[Lease[T]] = []
        for member, score in taken:
            count = self._deliveries.get(member, 0) + 1
            self._deliveries[member] = count
            self._held[member] = _Held(self._claims, score, deadline)
            token = self._token(self._claims, member)
            item = self._serializer.loads(member)
            leases.append(Lease(item, deadline, count, token, score))
        return leases

    def ack(self, lease: Lease[T]) -> bool:
        """Finish a held lease: its item is done; ``False`` (no change) if no longer held. O(L)."""
        return self._ack(self._lease_members("ack", (lease,))) == 1

    def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        """``ack`` each lease; how many were still held. O(L + M)."""
        return self._ack(self._lease_members("ack_many", leases))

    def _ack(self, found: list[tuple[int, bytes]]) -> int:
        now = self._now()
        self._return_expired(now)
        done: list[bytes] = []
        for claim, member in found:
            if self._holds(claim, member):
                held = self._held.pop(member)
                self._deliveries.pop(member, None)
                self._schedule_next(member, held.score, now, "ack")
                done.append(member)
        self._mark_done(done, now)
        return len(done)

    def release(self, lease: Lease[T], *, delay: float | None = None) -> bool:
        """End a held lease, its item back at its score (or due ``clock() + delay``). O(L + N)."""
        seconds = _delay(delay)
        return self._release(seconds, self._lease_members("release", (lease,))) == 1

    def release_many(self, leases: Iterable[Lease[T]], *, delay: float | None = None) -> int:
        """``release`` each lease; how many were still held. O(L + M N).

        The delivery count stays; at ``max_deliveries`` the item goes to the
        dead letters instead of pending. A copy pending keeps the lower score.
        """
        seconds = _delay(delay)
        return self._release(seconds, self._lease_members("release_many", leases))

    def _release(self, seconds: float | None, found: list[tuple[int, bytes]]) -> int:
        now = self._now()
        self._return_expired(now)
        released = 0
        for claim, member in found:
            if not self._holds(claim, member):
                continue
            held = self._held.pop(member)
            score = held.score if seconds is None else now + seconds
            if self._spent(member):
                self._bury(member, score, now)
                self._schedule_next(member, held.score, now, "ack")
            else:
                self._put_back(member, score)
            released += 1
        return released

    def extend(self, lease: Lease[T], ttl: float) -> bool:
        """Make a held lease end at ``clock() + ttl``; ``False`` if no longer held. O(L)."""
        seconds = check_ttl(ttl)
        return self._extend(seconds, self._lease_members("extend", (lease,))) == 1

    def extend_many(self, leases: Iterable[Lease[T]], ttl: float) -> int:
        """``extend`` each lease; how many were still held (listed twice counts once). O(L + M)."""
        seconds = check_ttl(ttl)
        return self._extend(seconds, self._lease_members("extend_many", leases))

    def _extend(self, seconds: float, found: list[tuple[int, bytes]]) -> int:
        now = self._now()
        self._return_expired(now)
        extended: set[bytes] = set()  # a lease listed twice counts once
        for claim, member in found:
            if member not in extended and self._holds(claim, member):
                self._held[member].deadline = now + seconds
                extended.add(member)
        return len(extended)

    def leased(self) -> list[Lease[T]]:
        """Every lease still held, earliest deadline first (ties: by member bytes). O(L log L)."""
        self._return_expired(self._now())
        rows = sorted(self._held.items(), key=lambda row: (row[1].deadline, row[0]))
        return [
            Lease(
                self._serializer.loads(member),
                held.deadline,
                self._deliveries.get(member, 0),
                self._token(held.claim, member),
                held.score,
            )
            for member, held in rows
        ]

    def processing(
        self, *, ttl: float = DEFAULT_TTL, timeout: float | None = None
    ) -> Processing[T]:
        """Claim one item for a ``with`` block: ack on normal exit, release on an exception."""
        seconds = check_ttl(ttl)
        return Processing(self, seconds, lambda: self._claim_one(seconds, timeout))

    def _claim_one(self, ttl: float, timeout: float | None) -> Lease[T]:
        leases = self.claim(1, ttl=ttl, timeout=timeout)
        if not leases:
            raise KeyError(f"nothing to claim in {self._name}")
        return leases[0]

    # --- reads ---------------------------------------------------------------

    def peek(self, position: int = 0) -> T:
        """The item at ``position`` in score order, left in place; ``KeyError`` if none. O(N)."""
        _integer(position, "position")
        visible = self._ready()
        try:
            return self._serializer.loads(visible[position][1])
        except IndexError:
            raise KeyError(f"no item at position {position}") from None

    def peek_score(self) -> float | None:
        """The score of the next item to pop, or ``None``. O(L + N)."""
        visible = self._ready()
        return visible[0][0] if visible else None

    def score(self, item: T) -> float | None:
        """The score of ``item``, or ``None`` if absent. O(1)."""
        return self._scores.get(self._encode(item))

    def contains(self, item: T) -> bool:
        """Whether ``item`` is present (``item in s``). O(1)."""
        return self._encode(item) in self._scores

    def size(self) -> int:
        """The number of items (``len(s)``). O(1)."""
        return len(self._scores)

    def stats(self) -> SetStats:
        """A snapshot at ``clock()``, expired leases returned first (``SortedSet.stats``). O(N)."""
        now = self._now()
        self._return_expired(now)
        oldest = self._order[0][0] if self._order else None
        later = [score for score, _ in self._order if score > now]
        return SetStats(
            at=now,
            dead_letters=len(self._dead),
            pending=len(self._order),
            due=len(self._visible(now)),
            leased=len(self._held),
            periodic=len(self._periodic),
            oldest_score=oldest,
            oldest_age=None if oldest is None or not self._timed else max(0.0, now - oldest),
            next_due=later[0] if later and self._scheduled else None,
        )

    def __contains__(self, item: object) -> bool:
        """``contains``, and ``False`` for an item the codec cannot encode. O(1)."""
        try:
            return self.contains(cast("T", item))
        except EncodeError:
            return False

    def __len__(self) -> int:
        """``size``: the number of items. O(1)."""
        return len(self._scores)

    def __iter__(self) -> Iterator[T]:
        """Items in score order, from a snapshot taken at the first step. O(N)."""
        for _, member in list(self._order):
            yield self._serializer.loads(member)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> list[DeadLetter]:
        """Items delivered ``max_deliveries`` times without an ack, oldest first. O(D log D)."""
        letters = [
            DeadLetter(member, reason, score, at)
            for member, (reason, score, at) in self._dead.items()
        ]
        return sorted(letters, key=lambda letter: (letter.at, letter.raw))

    def requeue_dead(self) -> int:
        """Dead letters back to pending at their old score (a pending copy keeps its). O(D N).

        With ``unique_for``, one under lease or done lately stays a dead letter.
        """
        now = self._now()
        self._return_expired(now)
        moved = [
            member
            for member in self._dead
            if not (self._unique and (member in self._held or self._done_lately(member, now)))
        ]
        for member in moved:
            _, score, _ = self._dead.pop(member)
            if member not in self._scores:
                self._insert(member, score)
            self._deliveries.pop(member, None)
        return len(moved)

    def clear_dead_letters(self) -> int:
        """Forget the dead letters; 1 if there were any. O(D)."""
        had = 1 if self._dead else 0
        self._dead.clear()
        return had

    # --- set algebra -------------------------------------------------------------

    def _members_of(self, other: Iterable[object]) -> set[bytes]:
        """Encoded forms of ``other``; what cannot be encoded cannot be a member."""
        found: set[bytes] = set()
        for item in other:
            with contextlib.suppress(EncodeError):
                found.add(self._encode(item))
        return found

    def isdisjoint(self, other: Iterable[object]) -> bool:
        """Whether no item of ``other`` is present. O(M)."""
        return not self._members_of(check_items(other, "isdisjoint")) & self._scores.keys()

    def union_update(self, other: Iterable[T]) -> None:
        """Add every item of ``other`` (``s |= other``), scored as ``update`` would. O(M N).

        With ``unique_for`` an item pending, held (expired leases do not return
        here) or done lately is not added.
        """
        self._combine_add(list(check_items(other, "union_update")))

    def _combine_add(self, items: list[T]) -> None:
        now = self._now()
        staged = [
            (self._encode(item), self._score_for(item, None, now if self._timed else 0.0))
            for item in items
        ]
        for member, score in staged:
            if not (self._unique and self._refused(member, now)):
                self._put(member, score)

    def intersection_update(self, other: Iterable[object]) -> None:
        """Keep only items also in ``other`` (``s &= other``); schedules of the others end.

        O(M + N²).
        """
        keep = self._members_of(check_items(other, "intersection_update"))
        for member in [m for m in self._scores if m not in keep]:
            self._drop(member, end_schedule=True)
        for member in [m for m in self._periodic if m not in keep]:
            del self._periodic[member]  # pending or not, as discard's

    def difference_update(self, other: Iterable[object]) -> None:
        """Remove every item of ``other`` (``s -= other``), ending their schedules. O(M N)."""
        for member in self._members_of(check_items(other, "difference_update")):
            self._drop(member, end_schedule=True)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """Remove items in both, add the others (``s ^= other``). O(M N)."""
        items = list(check_items(other, "symmetric_difference_update"))
        present = [item for item in items if self._encode(item) in self._scores]
        absent = [item for item in items if self._encode(item) not in self._scores]
        self.difference_update(present)
        self._combine_add(absent)

    # Binary operators build builtin sets, as the real classes' do (the ABC's
    # would call the constructor with an iterable). ``|`` and ``^`` take sets
    # of ``T`` only, as the real classes' do (see ``SortedSet.__or__``).

    @classmethod
    def _from_iterable(cls, it: Iterable[S]) -> set[S]:
        return set(it)

    def __or__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """``set(self) | set(other)``. O(N + M)."""
        mine: set[T] = set(self)
        return mine | set(other)

    def __and__(self, other: AbstractSet[object]) -> set[T]:
        """Items of ``self`` also in ``other``, as a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine & set(other)

    def __sub__(self, other: AbstractSet[object]) -> set[T]:
        """Items of ``self`` not in ``other``, as a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine - set(other)

    def __xor__(self, other: AbstractSet[T]) -> set[T]:  # type: ignore[override]
        """Items in exactly one of the two, as a builtin set. O(N + M)."""
        mine: set[T] = set(self)
        return mine ^ set(other)

    # In-place operators as the real classes type them (typeshed's ``set``):
    # ``|=`` and ``^=`` add items, so they take ``AbstractSet[T]`` (the same
    # ignore as typeshed's ``set.__ior__``); ``&=`` and ``-=`` take any set.

    def __ior__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``union_update``."""
        self.union_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        """``intersection_update``."""
        self.intersection_update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        """``difference_update``."""
        self.difference_update(other)
        return self

    def __ixor__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override]
        """``symmetric_difference_update``."""
        self.symmetric_difference_update(other)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, serializer={self._serializer!r})"


class MemoryTimeSortedSet(MemorySortedSet[T]):
    """A ``TimeSortedSet`` model: default scores come from ``clock``."""

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``MemorySortedSet.__init__``)

        @overload
        def __init__(
            self: MemoryTimeSortedSet[str],
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

    _timed = True


class MemoryScheduledSet(MemoryTimeSortedSet[T]):
    """A ``ScheduledSet`` model: reads and claims see only members with score <= ``clock()``."""

    if TYPE_CHECKING:  # pin ``str`` without a serializer (see ``MemorySortedSet.__init__``)

        @overload
        def __init__(
            self: MemoryScheduledSet[str],
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

    _scheduled = True

    def available(self) -> int:
        """How many items are due now. O(L + N)."""
        return len(self._ready())

    def add_periodic(
        self,
        item: T,
        every: float | timedelta,
        *,
        first_due: float | None = None,
        anchor: Anchor = "due",
        reschedule: Reschedule = "claim",
    ) -> bool:
        """Add ``item`` due at ``first_due`` (default: ``clock()``), then every ``every``.

        See ``ScheduledSet.add_periodic``. O(N).
        """
        member = self._encode(item)
        seconds = check_seconds(every, "every")
        if anchor not in ("due", "now"):
            raise ValueError(f"anchor must be 'due' or 'now', not {anchor!r}")
        if reschedule not in ("claim", "ack"):
            raise ValueError(f"reschedule must be 'claim' or 'ack', not {reschedule!r}")
        first = None if first_due is None else check_finite(first_due, "first_due")
        now = self._now()
        self._return_expired(now)
        self._periodic[member] = (seconds, anchor, reschedule)
        if member in self._held and (reschedule == "ack" or member in self._scores):
            return False  # its ack schedules the next run, or one is pending
        new = member not in self._scores
        self._put(member, now if first is None else first)
        return new


#: What ``MemorySortedSet.processing`` returns: :class:`typedset.Processing` over the model.
MemoryProcessing = Processing
