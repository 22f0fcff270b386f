"""good-redis's ``Redis`` and ``AsyncRedis``: redis-py clients with the ``ps*`` methods.

Each ``ps*`` method hands the call to the :class:`~typedset.PriorityStream`
(or :class:`~typedset.aio.AsyncPriorityStream`) of that name on this client,
through its public API only; the helpers below turn good-redis's arguments
into typedset's and typedset's results into good-redis's, so the two twins
differ only by ``await``. Values are stored as the bytes redis-py would send
for them (``str`` as UTF-8, numbers as their ``repr``), with
:class:`~typedset.BytesCodec`, and come back as those bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, TypeVar, cast, overload

import redis
import redis.asyncio
from typing_extensions import Self

from ...codecs import BytesCodec
from ...priority_stream import AsyncPriorityStream, PriorityStream

__all__ = ["AsyncRedis", "Key", "Redis", "Value"]

#: What good-redis takes as a key: stored as text (bytes must be UTF-8).
Key = str | bytes | int | float
#: What good-redis takes as a value: stored as the bytes redis-py would send.
Value = str | bytes | int | float

S = TypeVar("S")

#: good-redis's default cool-down for pulled keys: 24 hours.
ONE_DAY = timedelta(minutes=24 * 60)


def _key(key: object) -> str:
    """A good-redis key as typedset's ``str`` key, encoded as redis-py would encode it."""
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        try:
            return key.decode()
        except UnicodeDecodeError:
            raise ValueError(f"a key given as bytes must be UTF-8, not {key!r}") from None
    if isinstance(key, int | float) and not isinstance(key, bool):
        return repr(key)
    raise TypeError(f"a key must be str, bytes, int or float, not {type(key).__name__}")


def _value(value: object) -> bytes:
    """A good-redis value as the bytes redis-py would send for it."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value).encode()
    raise TypeError(f"a value must be str, bytes, int or float, not {type(value).__name__}")


def _items(items: Iterable[tuple[Key, Value, float]]) -> list[tuple[str, bytes, float]]:
    return [(_key(key), _value(value), score) for key, value, score in items]


def _cool_down(expire_at: timedelta | datetime) -> dict[str, Any]:
    """``pull``'s ``expire_in``/``expire_at`` for good-redis's ``expire_at``.

    A naive datetime is local time, as good-redis's ``.timestamp()`` reads it;
    a negative timedelta ends the cool-down at once.
    """
    if isinstance(expire_at, timedelta):
        return {"expire_in": max(expire_at, timedelta(0))}
    if isinstance(cast(object, expire_at), datetime):
        aware = expire_at if expire_at.tzinfo is not None else expire_at.astimezone()
        return {"expire_at": aware}
    raise TypeError(f"expire_at must be a timedelta or datetime, not {type(expire_at).__name__}")


def _nothing_to_pull(count: int) -> bool:
    """good-redis's ``pspull`` of fewer than one item returns ``{}``; typedset refuses it."""
    given = cast(object, count)  # an untyped caller's: typedset's pull refuses a non-int
    return not isinstance(given, bool) and isinstance(given, int) and given < 1


def _added(priority: float | None) -> float:
    """good-redis answers 0 for an add its gate or cool-down refused."""
    return 0.0 if priority is None else priority


def _raw(key: str) -> bytes:
    """A key as the bytes good-redis's ``ZRANGE`` replies give."""
    return key.encode("utf-8", "surrogateescape")


def _ascending(keys: Sequence[str], desc: bool) -> list[bytes]:
    """Keys given highest priority first, as bytes in ``ZRANGE``'s order (``desc``: reversed)."""
    return [_raw(key) for key in (keys if desc else reversed(keys))]


def _scored(
    keys: Sequence[str], priorities: Sequence[float | None], desc: bool
) -> list[tuple[bytes, float]]:
    pairs = [(_raw(k), p) for k, p in zip(keys, priorities, strict=True) if p is not None]
    return pairs if desc else pairs[::-1]


def _stream(owner: object, name: str, make: Callable[[str], S]) -> S:
    """The stream ``name`` of ``owner``, made once per client and name."""
    streams: dict[str, S] = vars(owner).setdefault("_typedset_streams", {})
    if name not in streams:
        streams[name] = make(name)
    return streams[name]


