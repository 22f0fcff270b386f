"""The asyncio twins of typedset's collections, for ``redis.asyncio`` clients.

>>> from typedset.aio import AsyncSortedSet, AsyncTimeSortedSet, AsyncScheduledSet
>>> from typedset.aio import AsyncPriorityStream

Each has the constructor and the methods of its blocking twin, as
coroutines, with the same semantics; they share one core (keys, scripts,
encoding, argument checks, reply parsing) and only the I/O differs.
"""

from .priority_stream import AsyncPriorityStream
from .sorted_set import AsyncProcessing, AsyncScheduledSet, AsyncSortedSet, AsyncTimeSortedSet

__all__ = [
    "AsyncPriorityStream",
    "AsyncProcessing",
    "AsyncScheduledSet",
    "AsyncSortedSet",
    "AsyncTimeSortedSet",
]
