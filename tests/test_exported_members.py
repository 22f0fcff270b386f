"""The public names are exactly these; a change here is an API change."""

from __future__ import annotations

import typedset
import typedset.aio


def test_public_names() -> None:
    assert typedset.__all__ == [
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
    assert typedset.__all__ == sorted(typedset.__all__)
    for name in typedset.__all__:
        assert hasattr(typedset, name)


def test_asyncio_names() -> None:
    assert typedset.aio.__all__ == [
        "AsyncExpiringSet",
        "AsyncPriorityStream",
        "AsyncProcessing",
        "AsyncScheduledSet",
        "AsyncSortedSet",
        "AsyncTimeSortedSet",
    ]
    for name in typedset.aio.__all__:
        assert hasattr(typedset.aio, name)


def test_testing_names() -> None:
    import typedset.testing

    assert typedset.testing.__all__ == [
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
    assert typedset.testing.__all__ == sorted(typedset.testing.__all__)
    for name in typedset.testing.__all__:
        assert hasattr(typedset.testing, name)
