"""typedset: typed, generic sorted sets and priority streams backed by Redis or Valkey.

>>> from typedset import SortedSet, TimeSortedSet, ScheduledSet, PriorityStream, ExpiringSet
>>> from typedset.codecs import MsgspecCodec

See the README for a tour and ``typedset.aio`` for the asyncio twins.
"""

from ._durability import Durability
from ._set_ops import DeadLetter, Lease
from ._stats import ExpiringStats, SetStats, Stats, StreamStats
from ._stream_ops import StreamDeadLetter
from .codecs import (
    BytesCodec,
    JsonCodec,
    MsgspecCodec,
    NamedTupleCodec,
    NamedtupleSerializer,
    StrCodec,
)
from .errors import DecodeError, DurabilityError, EncodeError, NameClashError, TypedsetError
from .expiring_set import ExpiringDeadLetter, ExpiringSet, OnRefresh
from .priority_stream import PriorityStream
from .protocols import Anchor, OnDuplicate, Reschedule, Scorer, Serializer
from .sorted_set import Processing, ScheduledSet, SortedSet, TimeSortedSet

__version__ = "0.1.0"

__all__ = [
    "Anchor",
    "BytesCodec",
    "DeadLetter",
    "DecodeError",
    "Durability",
    "DurabilityError",
    "EncodeError",
    "ExpiringDeadLetter",
    "ExpiringSet",
    "ExpiringStats",
    "JsonCodec",
    "Lease",
    "MsgspecCodec",
    "NameClashError",
    "NamedTupleCodec",
    "NamedtupleSerializer",
    "OnDuplicate",
    "OnRefresh",
    "PriorityStream",
    "Processing",
    "Reschedule",
    "ScheduledSet",
    "Scorer",
    "Serializer",
    "SetStats",
    "SortedSet",
    "Stats",
    "StrCodec",
    "StreamDeadLetter",
    "StreamStats",
    "TimeSortedSet",
    "TypedsetError",
]
