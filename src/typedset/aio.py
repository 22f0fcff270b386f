"""The asyncio twins of typedset's collections, for ``redis.asyncio`` clients.

>>> from typedset.aio import AsyncSortedSet, AsyncTimeSortedSet, AsyncScheduledSet
>>> from typedset.aio import AsyncPriorityStream, AsyncExpiringSet

Each has the constructor and the methods of its blocking twin, as
coroutines, with the same semantics; they share one core (keys, scripts,
encoding, argument checks, reply parsing) and only the I/O differs.
"""

from .expiring_set import AsyncExpiringSet
from .priority_stream import AsyncPriorityStream
from .sorted_set import AsyncProcessing, AsyncScheduledSet, AsyncSortedSet, AsyncTimeSortedSet

__all__ = [
    "AsyncExpiringSet",
    "AsyncPriorityStream",
    "AsyncProcessing",
    "AsyncScheduledSet",
    "AsyncSortedSet",
    "AsyncTimeSortedSet",
]
