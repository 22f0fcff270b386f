"""Testing aids: in-memory reference models, Hypothesis state machines, private servers.

The models (:mod:`typedset.testing.model`) are the executable spec and a test
double for your own unit tests. :mod:`typedset.testing.machine` (needs
``hypothesis``) checks a real collection against its model.
:class:`FaultProxy` loses replies on purpose, for fault tests.
"""

from .model import MemoryScheduledSet, MemorySortedSet, MemoryTimeSortedSet
from .proxy import FaultProxy
from .server import PrivateServer, find_server_binary
from .stream_model import MemoryPriorityStream

__all__ = [
    "FaultProxy",
    "MemoryPriorityStream",
    "MemoryScheduledSet",
    "MemorySortedSet",
    "MemoryTimeSortedSet",
    "PrivateServer",
    "find_server_binary",
]
