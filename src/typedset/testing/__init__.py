"""Testing aids: in-memory reference models, Hypothesis state machines, private servers.

The models (:mod:`typedset.testing.model`, and their asyncio twins in
:mod:`typedset.testing.aio_model`) are the executable spec and test doubles
for your own unit tests: each has exactly the public API of the class it
models, with no client and an injectable ``clock``.
:mod:`typedset.testing.machine` (needs ``hypothesis``) checks a real
collection against its model. :class:`FaultProxy` loses replies on purpose,
for fault tests.
"""

from .aio_model import (
    AsyncMemoryPriorityStream,
    AsyncMemoryScheduledSet,
    AsyncMemorySortedSet,
    AsyncMemoryTimeSortedSet,
)
from .model import MemoryScheduledSet, MemorySortedSet, MemoryTimeSortedSet
from .proxy import FaultProxy
from .server import PrivateServer, find_server_binary
from .stream_model import MemoryPriorityStream

__all__ = [
    "AsyncMemoryPriorityStream",
    "AsyncMemoryScheduledSet",
    "AsyncMemorySortedSet",
    "AsyncMemoryTimeSortedSet",
    "FaultProxy",
    "MemoryPriorityStream",
    "MemoryScheduledSet",
    "MemorySortedSet",
    "MemoryTimeSortedSet",
    "PrivateServer",
    "find_server_binary",
]
