"""Testing aids: in-memory reference models, Hypothesis state machines, private servers.

The models (:mod:`typedset.testing.model`, and their asyncio twins in
:mod:`typedset.testing.aio_model` and
:mod:`typedset.testing.aio_stream_model`) are the executable spec and test doubles
for your own unit tests: each has exactly the public API of the class it
models, with no client and an injectable ``clock``.
:mod:`typedset.testing.machine` (needs ``hypothesis``) checks a real
collection against its model. :class:`FaultProxy` loses replies on purpose,
for fault tests. :class:`PrivateServer` and :class:`PrivateCluster` start
throwaway servers (a cluster of several masters, with replicas if asked).
"""

from .aio_model import AsyncMemoryScheduledSet, AsyncMemorySortedSet, AsyncMemoryTimeSortedSet
from .aio_stream_model import AsyncMemoryPriorityStream
from .cluster import ClusterNode, PrivateCluster
from .expiring_model import AsyncMemoryExpiringSet, MemoryExpiringSet
from .model import MemoryScheduledSet, MemorySortedSet, MemoryTimeSortedSet
from .proxy import FaultProxy
from .server import PrivateServer, find_server_binary
from .stream_model import MemoryPriorityStream

__all__ = [
    "AsyncMemoryExpiringSet",
    "AsyncMemoryPriorityStream",
    "AsyncMemoryScheduledSet",
    "AsyncMemorySortedSet",
    "AsyncMemoryTimeSortedSet",
    "ClusterNode",
    "FaultProxy",
    "MemoryExpiringSet",
    "MemoryPriorityStream",
    "MemoryScheduledSet",
    "MemorySortedSet",
    "MemoryTimeSortedSet",
    "PrivateCluster",
    "PrivateServer",
    "find_server_binary",
]
