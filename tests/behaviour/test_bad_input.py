"""Bad input raises a clear exception at the call and writes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec
import pytest
import redis

from typedset import (
    BytesCodec,
    EncodeError,
    JsonCodec,
    MsgspecCodec,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)


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
    ],
)
def test_bad_input_raises_and_writes_nothing(
    r: redis.Redis,
    name: str,
    kind: type[SortedSet[str]],
    call: Callable[[SortedSet[str]], object],
    error: type[Exception],
) -> None:
    s = kind(r, name)
    with pytest.raises(error):
        call(s)
    assert keys_of(r, name) == []


def test_encode_error_names_the_item_type(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name, serializer=MsgspecCodec(Task))
    with pytest.raises(EncodeError, match="object"):
        s.add(object())  # type: ignore[arg-type]
    assert keys_of(r, name) == []


def test_scorer_returning_nan_is_refused(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name, scorer=lambda item: math.nan)
    with pytest.raises(ValueError, match="NaN"):
        s.add("x")
    assert keys_of(r, name) == []


def test_increment_to_nan_is_refused(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    s.add("x", math.inf)
    with pytest.raises(ValueError, match="NaN"):
        s.increment("x", -math.inf)
    assert s.score("x") == math.inf


@pytest.mark.parametrize("bad", ["", 5, None, "a}b", "{}x"])
def test_bad_names_are_refused(r: redis.Redis, bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        SortedSet(r, bad)  # type: ignore[call-overload]


def test_serializer_without_dumps_or_loads_is_refused(r: redis.Redis, name: str) -> None:
    class OnlyDumps:
        def dumps(self, obj: object) -> bytes:
            return b""

    with pytest.raises(TypeError, match="dumps\\(\\) and loads\\(\\)"):
        SortedSet(r, name, serializer=OnlyDumps())  # type: ignore[call-overload]


def test_bad_on_duplicate_and_scorer_are_refused(r: redis.Redis, name: str) -> None:
    with pytest.raises(ValueError, match="on_duplicate"):
        SortedSet(r, name, on_duplicate="first")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="scorer"):
        SortedSet(r, name, scorer=5)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "codec", [BytesCodec(), MsgspecCodec(Task, format="msgpack"), __import__("json")]
)
def test_binary_codec_refuses_a_decoding_client(server: object, name: str, codec: object) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="decode_responses"):
        SortedSet(client, name, serializer=codec)  # type: ignore[call-overload]
    client.close()


def test_text_codecs_accept_a_decoding_client(server: object, name: str) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)  # type: ignore[attr-defined]
    SortedSet(client, name, serializer=JsonCodec())
    SortedSet(client, name, serializer=MsgspecCodec(Task))
    client.close()


def test_a_non_client_is_refused(name: str) -> None:
    with pytest.raises(TypeError, match="client"):
        SortedSet(object(), name)  # type: ignore[call-overload]
