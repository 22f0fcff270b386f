"""Bad input raises a clear exception at the call and writes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import msgspec
import pytest
import redis

from conftest import Flavour, Server
from typedset import (
    BytesCodec,
    EncodeError,
    JsonCodec,
    MsgspecCodec,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset.aio import AsyncSortedSet
from typedset.testing import MemorySortedSet


class Task(msgspec.Struct):
    id: int


def keys_of(r: redis.Redis, name: str) -> list[bytes]:
    """Every key of the collection ``name`` that exists."""
    return [
        key
        for key in r.scan_iter()
        if key == name.encode() or key.startswith(b"{" + name.encode() + b"}:")
    ]


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet, ScheduledSet])
@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.add("x", math.nan), ValueError),
        (lambda s: s.add("x", "1"), TypeError),
        (lambda s: s.add(3), EncodeError),
        (lambda s: s.add(None), TypeError),
        (lambda s: s.update(["ok", 5]), EncodeError),
        (lambda s: s.update_scored([("ok", 1.0), ("bad", math.nan)]), ValueError),
        (lambda s: s.update_scored([("ok", 1.0), (b"bytes", 1.0)]), EncodeError),
        (lambda s: s.take(2.0), TypeError),
        (lambda s: s.take("3"), TypeError),
        (lambda s: s.peek(1.5), TypeError),
        (lambda s: s.pop(timeout=-1), ValueError),
        (lambda s: s.pop(timeout=math.nan), ValueError),
        (lambda s: s.increment("x", math.nan), ValueError),
        (lambda s: s.__ior__({7}), EncodeError),
        # One str (or bytes) iterates as characters, a mapping as its keys: refused.
        (lambda s: s.update("alice"), TypeError),
        (lambda s: s.update({"a": 5.0}), TypeError),
        (lambda s: s.update_scored({"a": 5.0}), TypeError),
        (lambda s: s.union_update("ab"), TypeError),
        (lambda s: s.symmetric_difference_update({"a": 1}), TypeError),
        (lambda s: s.isdisjoint("ab"), TypeError),
    ],
)
def test_bad_input_raises_and_writes_nothing(
    flavour: Flavour,
    r: redis.Redis,
    name: str,
    kind: type[SortedSet[str]],
    call: Callable[[SortedSet[str]], object],
    error: type[Exception],
) -> None:
    s = flavour(kind(r, name))
    with pytest.raises(error):
        call(s)
    assert keys_of(r, name) == []


def test_encode_error_names_the_item_type(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name, serializer=MsgspecCodec(Task)))
    with pytest.raises(EncodeError, match="object"):
        s.add(object())  # type: ignore[arg-type]
    assert keys_of(r, name) == []


def test_scorer_returning_nan_is_refused(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name, scorer=lambda item: math.nan))
    with pytest.raises(ValueError, match="NaN"):
        s.add("x")
    assert keys_of(r, name) == []


def test_increment_to_nan_is_refused(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.add("x", math.inf)
    with pytest.raises(ValueError, match="NaN"):
        s.increment("x", -math.inf)
    assert s.score("x") == math.inf


@pytest.mark.parametrize("bad", ["", 5, None, "a}b", "{}x"])
def test_bad_names_are_refused(flavour: Flavour, bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        flavour.construct(SortedSet, bad)


def test_serializer_without_dumps_or_loads_is_refused(flavour: Flavour, name: str) -> None:
    class OnlyDumps:
        def dumps(self, obj: object) -> bytes:
            return b""

    with pytest.raises(TypeError, match="dumps\\(\\) and loads\\(\\)"):
        flavour.construct(SortedSet, name, serializer=OnlyDumps())


def test_bad_on_duplicate_and_scorer_are_refused(flavour: Flavour, name: str) -> None:
    with pytest.raises(ValueError, match="on_duplicate"):
        flavour.construct(SortedSet, name, on_duplicate="first")
    with pytest.raises(TypeError, match="scorer"):
        flavour.construct(SortedSet, name, scorer=5)


def test_a_binary_codec_works_on_a_decoding_client(
    flavour: Flavour, server: Server, name: str
) -> None:
    """typedset reads its own replies undecoded, whatever ``decode_responses`` says."""
    client = server.client(decode_responses=True)
    try:
        raw = flavour(SortedSet(client, name, serializer=BytesCodec()))
        tasks = flavour(SortedSet(client, name + "m", serializer=MsgspecCodec(Task, "msgpack")))
        raw.update_scored([(b"\xff\x00not utf-8", 1.0), (b"\x80", 2.0)])
        tasks.add(Task(7))
        assert list(raw) == [b"\xff\x00not utf-8", b"\x80"]
        assert raw.pop() == b"\xff\x00not utf-8"
        assert tasks.take(5) == [Task(7)]
        raw.clear()
    finally:
        client.close()


def test_text_codecs_accept_a_decoding_client(flavour: Flavour, name: str) -> None:
    flavour.construct(SortedSet, name, serializer=JsonCodec(), decode_responses=True)
    flavour.construct(SortedSet, name, serializer=MsgspecCodec(Task), decode_responses=True)


def test_a_non_client_is_refused(name: str) -> None:
    with pytest.raises(TypeError, match="client"):
        SortedSet(object(), name)  # type: ignore[call-overload]


def test_a_client_of_the_other_flavour_is_refused_before_any_write(
    server: Server, r: redis.Redis, name: str
) -> None:
    async_client = server.async_client()
    with pytest.raises(TypeError, match="asyncio client"):
        AsyncSortedSet(r, name)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="blocking client"):
        SortedSet(async_client, name)  # type: ignore[call-overload]
    assert keys_of(r, name) == []


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.add("k", "v", math.nan), ValueError),
        (lambda s: s.add("k", "v", math.inf), ValueError),
        (lambda s: s.add("k", "v", "1"), TypeError),
        (lambda s: s.add(5, "v"), TypeError),
        (lambda s: s.add(b"k", "v"), TypeError),
        (lambda s: s.add("k", 7), EncodeError),
        (lambda s: s.add_many([("ok", "v", 1.0), ("bad", "v", math.nan)]), ValueError),
        (lambda s: s.add_many([("ok", "v", 1.0), (None, "v", 1.0)]), TypeError),
        (lambda s: s.add_many([("ok", "v", 1.0), ("bad", object(), 1.0)]), EncodeError),
        (lambda s: s.add_many([("ok", "v", 1.0), ("two-tuple", "v")]), TypeError),
        (lambda s: s.pull(0), ValueError),
        (lambda s: s.pull(-3), ValueError),
        (lambda s: s.pull(2.0), TypeError),
        (lambda s: s.pull(expire_in=-1), ValueError),
        (lambda s: s.pull(expire_in=math.nan), ValueError),
        (lambda s: s.pull(expire_at=datetime(2030, 1, 1)), ValueError),  # naive
        (lambda s: s.increment("k", math.nan), ValueError),
        (lambda s: s.increment(3, 1), TypeError),
        (lambda s: s.decrement_all(math.inf), ValueError),
        (lambda s: s.delete_below(math.nan), ValueError),
    ],
)
def test_bad_stream_input_raises_and_writes_nothing(
    flavour: Flavour,
    r: redis.Redis,
    name: str,
    call: Callable[[PriorityStream[str]], object],
    error: type[Exception],
) -> None:
    s = flavour(PriorityStream(r, name))
    with pytest.raises(error):
        call(s)
    assert keys_of(r, name) == []


def test_a_stream_with_items_is_unchanged_by_a_refused_batch(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("k", "v", 2)
    with pytest.raises(ValueError, match="NaN"):
        s.add_many([("k", "changed", 1.0), ("x", "v", math.nan)])
    assert dict(s.items()) == {"k": "v"}
    assert s.priority("k") == 2.0


@pytest.mark.parametrize("decay", [math.nan, -1.0, math.inf])
def test_bad_decay_is_refused(flavour: Flavour, name: str, decay: float) -> None:
    with pytest.raises(ValueError, match="decay"):
        flavour.construct(PriorityStream, name, decay=decay)


ONE_STR_OR_A_MAPPING: list[Callable[[MemorySortedSet[str]], object]] = [
    lambda s: s.update("alice"),
    lambda s: s.update({"a": 5.0}),
    lambda s: s.update_scored({"a": 5.0}),  # type: ignore[dict-item]
    lambda s: s.union_update("ab"),
    lambda s: s.intersection_update("ab"),
    lambda s: s.difference_update(b"ab"),
    lambda s: s.symmetric_difference_update({"a": 1}),
    lambda s: s.isdisjoint("ab"),
]


@pytest.mark.parametrize("call", ONE_STR_OR_A_MAPPING)
def test_the_model_refuses_one_str_or_a_mapping_as_the_sets_do(
    call: Callable[[MemorySortedSet[str]], object],
) -> None:
    model = MemorySortedSet()
    model.add("keep")
    with pytest.raises(TypeError, match="iterable of items"):
        call(model)
    assert list(model) == ["keep"]


@pytest.mark.parametrize("call", ONE_STR_OR_A_MAPPING)
def test_removals_refuse_one_str_or_a_mapping_and_remove_nothing(
    flavour: Flavour, r: redis.Redis, name: str, call: Callable[[SortedSet[str]], object]
) -> None:
    s = flavour(SortedSet(r, name))
    s.update(["a", "b", "keep"])
    with pytest.raises(TypeError, match="iterable of items"):
        call(s)
    assert sorted(s) == ["a", "b", "keep"]
