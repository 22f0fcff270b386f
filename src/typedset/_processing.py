"""Processing blocks: ``with s.processing(ttl=...) as item:`` around one lease.

``Processing`` (blocking) and ``AsyncProcessing`` (``async with``) claim one
item on entry, ack it on a normal exit and release it on an exception. They
work with any collection that has ``ack``, ``release`` and ``extend`` (the
sets and their in-memory models), so they know nothing of Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Generic, Protocol

from typing_extensions import TypeVar

from ._set_ops import Lease

__all__ = ["AsyncProcessing", "Processing"]

#: The element type; ``str`` when no serializer says otherwise.
T = TypeVar("T", default=str)
Owner = TypeVar("Owner", bound="_Named")
log = logging.getLogger("typedset")


class _Named(Protocol):
    """A collection, as far as a processing block's warning needs it."""

    @property
    def name(self) -> str: ...


class _LeaseOwner(_Named, Protocol[T]):
    """What a blocking ``processing`` block needs of its collection (a set or its model)."""

    def ack(self, lease: Lease[T]) -> bool: ...
    def release(self, lease: Lease[T], *, delay: float | None = None) -> bool: ...
    def extend(self, lease: Lease[T], ttl: float) -> bool: ...


class _AsyncLeaseOwner(_Named, Protocol[T]):
    """What an ``async with`` processing block needs of its collection."""

    async def ack(self, lease: Lease[T]) -> bool: ...
    async def release(self, lease: Lease[T], *, delay: float | None = None) -> bool: ...
    async def extend(self, lease: Lease[T], ttl: float) -> bool: ...


class _Block(Generic[Owner, T]):
    """A processing block's state: its collection, its ttl, and the lease while inside."""

    def __init__(self, owner: Owner, ttl: float) -> None:
        self._owner = owner
        self._ttl = ttl
        self._lease: Lease[T] | None = None

    @property
    def lease(self) -> Lease[T]:
        """The lease held inside the block; ``RuntimeError`` outside it. No I/O."""
        if self._lease is None:
            raise RuntimeError("processing(): no lease outside the with block")
        return self._lease

    def _ttl_or(self, ttl: float | None) -> float:
        return self._ttl if ttl is None else ttl

    def _hold(self, lease: Lease[T]) -> T:
        self._lease = lease
        return lease.item

    def _entering(self) -> None:
        if self._lease is not None:
            raise RuntimeError(
                "processing(): this block already holds a lease; call processing() again"
            )

    def _leaving(self) -> Lease[T]:
        lease, self._lease = self.lease, None
        return lease

    def _lost(self, lease: Lease[T]) -> None:
        log.warning(
            "typedset: %s: the lease of %r ended before its work did; the item may have been "
            "delivered again (extend long jobs' leases)",
            self._owner.name,
            lease.item,
        )


class Processing(_Block["_LeaseOwner[T]", T]):
    """What ``SortedSet.processing`` returns: a context manager around one lease.

    ``with job as item:`` claims the item; the block's normal end acks it, an
    exception (any, ``KeyboardInterrupt`` included) releases it and goes on
    propagating. If the lease ended before the block did (the job outlived
    its ``ttl`` and the item may have gone to another consumer), the ack
    returns ``False`` and a warning is logged: keep long jobs' leases with
    :meth:`extend`.

    >>> job = s.processing(ttl=30)                          # doctest: +SKIP
    >>> with job as item:                                   # doctest: +SKIP
    ...     step_one(item)
    ...     job.extend(30)
    ...     step_two(item)

    On a Redis-backed set, entering the block is one round trip (a claim),
    leaving it one more (an ack or a release), each O(log N); ``extend`` is
    one round trip, O(log L) for L leases held.
    """

    def __init__(self, owner: _LeaseOwner[T], ttl: float, claim: Callable[[], Lease[T]]) -> None:
        super().__init__(owner, ttl)
        self._claim = claim

    def extend(self, ttl: float | None = None) -> bool:
        """Make the lease end ``ttl`` (default: the ``ttl`` given) from now; ``False`` if lost.

        The set's ``extend`` of the block's lease: one round trip, O(log L).
        ``RuntimeError`` outside the block.
        """
        return self._owner.extend(self.lease, self._ttl_or(ttl))

    def __enter__(self) -> T:
        """Claim one item and return it: the set's ``processing`` says how and at what cost.

        ``KeyError`` when nothing is ready; ``RuntimeError`` if this block
        already holds a lease.
        """
        self._entering()
        return self._hold(self._claim())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Ack the lease on a normal exit, release it on an exception; one round trip.

        The exception goes on propagating. A lost lease (the ack finds it
        ended) is logged as a warning.
        """
        lease = self._leaving()
        if kind is not None:
            self._owner.release(lease)
        elif not self._owner.ack(lease):
            self._lost(lease)


class AsyncProcessing(_Block["_AsyncLeaseOwner[T]", T]):
    """What ``AsyncSortedSet.processing`` returns: ``async with job as item:``.

    The same as :class:`Processing`, with ``await job.extend()``; a cancelled
    task releases its item too. The same costs: one round trip to enter, one
    to leave, each O(log N).

    >>> async with s.processing(ttl=30) as item:            # doctest: +SKIP
    ...     await handle(item)
    """

    def __init__(
        self,
        owner: _AsyncLeaseOwner[T],
        ttl: float,
        claim: Callable[[], Coroutine[object, None, Lease[T]]],
    ) -> None:
        super().__init__(owner, ttl)
        self._claim = claim

    async def extend(self, ttl: float | None = None) -> bool:
        """Make the lease end ``ttl`` (default: the ``ttl`` given) from now; ``False`` if lost.

        The set's ``extend`` of the block's lease: one round trip, O(log L).
        ``RuntimeError`` outside the block.
        """
        return await self._owner.extend(self.lease, self._ttl_or(ttl))

    async def __aenter__(self) -> T:
        """Claim one item and return it, as :meth:`Processing.__enter__`; one round trip."""
        self._entering()
        return self._hold(await self._claim())

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Ack or release the lease, as :meth:`Processing.__exit__`; one round trip.

        A cancelled task releases its item as an exception would.
        """
        lease = self._leaving()
        if kind is not None:
            await self._owner.release(lease)
        elif not await self._owner.ack(lease):
            self._lost(lease)
