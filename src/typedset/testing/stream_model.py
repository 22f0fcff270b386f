"""``MemoryPriorityStream``: the in-memory reference model of ``PriorityStream``.

The executable spec of SPEC section 6, and a test double with an injectable
``clock``. It shares no code with the Redis implementation (only the public
codecs and exceptions). Items are ordered as a Redis ZSET read backwards
orders them: highest priority first, ties by the key's UTF-8 bytes, descending.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from datetime import datetime, timedelta, timezone
from typing import Any, cast, overload

from typing_extensions import TypeVar

from .._durability import Durability
from .._stats import StreamStats
from .._stream_ops import (
    _HOLDS_AN_ITEM,  # pyright: ignore[reportPrivateUsage]  (shared text)
    LATEST_COOL_DOWN,
    StreamDeadLetter,
    _letter_order,  # pyright: ignore[reportPrivateUsage]  (one order)
)
from ..errors import DecodeError
from ..protocols import Serializer
from .model import MemoryCollection, encode_with, number

__all__ = ["MemoryPriorityStream"]

#: The value type; ``str`` when no serializer says otherwise.
V = TypeVar("V", default=str)
D = TypeVar("D")


def _finite(value: object, what: str) -> float:
    checked = number(value, what)
    if math.isinf(checked):
        raise ValueError(f"{what} must be finite, not {value!r}")
    return checked


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"stream keys must be str, not {type(key).__name__}")
    return key


def _seconds(value: object, what: str) -> float:
    """Seconds >= 0 and finite, from a timedelta or a number."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else number(value, what)
    if seconds < 0 or math.isinf(seconds):
        raise ValueError(f"{what} must be >= 0 and finite, not {value!r}")
    return seconds