class Redis(redis.Redis):
    """good-redis's ``Redis``: a redis-py client with prioritized-stream commands.

    Every ``ps*`` method is a :class:`~typedset.PriorityStream` operation on
    the stream ``name`` (values stored with :class:`~typedset.BytesCodec`),
    so each is one atomic script on the server's clock; everything else is
    redis-py's. Construct it as a ``redis.Redis`` (``Redis.from_url(url)``)
    or have :class:`RedisProvider` inject it. The stream's keys are
    typedset's (``typedset migrate-good-redis`` converts good-redis's).

    >>> r = Redis.from_url("redis://localhost:6379/0")       # doctest: +SKIP
    >>> r.psadd("tasks", "t1", "send mail", 10)              # doctest: +SKIP
    10.0
    >>> r.pspull("tasks")                                     # doctest: +SKIP
    {'t1': b'send mail'}

    Differences from good-redis (where typedset follows good-redis's
    documentation rather than its code, or fixes a defect):

    * ``pspull(purge=False)`` lowers each kept item's priority by
      :attr:`ps_decay` (1.0), as documented, instead of setting it to -1.
    * ``pspull(gate=True)`` gates kept items too (good-redis gates only purged ones).
    * ``psdeletebelowthreshold`` removes priorities strictly below the
      threshold (good-redis's code removes equal ones too).
    * Cool-downs (``expire_at``) end on the server's clock, not the client's,
      and every operation first ends those that are over (with the items
      ``pspull(purge=False)`` kept until then), so ``psexpire`` is never needed.
    * No ``:ps:keys`` registry: ``psexpire()`` sweeps the streams this client
      has used, and returns how many cool-downs ended (good-redis: ``None``).
    * ``psincrement`` of a key without an item returns ``None`` and creates
      nothing (good-redis adds a priority without a value, that ``pspull`` drops).
    * ``psadd`` returns the new priority as a float (good-redis truncates it
      to an int), 0.0 when refused; ``psaddmany`` returns one such result per
      item (good-redis's blocking client puts two counts first with ``readd``).
    * ``psdecrement_all`` returns how many items changed (good-redis: 1).
    * Values and the keys of ``pskeys``/``psdeletebelowthreshold`` are always
      bytes, whatever ``decode_responses`` says; values are bytes, ``str``,
      ``int`` or ``float`` (a bool or ``None`` is a ``TypeError`` at the call,
      as in redis-py). ``pskeys`` takes ``desc`` and ``withscores`` only.
    * Each ``ps*`` call is one atomic script: ``psaddmany``,
      ``psdeletebelowthreshold`` and ``psdelete`` are no longer pipelines of
      separate commands.
    * A stream name typedset refuses (one with a ``}`` but no hash tag, or
      another collection's key) is a ``ValueError`` at the call.
    """

    #: How much ``pspull(purge=False)`` lowers a kept item's priority.
    ps_decay: ClassVar[float] = 1.0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Self:
        """redis-py's ``Redis.from_url``, typed as making this class. No I/O."""
        # redis-py leaves from_url's **kwargs unannotated and types it as making a redis.Redis
        made = super().from_url(url, **kwargs)  # pyright: ignore[reportUnknownMemberType]
        return cast("Self", made)

    def _ps(self, name: str) -> PriorityStream[bytes]:
        def make(name: str) -> PriorityStream[bytes]:
            return PriorityStream(self, name, serializer=BytesCodec(), decay=self.ps_decay)

        return _stream(self, name, make)

    def psadd(
        self, name: str, key: Key, value: Value, score: float = 1, readd: bool = False
    ) -> float:
        """Store ``value`` under ``key`` and raise its priority by ``score``; the new priority.

        0.0 (nothing written) while the key is gated or cooling down, unless
        ``readd=True``, which lifts both first. One round trip; O(log N).
        """
        return _added(self._ps(name).add(_key(key), _value(value), score, readd=readd))

    def psaddmany(
        self, name: str, items: Iterable[tuple[Key, Value, float]], readd: bool = False
    ) -> list[float]:
        """``psadd`` for each ``(key, value, score)``; one result each, in order.

        One script: one round trip, atomic; O(M log N) for M items.
        """
        added = self._ps(name).add_many(_items(items), readd=readd)
        return [_added(priority) for priority in added]

    def pspull(
        self,
        name: str,
        count: int = 1,
        purge: bool = True,
        gate: bool = False,
        expire_at: timedelta | datetime = ONE_DAY,
    ) -> dict[str, bytes]:
        """Take up to ``count`` items, highest priority first, as ``{key: value bytes}``.

        ``purge=False`` keeps them, priority lowered by :attr:`ps_decay`;
        ``gate=True`` bars their keys until a ``readd``; every pulled key cools
        down (re-adds refused) until ``expire_at`` (a datetime, or a timedelta
        from now). ``count`` below 1 pulls nothing (no I/O). One round trip;
        O(count log N).
        """
        if _nothing_to_pull(count):
            return {}
        return self._ps(name).pull(count, purge=purge, gate=gate, **_cool_down(expire_at))

    @overload
    def pskeys(
        self, name: str, *, desc: bool = False, withscores: Literal[False] = False
    ) -> list[bytes]: ...
    @overload
    def pskeys(
        self, name: str, *, desc: bool = False, withscores: Literal[True]
    ) -> list[tuple[bytes, float]]: ...
    def pskeys(
        self, name: str, *, desc: bool = False, withscores: bool = False
    ) -> list[bytes] | list[tuple[bytes, float]]:
        """Every key, lowest priority first (``desc=True``: highest first), as bytes.

        ``withscores=True`` pairs each with its priority. N // 500 + 1 round
        trips, O(N); with scores, one more round trip per key.
        """
        stream = self._ps(name)
        keys = list(stream)
        if withscores:
            return _scored(keys, [stream.priority(key) for key in keys], desc)
        return _ascending(keys, desc)

    def psvalues(self, name: str) -> dict[str, bytes]:
        """Every ``{key: value bytes}``, highest priority first.

        N // 500 + 1 round trips; O(N).
        """
        return dict(self._ps(name).items())

    def psdelete(self, name: str) -> None:
        """Delete the stream: every item, gate and cool-down. One round trip; O(N)."""
        self._ps(name).clear()

    def psincrement(self, name: str, key: Key, score: float) -> float | None:
        """Raise the priority of ``key`` by ``score``; the new priority, ``None`` if it has no item.

        One round trip; O(log N).
        """
        try:
            return self._ps(name).increment(_key(key), score)
        except KeyError:
            return None

    def psdeletebelowthreshold(
        self, name: str, threshold: float, gate: bool = False
    ) -> list[bytes]:
        """Remove the items with priority strictly below ``threshold``; their keys, lowest first.

        ``gate=True`` bars those keys until a ``readd``. One round trip;
        O((M + 1) log N) for M items removed.
        """
        return _ascending(self._ps(name).delete_below(threshold, gate=gate), desc=False)

    def pslen(self, name: str) -> int:
        """The number of items. One round trip; O(1)."""
        return len(self._ps(name))

    def psget(self, name: str, key: Key) -> bytes | None:
        """The value bytes of ``key``, or ``None``. One round trip; O(1)."""
        return self._ps(name).get(_key(key))

    def psdecrement_all(self, name: str, decrement: float) -> int:
        """Lower every priority by ``decrement``; how many items changed.

        One round trip, atomic; O(N log N).
        """
        return self._ps(name).decrement_all(decrement)

    def psexpire(self) -> int:
        """End the cool-downs that are over in every stream this client used; how many.

        Never needed: every operation does it first. One round trip per
        stream; O(E log N) for E ended cool-downs.
        """
        streams: dict[str, PriorityStream[bytes]] = vars(self).get("_typedset_streams", {})
        return sum(stream.expire() for stream in list(streams.values()))


