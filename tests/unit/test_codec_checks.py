"""What a codec stores reads back equal, and what it could not read back is refused at the call.

Found by the adversarial typing review: each of these passed mypy and pyright
and then stored an item that could not be read back (dead-lettered on the
first read), read back unequal, or was stored as two members.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import msgspec
import pytest
import redis

from typedset import (
    EncodeError,
    MsgspecCodec,
    NamedTupleCodec,
    PriorityStream,
    ScheduledSet,
    SortedSet,
)
from typedset.aio import AsyncPriorityStream, AsyncSortedSet
from typedset.testing import (
    AsyncMemoryScheduledSet,
    MemoryPriorityStream,
    MemorySortedSet,
)


class Task(msgspec.Struct, frozen=True):
    id: int


class Job(msgspec.Struct, frozen=True):
    priority: float


class Inner(NamedTuple):
    a: int


class Outer(NamedTuple):
    inner: Inner
    pair: tuple[int, int]
    note: str = "none"


@pytest.mark.parametrize(
    ("codec", "bad"),
    [
        (MsgspecCodec(Task), "a str for a Task"),
        (MsgspecCodec(int), True),
        (MsgspecCodec(Job), Job(math.nan)),
        (MsgspecCodec(list[int], format="msgpack"), [1, "2"]),
        (NamedTupleCodec(Outer), Outer(Inner("a"), (1, 2))),  # type: ignore[arg-type]
        (NamedTupleCodec(Outer), Outer(Inner(1), (1, 2, 3))),  # type: ignore[arg-type]
    ],
)
def test_what_would_not_read_back_is_refused_at_encode(codec: object, bad: object) -> None:
    with pytest.raises(EncodeError):
        codec.dumps(bad)  # type: ignore[attr-defined]


def test_an_int_in_a_float_field_is_stored_as_the_float_it_reads_back_as() -> None:
    codec = MsgspecCodec(Job)
    assert codec.dumps(Job(1)) == codec.dumps(Job(1.0)) == b'{"priority":1.0}'
    model = MemorySortedSet(serializer=codec)
    model.add(Job(1))
    model.add(Job(1.0))
    assert len(model) == 1
    model.discard(Job(1.0))
    assert Job(1) not in model


def test_named_tuples_with_nested_tuples_round_trip() -> None:
    codec = NamedTupleCodec(Outer)
    value = Outer(Inner(1), (2, 3))
    assert codec.loads(codec.dumps(value)) == value
    assert codec.loads(b'{"inner":[1],"pair":[2,3]}') == Outer(Inner(1), (2, 3), "none")
    assert codec.loads(codec.dumps(value)).inner.a == 1


@pytest.mark.parametrize(
    "data",
    [
        b'{"inner":[1]}',  # a field without a default is missing
        b'{"inner":[1],"pair":[2,3],"extra":1}',  # an unknown field
        b'{"inner":["x"],"pair":[2,3]}',  # the wrong type
        b"[1, [2, 3]]",  # not an object
    ],
)
def test_named_tuple_rows_that_do_not_fit_raise_on_read(data: bytes) -> None:
    with pytest.raises((ValueError, msgspec.ValidationError)):
        NamedTupleCodec(Outer).loads(data)


class TaskQueue(SortedSet[Task]):
    pass


class Jobs(ScheduledSet[Task]):
    pass


class Feed(PriorityStream[Task]):
    pass


class AsyncQueue(AsyncSortedSet[Task]):
    pass


class AsyncFeed(AsyncPriorityStream[Task]):
    pass


class FakeQueue(MemorySortedSet[Task]):
    pass


class AsyncFakeJobs(AsyncMemoryScheduledSet[Task]):
    pass


class FakeFeed(MemoryPriorityStream[Task]):
    pass


@pytest.mark.parametrize(
    "build",
    [
        lambda: TaskQueue(redis.Redis(port=1), "q"),
        lambda: Jobs(redis.Redis(port=1), "q"),
        lambda: Feed(redis.Redis(port=1), "q"),
        lambda: AsyncQueue(redis.asyncio.Redis(port=1), "q"),
        lambda: AsyncFeed(redis.asyncio.Redis(port=1), "q"),
        FakeQueue,
        AsyncFakeJobs,
        FakeFeed,
    ],
)
def test_a_subclass_that_fixes_another_item_type_needs_a_serializer(
    build: type[object],
) -> None:
    """mypy accepts ``TaskQueue(r, "q")``; without a serializer it would store ``str``."""
    with pytest.raises(TypeError, match="holds Task: pass serializer="):
        build()


def test_a_subclass_with_a_serializer_or_of_str_is_built() -> None:
    class Names(SortedSet[str]):
        pass

    r = redis.Redis(port=1)  # nothing listens: building does no I/O
    assert Names(r, "n").serializer.loads(b"x") == "x"
    assert TaskQueue(r, "q", serializer=MsgspecCodec(Task)).name == "q"
    assert FakeQueue(serializer=MsgspecCodec(Task)).name == "memory"


def test_in_is_false_for_an_item_the_codec_cannot_encode() -> None:
    model = MemorySortedSet(serializer=MsgspecCodec(Task))
    model.add(Task(1))
    assert "x" not in model  # type: ignore[comparison-overlap]
    assert not model >= {"x"}
    assert model != {"x"}  # type: ignore[comparison-overlap]
    with pytest.raises(EncodeError):
        model.contains("x")  # type: ignore[arg-type]
