"""``redset.sets``: redset's three set classes, each a thin layer over its typedset twin.

Each method is one call of the typedset set it wraps (``typed``), so every
read-then-write is that set's atomic script; this module only adapts the
calling conventions (positional ``scorer``/``serializer``, ``add`` returning
the score, ``discard``/``clear`` returning ``bool``). Scores are chosen here,
as redset chose them: the explicit one, else ``scorer(item)``, else 0
(``SortedSet``) or the client's ``time.time()`` (the time sets); so ``add``
returns exactly the score it stored.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, overload

from typing_extensions import TypeVar

from ... import sorted_set as typed_sets
from ...errors import DecodeError
from ...protocols import SyncClient
from ._codec import RedsetCodec
from .interfaces import Serializer

__all__ = ["ScheduledSet", "SortedSet", "TimeSortedSet"]

#: The item type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
log = logging.getLogger(__name__)


class SortedSet(Generic[T]):
    """redset's ``SortedSet``: items ordered by score, lowest popped first, shared through Redis.

    ``SortedSet(redis_client, name, scorer=None, serializer=None)``, the
    arguments positional or by name as in redset. Without a serializer items
    are stored as text (``str``, ``bytes``, ``int`` and ``float`` as redis-py
    sends them) and read back as ``str``. ``lock_timeout`` and
    ``lock_expires`` are accepted and ignored with a ``DeprecationWarning``.

    >>> s = SortedSet(redis.Redis(), "jobs")                # doctest: +SKIP
    >>> s.add("b", 2), s.add("a")                           # doctest: +SKIP
    (2, 0)
    >>> s.pop(), "b" in s, len(s)                           # doctest: +SKIP
    ('a', True, 1)

    Every method is one round trip (``clear`` two) on the typedset set in
    :attr:`typed`, with its costs: O(log N) for ``add``, ``pop``, ``peek``,
    ``discard``; O(1) for ``in``, ``len``, ``score``; O(n log N) for
    ``take(n)``.
    """

    _kind: ClassVar[type[typed_sets.SortedSet[Any]]] = typed_sets.SortedSet

    @overload
    def __init__(
        self: SortedSet[str],
        redis_client: SyncClient,
        name: str,
        scorer: Callable[[str], float] | None = None,
        serializer: None = None,
        lock_timeout: float | None = None,
        lock_expires: float | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        redis_client: SyncClient,
        name: str,
        scorer: Callable[[T], float] | None = None,
        *,
        serializer: Serializer[T],
        lock_timeout: float | None = None,
        lock_expires: float | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        redis_client: SyncClient,
        name: str,
        scorer: Callable[[T], float] | None,
        serializer: Serializer[T],
        lock_timeout: float | None = None,
        lock_expires: float | None = None,
    ) -> None: ...
    def __init__(
        self,
        redis_client: SyncClient,
        name: str,
        scorer: Callable[[Any], float] | None = None,
        serializer: object = None,
        lock_timeout: float | None = None,
        lock_expires: float | None = None,
    ) -> None:
        if lock_timeout is not None or lock_expires is not None:
            warnings.warn(
                "lock_timeout and lock_expires are ignored: typedset takes no lock"
                " (each operation is one atomic script on the server)",
                DeprecationWarning,
                stacklevel=2,
            )
        if scorer is not None and not callable(scorer):  # a serializer in the scorer's place
            raise TypeError(f"scorer must be callable, not {type(scorer).__name__}")
        codec: RedsetCodec[T] = RedsetCodec(serializer)
        self._redis = redis_client
        self._serializer = serializer
        self._set: typed_sets.SortedSet[T] = self._kind(redis_client, name, serializer=codec)
        #: What ``add`` scores an item with when given no score (redset's attribute).
        self.scorer: Callable[[T], float] = scorer or self._default_score

    def _default_score(self, item: object) -> float:
        """The score of an item added without one when there is no scorer: 0."""
        return 0

    @property
    def name(self) -> str:
        """The key of the Redis ZSET holding the items. No I/O; O(1)."""
        return self._set.name

    @property
    def redis(self) -> SyncClient:
        """The client the set was built with (redset's attribute). No I/O; O(1)."""
        return self._redis

    @property
    def serializer(self) -> object:
        """The serializer given to the constructor (``None``: text). No I/O; O(1)."""
        return self._serializer

    @property
    def typed(self) -> typed_sets.SortedSet[T]:
        """The typedset set underneath, for what redset lacks (``claim``, iteration, ...).

        It shares the keys and the codec: ``s.typed.claim()`` hands out the
        same items ``s.pop()`` would. No I/O; O(1).
        """
        return self._set

    def __repr__(self) -> str:
        """``<SortedSet name='jobs'>``: no I/O (redset's repr also counted the items)."""
        return f"<{type(self).__name__} name={self.name!r}>"

    __str__ = __repr__

    def __len__(self) -> int:
        """How many items the set holds, a ``ScheduledSet``'s future ones too.

        One round trip; O(1).
        """
        return self._set.size()

    def __contains__(self, item: object) -> bool:
        """Whether ``item`` is in the set (due or not). One round trip; O(1).

        An item the serializer cannot encode is not in the set: ``False``.
        """
        return item in self._set

    def add(self, item: T, score: float | None = None) -> float:
        """Add ``item``, or move it to its new score if present; return the score stored.

        The score is ``score`` when given (0 included), else ``scorer(item)``,
        else 0 for a ``SortedSet`` and the client's ``time.time()`` for the
        time sets. One round trip; O(log N).
        """
        chosen = score if score is not None else self.scorer(item)
        self._set.add(item, chosen)
        return chosen

    def pop(self) -> T:
        """Remove and return the lowest-scored item (a ``ScheduledSet``'s due one).

        ``KeyError`` when there is none. An item that cannot be decoded is
        logged, moved to the dead-letter store (``typed.dead_letters()``),
        and ``KeyError`` is raised, as redset raised it. One round trip; O(log N).
        """
        try:
            return self._set.pop()
        except DecodeError as exc:
            log.exception("Could not deserialize %r", exc.raw)
            raise KeyError(f"{self.name}: the next item could not be decoded") from exc

    def take(self, num: int) -> list[T]:
        """Remove and return up to ``num`` items in score order; ``[]`` for ``num < 1``.

        Items that cannot be decoded are left out (moved to the dead-letter
        store). One round trip; O(num log N).
        """
        return self._set.take(int(num))

    def clear(self) -> bool:
        """Remove every item; whether there was any. Two round trips; O(N).

        The answer is read just before the items are removed: an item added
        in between is removed too, but not counted.
        """
        had_items = self._set.size() > 0
        self._set.clear()
        return had_items

    def discard(self, item: T) -> bool:
        """Remove ``item``; whether it was there. One round trip; O(log N)."""
        try:
            self._set.remove(item)
        except KeyError:
            return False
        return True

    def peek(self, position: int = 0) -> T:
        """The item at ``position`` in score order, left in place; ``KeyError`` if none.

        A ``ScheduledSet`` counts only due items. One round trip; O(log N).
        """
        return self._set.peek(position)

    def score(self, item: T) -> float | None:
        """The score of ``item``, or ``None`` if it is not in the set. One round trip; O(1)."""
        return self._set.score(item)

    def peek_score(self) -> float | None:
        """The score of the next item ``pop`` would return, or ``None``.

        One round trip; O(log N).
        """
        return self._set.peek_score()


class TimeSortedSet(SortedSet[T]):
    """redset's ``TimeSortedSet``: scored by the client's ``time.time()`` by default, oldest first.

    >>> q = TimeSortedSet(redis.Redis(), "inbox")           # doctest: +SKIP
    >>> q.add("first"); q.add("second"); q.pop()            # doctest: +SKIP
    'first'

    Costs are :class:`SortedSet`'s.
    """

    if TYPE_CHECKING:  # mypy checks an overload's ``self`` only in the class declaring it

        @overload
        def __init__(
            self: TimeSortedSet[str],
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[str], float] | None = None,
            serializer: None = None,
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[T], float] | None = None,
            *,
            serializer: Serializer[T],
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[T], float] | None,
            serializer: Serializer[T],
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _kind = typed_sets.TimeSortedSet

    def _default_score(self, item: object) -> float:
        """The client's ``time.time()``, as in redset."""
        return time.time()