class AsyncRedis(redis.asyncio.Redis):
    """good-redis's ``AsyncRedis``: :class:`Redis`'s ``ps*`` methods as coroutines.

    A ``redis.asyncio.Redis`` whose ``ps*`` methods are
    :class:`~typedset.aio.AsyncPriorityStream` operations; the same
    semantics, costs and differences from good-redis as :class:`Redis`.
    ``psadd`` and ``psaddmany`` also take good-redis's ``with_decay`` flag,
    and ignore it (it fed good-redis's ``:ps:decay`` registry).

    >>> r = AsyncRedis.from_url("redis://localhost:6379/0")  # doctest: +SKIP
    >>> await r.psadd("tasks", "t1", "send mail", 10)        # doctest: +SKIP
    10.0
    """

    #: How much ``pspull(purge=False)`` lowers a kept item's priority.
    ps_decay: ClassVar[float] = 1.0

    @classmethod
    def from_url(
        cls,
        url: str,
        single_connection_client: bool = False,
        auto_close_connection_pool: bool | None = None,
        **kwargs: Any,
    ) -> Self:
        """redis-py's ``Redis.from_url``, typed as making this class. No I/O."""
        made = super().from_url(  # pyright: ignore[reportUnknownMemberType]  (see Redis)
            url, single_connection_client, auto_close_connection_pool, **kwargs
        )
        return cast("Self", made)

    def _ps(self, name: str) -> AsyncPriorityStream[bytes]:
        def make(name: str) -> AsyncPriorityStream[bytes]:
            return AsyncPriorityStream(self, name, serializer=BytesCodec(), decay=self.ps_decay)

        return _stream(self, name, make)

    async def psadd(
        self,
        name: str,
        key: Key,
        value: Value,
        score: float = 1,
        readd: bool = False,
        with_decay: bool = False,
    ) -> float:
        """:meth:`Redis.psadd`. One round trip; O(log N)."""
        return _added(await self._ps(name).add(_key(key), _value(value), score, readd=readd))

    async def psaddmany(
        self,
        name: str,
        items: Iterable[tuple[Key, Value, float]],
        readd: bool = False,
        with_decay: bool = False,
    ) -> list[float]:
        """:meth:`Redis.psaddmany`. One round trip, atomic; O(M log N)."""
        added = await self._ps(name).add_many(_items(items), readd=readd)
        return [_added(priority) for priority in added]

    async def pspull(
        self,
        name: str,
        count: int = 1,
        purge: bool = True,
        gate: bool = False,
        expire_at: timedelta | datetime = ONE_DAY,
    ) -> dict[str, bytes]:
        """:meth:`Redis.pspull`. One round trip; O(count log N)."""
        if _nothing_to_pull(count):
            return {}
        return await self._ps(name).pull(count, purge=purge, gate=gate, **_cool_down(expire_at))

    @overload
    async def pskeys(
        self, name: str, *, desc: bool = False, withscores: Literal[False] = False
    ) -> list[bytes]: ...
    @overload
    async def pskeys(
        self, name: str, *, desc: bool = False, withscores: Literal[True]
    ) -> list[tuple[bytes, float]]: ...
    async def pskeys(
        self, name: str, *, desc: bool = False, withscores: bool = False
    ) -> list[bytes] | list[tuple[bytes, float]]:
        """:meth:`Redis.pskeys`. N // 500 + 1 round trips (with scores, one more per key); O(N)."""
        stream = self._ps(name)
        keys = await stream.keys()
        if withscores:
            return _scored(keys, [await stream.priority(key) for key in keys], desc)
        return _ascending(keys, desc)

    async def psvalues(self, name: str) -> dict[str, bytes]:
        """:meth:`Redis.psvalues`. N // 500 + 1 round trips; O(N)."""
        return dict(await self._ps(name).items())

    async def psdelete(self, name: str) -> None:
        """:meth:`Redis.psdelete`. One round trip; O(N)."""
        await self._ps(name).clear()

    async def psincrement(self, name: str, key: Key, score: float) -> float | None:
        """:meth:`Redis.psincrement`. One round trip; O(log N)."""
        try:
            return await self._ps(name).increment(_key(key), score)
        except KeyError:
            return None

    async def psdeletebelowthreshold(
        self, name: str, threshold: float, gate: bool = False
    ) -> list[bytes]:
        """:meth:`Redis.psdeletebelowthreshold`. One round trip; O((M + 1) log N)."""
        return _ascending(await self._ps(name).delete_below(threshold, gate=gate), desc=False)

    async def pslen(self, name: str) -> int:
        """:meth:`Redis.pslen`. One round trip; O(1)."""
        return await self._ps(name).size()

    async def psget(self, name: str, key: Key) -> bytes | None:
        """:meth:`Redis.psget`. One round trip; O(1)."""
        return await self._ps(name).get(_key(key))

    async def psdecrement_all(self, name: str, decrement: float) -> int:
        """:meth:`Redis.psdecrement_all`. One round trip, atomic; O(N log N)."""
        return await self._ps(name).decrement_all(decrement)

    async def psexpire(self) -> int:
        """:meth:`Redis.psexpire`. One round trip per stream used; O(E log N)."""
        streams: dict[str, AsyncPriorityStream[bytes]] = vars(self).get("_typedset_streams", {})
        return sum([await stream.expire() for stream in list(streams.values())])
