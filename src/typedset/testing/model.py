"""In-memory reference models of typedset's collections: the executable spec.

They have the same public API as the Redis-backed classes and an injectable
``clock``, so they double as test doubles in your own unit tests. They share
no code with the Redis implementation (only the public codecs and
exceptions): the state machines in :mod:`typedset.testing.machine` compare
the two, and a bug written once would hide in both.

Members are kept in encoded form, exactly as Redis keeps them, and ordered
the way a Redis ZSET orders them: by score, then by the member's bytes.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, MutableSet
from typing import Any, ClassVar, Generic, cast, overload

from typing_extensions import TypeVar

from ..codecs import StrCodec
from ..errors import EncodeError
from ..protocols import OnDuplicate, Scorer, Serializer

__all__ = ["MemoryScheduledSet", "MemorySortedSet", "MemoryTimeSortedSet"]

#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)

_POLICIES = ("replace", "keep", "min", "max")


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


class MemorySortedSet(MutableSet[T], Generic[T]):
    """A ``SortedSet`` kept in a Python list; same API, no server."""

    _timed: ClassVar[bool] = False
    _scheduled: ClassVar[bool] = False

    @overload
    def __init__(
        self,
        name: str = "memory",
        *,
        scorer: Scorer[str] | None = None,
        on_duplicate: OnDuplicate = "replace",
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
        clock: Callable[[], float] = time.time,
    ) -> None: ...
    def __init__(
        self,
        name: str = "memory",
        *,
        serializer: Serializer[Any] | None = None,
        scorer: Scorer[Any] | None = None,
        on_duplicate: OnDuplicate = "replace",
        clock: Callable[[], float] = time.time,
    ) -> None:
        given: object = name
        if not isinstance(given, str) or not given:
            raise ValueError("name must be a non-empty str")
        if on_duplicate not in _POLICIES:
            raise ValueError(f"on_duplicate must be one of {_POLICIES}")
        self.name = name
        self.serializer = cast("Serializer[T]", serializer or StrCodec())
        self.scorer = scorer
        self.on_duplicate = on_duplicate
        self.clock = clock
        self._scores: dict[bytes, float] = {}
        self._order: list[tuple[float, bytes]] = []  # sorted (score, member)

    # --- internals -------------------------------------------------------------

    def _encode(self, item: object) -> bytes:
        return encode_with(self.serializer, item)

    def _put(self, member: bytes, score: float) -> None:
        old = self._scores.get(member)
        if old is not None:
            keep = {
                "replace": False,
                "keep": True,
                "min": score >= old,
                "max": score <= old,
            }[self.on_duplicate]
            if keep:
                return
            self._delete(member)
        self._scores[member] = score
        bisect.insort(self._order, (score, member))

    def _delete(self, member: bytes) -> bool:
        score = self._scores.pop(member, None)
        if score is None:
            return False
        del self._order[bisect.bisect_left(self._order, (score, member))]
        return True

    def _score_for(self, item: T, score: float | None, now: float | None = None) -> float:
        """Explicit score, else the scorer's, else the default (``now`` if a batch fixed it)."""
        if score is not None:
            return number(score, "score")
        if self.scorer is not None:
            return number(self.scorer(item), "scorer result")
        if now is not None:
            return now
        return self.clock() if self._timed else 0.0

    def _visible(self) -> list[tuple[float, bytes]]:
        if not self._scheduled:
            return self._order
        now = self.clock()
        return [entry for entry in self._order if entry[0] <= now]

    # --- the public API ----------------------------------------------------------

    def add(self, item: T, score: float | None = None) -> None:
        member = self._encode(item)
        self._put(member, self._score_for(item, score))

    def update(self, items: Iterable[T]) -> None:
        # One clock reading for the batch: Redis scores a whole chunk with one TIME.
        now = self.clock() if self._timed else 0.0
        staged = [(self._encode(item), self._score_for(item, None, now)) for item in items]
        for member, score in staged:
            self._put(member, score)

    def update_scored(self, pairs: Iterable[tuple[T, float]]) -> None:
        staged = [(self._encode(item), number(score, "score")) for item, score in pairs]
        for member, score in staged:
            self._put(member, score)

    def increment(self, item: T, by: float = 1.0) -> float:
        member = self._encode(item)
        step = number(by, "by")
        if member not in self._scores:
            raise KeyError(item)
        new = self._scores[member] + step
        if math.isnan(new):
            raise ValueError("resulting score is not a number (NaN)")
        self._delete(member)
        self._scores[member] = new
        bisect.insort(self._order, (new, member))
        return new

    def discard(self, item: T) -> None:
        self._delete(self._encode(item))

    def remove(self, item: T) -> None:
        if not self._delete(self._encode(item)):
            raise KeyError(item)

    def clear(self) -> None:
        self._scores.clear()
        self._order.clear()

    def take(self, n: int, *, timeout: float | None = None) -> list[T]:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("n must be an int")
        if n <= 0:
            return []
        chosen = self._visible()[:n]
        for _, member in list(chosen):
            self._delete(member)
        return [self.serializer.loads(member) for _, member in chosen]

    def pop(self, *, timeout: float | None = None) -> T:
        taken = self.take(1)
        if not taken:
            raise KeyError("pop from an empty set")
        return taken[0]

    def peek(self, position: int = 0) -> T:
        visible = self._visible()
        try:
            return self.serializer.loads(visible[position][1])
        except IndexError:
            raise KeyError(f"no item at position {position}") from None

    def peek_score(self) -> float | None:
        visible = self._visible()
        return visible[0][0] if visible else None

    def score(self, item: T) -> float | None:
        return self._scores.get(self._encode(item))

    def contains(self, item: T) -> bool:
        return self._encode(item) in self._scores

    def size(self) -> int:
        return len(self._scores)

    def __contains__(self, item: object) -> bool:
        return self.contains(cast("T", item))

    def _members_of(self, other: Iterable[object]) -> set[bytes]:
        """Encoded forms of ``other``; what cannot be encoded cannot be a member."""
        found = set()
        for item in other:
            with contextlib.suppress(EncodeError):
                found.add(self._encode(item))
        return found

    def isdisjoint(self, other: Iterable[object]) -> bool:
        return not self._members_of(other) & self._scores.keys()

    def union_update(self, other: Iterable[T]) -> None:
        self.update(other)

    def intersection_update(self, other: Iterable[object]) -> None:
        keep = self._members_of(other)
        for member in [m for m in self._scores if m not in keep]:
            self._delete(member)

    def difference_update(self, other: Iterable[object]) -> None:
        for member in self._members_of(other):
            self._delete(member)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        items = list(other)
        present = [item for item in items if self._encode(item) in self._scores]
        absent = [item for item in items if self._encode(item) not in self._scores]
        self.difference_update(present)
        self.update(absent)

    def __len__(self) -> int:
        return len(self._scores)

    def __iter__(self) -> Iterator[T]:
        for _, member in list(self._order):
            yield self.serializer.loads(member)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, serializer={self.serializer!r})"


class MemoryTimeSortedSet(MemorySortedSet[T]):
    """A ``TimeSortedSet`` model: default scores come from ``clock``."""

    _timed = True


class MemoryScheduledSet(MemoryTimeSortedSet[T]):
    """A ``ScheduledSet`` model: reads see only members with score <= ``clock()``."""

    _scheduled = True

    def available(self) -> int:
        return len(self._visible())
