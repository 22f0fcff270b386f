"""The public names are exactly these; a change here is an API change."""

from __future__ import annotations

import typedset


def test_public_names() -> None:
    assert typedset.__all__ == [
        "BytesCodec",
        "DeadLetter",
        "DecodeError",
        "EncodeError",
        "JsonCodec",
        "MsgspecCodec",
        "NamedTupleCodec",
        "NamedtupleSerializer",
        "OnDuplicate",
        "ScheduledSet",
        "Scorer",
        "Serializer",
        "SortedSet",
        "StrCodec",
        "TimeSortedSet",
        "TypedsetError",
    ]
    assert typedset.__all__ == sorted(typedset.__all__)
    for name in typedset.__all__:
        assert hasattr(typedset, name)
