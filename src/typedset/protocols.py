"""The small interfaces typedset is written against: serializers, scorers, clients.

Any object with the right methods fits; nothing here needs subclassing. The
``json`` module is a :class:`Serializer`, and so is any codec in
:mod:`typedset.codecs`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, Protocol, TypeAlias, TypeVar

__all__ = [
    "Anchor",
    "AsyncClient",
    "OnDuplicate",
    "Reschedule",
    "Scorer",
    "Serializer",
    "SyncClient",
    "T",
]

T = TypeVar("T")

#: What ``add`` does with an item that is already present: ``"replace"`` its
#: score (redset's behaviour), ``"keep"`` the first score, keep the ``"min"``
#: or the ``"max"`` of the two.
OnDuplicate = Literal["replace", "keep", "min", "max"]

#: When a periodic item's next run falls (``ScheduledSet.add_periodic``):
#: ``"due"``, the previous due time plus the interval (missed runs skipped:
#: the first such time after now), or ``"now"``, server time plus the interval.
Anchor = Literal["due", "now"]

#: When a periodic item handed out by ``claim`` gets its next run:
#: ``"claim"`` (as it is claimed) or ``"ack"`` (when its lease is acked).
Reschedule = Literal["claim", "ack"]

#: A value redis-py sends as one command argument.
Arg = bytes | str | int | float


class Serializer(Protocol[T]):
    """Turns items into bytes and back. ``dumps`` may return ``str`` (sent as UTF-8).

    Equal items must encode to equal bytes: membership and deduplication
    compare the encoded form.
    """

    def dumps(self, obj: T, /) -> bytes | str:
        """The bytes stored for ``obj``; equal items give equal bytes. Called once per item sent."""
        ...

    def loads(self, data: bytes, /) -> T:
        """The item ``data`` encodes: ``loads(dumps(x)) == x``. Called once per item read."""
        ...


#: Computes the score of an item that is added without an explicit one:
#: ``scorer(item) -> float``. A plain ``Callable`` alias (not a callable
#: protocol), so mypy infers a lambda's parameter from the element type.
Scorer: TypeAlias = Callable[[T], float]


class _Encoder(Protocol):
    @property
    def decode_responses(self) -> bool: ...


class SyncPipeline(Protocol):
    """The part of a redis-py pipeline typedset uses."""

    def execute_command(self, *args: Arg) -> object: ...

    def execute(self, raise_on_error: bool = ...) -> Sequence[object]: ...


class SyncClient(Protocol):
    """A redis-py or valkey-py ``Redis``/``RedisCluster`` (blocking)."""

    def execute_command(self, *args: Arg, **options: object) -> object: ...

    def pipeline(self, transaction: bool = ..., shard_hint: str | None = ...) -> SyncPipeline: ...

    def get_encoder(self) -> _Encoder: ...


class AsyncPipeline(Protocol):
    """The part of a redis-py asyncio pipeline typedset uses."""

    def execute_command(self, *args: Arg) -> object: ...

    def execute(self, raise_on_error: bool = ...) -> Awaitable[Sequence[object]]: ...


class AsyncClient(Protocol):
    """A ``redis.asyncio`` (or valkey-py asyncio) ``Redis``/``RedisCluster``."""

    def execute_command(self, *args: Arg, **options: object) -> Awaitable[object]: ...

    def pipeline(self, transaction: bool = ..., shard_hint: str | None = ...) -> AsyncPipeline: ...

    def get_encoder(self) -> _Encoder: ...