class ScheduledSet(TimeSortedSet[T]):
    """redset's ``ScheduledSet``: ``pop``, ``take``, ``peek`` and ``peek_score`` see due items only.

    An item is due once its score is at most the current time, read on the
    Redis server's clock; ``len``, ``in``, ``score`` and ``discard`` see
    every item, and :meth:`available` counts the due ones.

    >>> q = ScheduledSet(redis.Redis(), "reminders")        # doctest: +SKIP
    >>> q.add("later", time.time() + 60); q.add("now")      # doctest: +SKIP
    >>> q.pop(), q.available(), len(q)                      # doctest: +SKIP
    ('now', 0, 1)

    Costs are :class:`SortedSet`'s.
    """

    if TYPE_CHECKING:  # mypy checks an overload's ``self`` only in the class declaring it

        @overload
        def __init__(
            self: ScheduledSet[str],
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[str], float] | None = None,
            serializer: None = None,
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[T], float] | None = None,
            *,
            serializer: Serializer[T],
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        @overload
        def __init__(
            self,
            redis_client: SyncClient,
            name: str,
            scorer: Callable[[T], float] | None,
            serializer: Serializer[T],
            lock_timeout: float | None = None,
            lock_expires: float | None = None,
        ) -> None: ...
        def __init__(self, *args: object, **kwargs: object) -> None: ...

    _kind = typed_sets.ScheduledSet

    @property
    def typed(self) -> typed_sets.ScheduledSet[T]:
        """The typedset ``ScheduledSet`` underneath (see :attr:`SortedSet.typed`). No I/O; O(1)."""
        return cast("typed_sets.ScheduledSet[T]", self._set)

    def available(self) -> int:
        """How many items are due now (``len`` counts the future ones too).

        One round trip; O(log N).
        """
        return self.typed.available()