def _when(value: datetime | timedelta | float, now: float, what: str) -> float:
    """The Unix time ``value`` names: an aware datetime, or seconds from ``now``."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{what} must be timezone-aware")
        when = value.timestamp()
    else:
        when = now + _seconds(value, what)
    if when >= LATEST_COOL_DOWN.timestamp():
        raise ValueError(f"{what} must end before {LATEST_COOL_DOWN}, not {value!r}")
    return when


def _utc(when: float) -> datetime:
    return datetime.fromtimestamp(when, tz=timezone.utc)


class MemoryPriorityStream(Mapping[str, V], MemoryCollection[V]):
    """A ``PriorityStream`` kept in dicts; same API, no server.

    ``clock`` stands for the server's clock (cool-downs end by it). Reads
    sort the items, so most operations cost O(N log N) here.
    """

    # ``self`` pins ``str`` without a serializer, as in ``PriorityStream``.
    @overload
    def __init__(
        self: MemoryPriorityStream[str],
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
        self._bind(name, serializer, durability, clock)
        self._decay = _finite(decay, "decay")
        if self._decay < 0:
            raise ValueError("decay must be >= 0")
        self._items: dict[str, tuple[bytes, float]] = {}  # key -> (encoded value, priority)
        self._cooling: dict[str, float] = {}  # key -> when its cool-down ends
        self._gated: set[str] = set()
        # (key, raw) -> its dead letter: every value a key held keeps its own
        self._dead: dict[tuple[str, bytes], StreamDeadLetter] = {}

    # --- internals -------------------------------------------------------------

    def _sweep(self) -> int:
        """End the cool-downs that are over, and the items kept until then."""
        now = self._clock()
        ended = [key for key, deadline in self._cooling.items() if deadline <= now]
        for key in ended:
            del self._cooling[key]
            self._items.pop(key, None)
        return len(ended)

    def _ordered(self) -> list[str]:
        return sorted(
            self._items, key=lambda key: (self._items[key][1], key.encode()), reverse=True
        )

    def _decoded(self, key: str, data: bytes, priority: float) -> V | DecodeError:
        """The value; or, when it does not decode, the error, after the value (and
        the item, if the key still holds it) moved to the dead letters."""
        try:
            return self._serializer.loads(data)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self._items.pop(key, None)
            self._dead[key, data] = StreamDeadLetter(
                raw=data, reason=reason, score=priority, at=self._clock(), key=key
            )
            return DecodeError(data, reason)

    def _walk(self) -> list[tuple[str, V]]:
        """``(key, value)`` in priority order, the undecodable ones moved aside."""
        self._sweep()
        walked: list[tuple[str, V]] = []
        for key in self._ordered():
            data, priority = self._items[key]
            value = self._decoded(key, data, priority)
            if not isinstance(value, DecodeError):
                walked.append((key, value))
        return walked

    # --- the public API ----------------------------------------------------------

    @property
    def decay(self) -> float:
        """How much ``pull(purge=False)`` lowers the priority of the items it keeps."""
        return self._decay

    def add(self, key: str, value: V, score: float = 1.0, *, readd: bool = False) -> float | None:
        """Store ``value`` and raise the priority of ``key`` by ``score``; ``None`` if refused.

        O(1).
        """
        return self.add_many([(key, value, score)], readd=readd)[0]

    def add_many(
        self, items: Iterable[tuple[str, V, float]], *, readd: bool = False
    ) -> list[float | None]:
        """``add`` for each ``(key, value, score)``, in order; one result each. O(M)."""
        staged = [
            (_key(key), encode_with(self._serializer, value), _finite(score, "score"))
            for key, value, score in items
        ]
        self._sweep()
        results: list[float | None] = []
        for key, data, score in staged:
            if readd:
                self._gated.discard(key)
                self._cooling.pop(key, None)
            if key in self._gated or key in self._cooling:
                results.append(None)
                continue
            priority = self._items.get(key, (b"", 0.0))[1] + score
            self._items[key] = (data, priority)
            results.append(priority)
        return results

    def pull(
        self,
        count: int = 1,
        *,
        purge: bool = True,
        gate: bool = False,
        expire_in: timedelta | float = timedelta(days=1),
        expire_at: datetime | None = None,
        timeout: float | None = None,
    ) -> dict[str, V]:
        """Take up to ``count`` items, highest priority first, as ``{key: value}``. O(N log N).

        ``timeout`` is checked, not waited: nothing else can add meanwhile.
        Undecodable values move to ``dead_letters()`` and are skipped.
        """
        given = cast(object, count)  # an untyped caller may pass anything
        if isinstance(given, bool) or not isinstance(given, int):
            raise TypeError("count must be an int")
        if count < 1:
            raise ValueError("count must be >= 1")
        now = self._clock()
        if expire_at is not None:
            deadline = _when(expire_at, now, "expire_at")
        else:
            deadline = _when(expire_in, now, "expire_in")
        if timeout is not None:
            _seconds(timeout, "timeout")
        self._sweep()
        over = deadline <= now
        pulled: dict[str, V] = {}
        taken: list[tuple[str, bytes, float]] = []
        for key in self._ordered()[:count]:
            data, priority = self._items[key]
            taken.append((key, data, priority))
            if purge or over:
                del self._items[key]
            else:
                self._items[key] = (data, priority - self._decay)
            if gate:
                self._gated.add(key)
            if over:
                self._cooling.pop(key, None)
            else:
                self._cooling[key] = deadline
        for key, data, priority in taken:
            value = self._decoded(key, data, priority)
            if not isinstance(value, DecodeError):
                pulled[key] = value
        return pulled

    def increment(self, key: str, by: float = 1.0) -> float:
        """Add ``by`` to the priority of ``key``; the new priority. ``KeyError`` if absent. O(1)."""
        step = _finite(by, "by")
        self._sweep()
        if key not in self._items:
            raise KeyError(key)
        data, priority = self._items[key]
        self._items[key] = (data, priority + step)
        return priority + step

    def decrement_all(self, by: float = 1.0) -> int:
        """Lower every priority by ``by``; how many items changed. O(N)."""
        step = _finite(by, "by")
        self._sweep()
        for key, (data, priority) in self._items.items():
            self._items[key] = (data, priority - step)
        return len(self._items)

    def delete_below(self, threshold: float, *, gate: bool = False) -> list[str]:
        """Remove items with priority below ``threshold``; their keys, highest first. O(N log N)."""
        limit = _finite(threshold, "threshold")
        self._sweep()
        below = [key for key in self._ordered() if self._items[key][1] < limit]
        for key in below:
            del self._items[key]
            if gate:
                self._gated.add(key)
        return below

    def clear(self) -> None:
        """Remove every item, gate and cool-down (dead letters are kept). O(N)."""
        self._items.clear()
        self._cooling.clear()
        self._gated.clear()

    def expire(self) -> int:
        """End the cool-downs that are over; how many. O(C), C the keys cooling down."""
        return self._sweep()

    # --- reads ---------------------------------------------------------------

    def __getitem__(self, key: str) -> V:
        """The value of ``key``; ``KeyError`` if it holds no item. O(1).

        ``DecodeError`` for a value that does not decode, after it moved to ``dead_letters()``.
        """
        self._sweep()
        if key not in self._items:
            raise KeyError(key)
        value = self._decoded(key, *self._items[key])
        if isinstance(value, DecodeError):
            raise value
        return value

    @overload
    def get(self, key: str, default: None = None) -> V | None: ...
    @overload
    def get(self, key: str, default: V | D) -> V | D: ...
    def get(self, key: str, default: object = None) -> object:
        """The value of ``key``, or ``default``. O(1)."""
        try:
            return self[key]
        except KeyError:
            return default

    def priority(self, key: str) -> float | None:
        """The priority of ``key``, or ``None`` if it holds no item. O(1)."""
        self._sweep()
        found = self._items.get(_key(key))
        return None if found is None else found[1]

    def contains(self, key: str) -> bool:
        """Whether ``key`` holds an item (``key in s``); ``TypeError`` for a key not a str. O(1)."""
        checked = _key(key)
        self._sweep()
        return checked in self._items

    def size(self) -> int:
        """The number of items (``len(s)``). O(1)."""
        self._sweep()
        return len(self._items)

    def stats(self) -> StreamStats:
        """A snapshot at ``clock()``, after ended cool-downs, as ``PriorityStream.stats``. O(N)."""
        self._sweep()
        priorities = [priority for _, priority in self._items.values()]
        return StreamStats(
            at=self._clock(),
            dead_letters=len(self._dead),
            items=len(self._items),
            gated=len(self._gated),
            cooling=len(self._cooling),
            highest_priority=max(priorities) if priorities else None,
        )

    def __contains__(self, key: object) -> bool:
        """``contains``: whether ``key`` holds an item; ``False`` for a key that is not a str."""
        return isinstance(key, str) and self.contains(key)

    def __len__(self) -> int:
        """``size``: the number of items. O(1)."""
        return self.size()

    def __iter__(self) -> Iterator[str]:
        """Keys, highest priority first, from a snapshot. O(N log N)."""
        self._sweep()
        return iter(self._ordered())

    def keys(self) -> KeysView[str]:
        """Keys in priority order. O(N log N) to iterate."""
        return KeysView(self)

    def values(self) -> ValuesView[V]:
        """Values in priority order; undecodable ones moved aside. O(N log N) to iterate."""
        return _Values(self)

    def items(self) -> ItemsView[str, V]:
        """``(key, value)`` pairs in priority order; undecodable ones moved aside. O(N log N)."""
        return _Items(self)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> list[StreamDeadLetter]:
        """The values that did not decode, oldest first (then by key and value). O(D log D).

        Values written through the model always decode; a test may store
        other bytes in it to see them land here.
        """
        return sorted(self._dead.values(), key=_letter_order)

    def requeue_dead(self) -> int:
        """Put every dead letter back with its key and priority, gate and cool-down lifted.

        Of the letters of a key that holds no item, the oldest goes back and
        the others stay; a key that holds an item again keeps it, and its
        letters stay. O(D log D).
        """
        self._sweep()
        back: dict[str, StreamDeadLetter] = {}
        for letter in sorted(self._dead.values(), key=_letter_order):
            if letter.key not in self._items and letter.key not in back:
                back[letter.key] = letter
        for key, letter in back.items():
            del self._dead[key, letter.raw]
            self._gated.discard(key)
            self._cooling.pop(key, None)
            self._items[key] = (letter.raw, letter.score)
        return len(back)

    def clear_dead_letters(self) -> int:
        """Delete the dead letters; 1 if there were any. O(1)."""
        had = int(bool(self._dead))
        self._dead.clear()
        return had

    # --- cool-downs and gates ------------------------------------------------------

    def cooling(self) -> dict[str, datetime]:
        """The keys cooling down with their deadlines (aware UTC), soonest first. O(C log C)."""
        self._sweep()
        ordered = sorted(self._cooling.items(), key=lambda kv: (kv[1], kv[0].encode()))
        return {key: _utc(deadline) for key, deadline in ordered}

    def gated(self) -> set[str]:
        """The gated keys. O(G)."""
        return set(self._gated)

    def ungate(self, key: str) -> bool:
        """Lift the gate of ``key``; whether it was gated. O(1)."""
        checked = _key(key)
        gated = checked in self._gated
        self._gated.discard(checked)
        return gated

    def cool_down(self, key: str, until: datetime | timedelta | float) -> datetime:
        """Make ``key`` cool down until ``until``; the deadline. O(1).

        When it ends (at once, for a time not in the future) the key's item, if any, leaves.
        ``ValueError`` (nothing changed) for a key that holds an item not cooling down.
        """
        checked = _key(key)
        now = self._clock()
        deadline = _when(until, now, "until")
        self._sweep()
        if checked in self._items and checked not in self._cooling:
            raise ValueError(_HOLDS_AN_ITEM.format(key=checked))
        self._cooling[checked] = deadline
        if deadline <= now:
            self._sweep()
        return _utc(deadline)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, serializer={self._serializer!r})"


class _Values(ValuesView[V]):
    def __init__(self, stream: MemoryPriorityStream[V]) -> None:
        super().__init__(stream)
        self._stream = stream

    def __iter__(self) -> Iterator[V]:
        walked = self._stream._walk()  # pyright: ignore[reportPrivateUsage]  (its own view)
        return (value for _, value in walked)


class _Items(ItemsView[str, V]):
    def __init__(self, stream: MemoryPriorityStream[V]) -> None:
        super().__init__(stream)
        self._stream = stream

    def __iter__(self) -> Iterator[tuple[str, V]]:
        return iter(self._stream._walk())  # pyright: ignore[reportPrivateUsage]  (see _Values)
