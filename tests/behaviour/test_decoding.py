"""No codec and no client setting can make an item disappear.

typedset reads its replies undecoded whatever the client's
``decode_responses``, so bytes that are not UTF-8 reach the codec, which
refuses them, and they go to the dead letters with their raw bytes; every
good item around them is still returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import redis

from conftest import Flavour, Target
from typedset import DecodeError, JsonCodec, MsgspecCodec, PriorityStream, SortedSet, StrCodec


class Task(msgspec.Struct, frozen=True):
    id: int


#: Stored bytes no text codec can read.
BAD = [b"\xff\xfe", b"caf\xe9", b"\x80tail"]

CODECS: list[tuple[Any, list[Any]]] = [
    (StrCodec(), ["a", "é", "z"]),
    (JsonCodec(), [1, "é", [2]]),
    (MsgspecCodec(Task), [Task(1), Task(2), Task(3)]),
]


@pytest.fixture(params=[False, True], ids=["raw-client", "decoding-client"])
def client(request: pytest.FixtureRequest, target: Target) -> Iterator[redis.Redis]:
    """A client of each library and topology, with and without ``decode_responses``."""
    made = target.client(decode_responses=request.param)
    yield made
    made.close()


def _fill(r: redis.Redis, s: SortedSet[Any], good: list[Any]) -> None:
    s.update_scored((item, float(2 * i)) for i, item in enumerate(good))
    r.zadd(s.name, {raw: 2 * i + 1.0 for i, raw in enumerate(BAD)})


@pytest.mark.parametrize(("codec", "good"), CODECS)
def test_take_returns_every_good_item_and_keeps_the_bad_bytes(
    flavour: Flavour, client: redis.Redis, r: redis.Redis, name: str, codec: Any, good: list[Any]
) -> None:
    s = flavour(SortedSet(client, name, serializer=codec))
    _fill(r, s, good)
    assert s.take(100) == good
    assert sorted(letter.raw for letter in s.dead_letters()) == sorted(BAD)
    assert len(s) == 0


@pytest.mark.parametrize(("codec", "good"), CODECS)
def test_peek_and_iteration_return_every_good_item(
    flavour: Flavour, client: redis.Redis, r: redis.Redis, name: str, codec: Any, good: list[Any]
) -> None:
    s = flavour(SortedSet(client, name, serializer=codec))
    _fill(r, s, good)
    assert s.peek() == good[0]
    assert s.peek(1) == good[1]  # the bad member between was moved aside
    assert list(s) == good
    assert sorted(letter.raw for letter in s.dead_letters()) == sorted(BAD)
    # requeued, they are stored exactly as they were
    assert s.requeue_dead() == len(BAD)
    assert sorted(m for m in r.zrange(name, 0, -1) if m in BAD) == sorted(BAD)


def test_pop_raises_for_the_bad_bytes_and_goes_on(
    flavour: Flavour, client: redis.Redis, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(client, name))
    _fill(r, s, ["a", "b", "c"])
    popped: list[str] = []
    refused: list[bytes] = []
    for _ in range(6):
        try:
            popped.append(s.pop())
        except DecodeError as exc:
            refused.append(exc.raw)
    assert popped == ["a", "b", "c"]
    assert sorted(refused) == sorted(BAD)
    assert sorted(letter.raw for letter in s.dead_letters()) == sorted(BAD)


def test_pull_returns_every_good_item_and_keeps_bad_keys_and_values(
    flavour: Flavour, client: redis.Redis, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(client, name, serializer=MsgspecCodec(Task)))
    s.add_many([("one", Task(1), 10.0), ("two", Task(2), 8.0)])
    values = f"{{{name}}}:values"
    r.zadd(name, {b"\xffkey": 9.0, b"bad-value": 7.0})  # a key that is not UTF-8
    r.hset(values, b"\xffkey", b'{"id": 9}')
    r.hset(values, b"bad-value", b"\xff not json")
    assert s.pull(10) == {"one": Task(1), "two": Task(2)}
    letters = {
        letter.key.encode("utf-8", "surrogateescape"): (letter.raw, letter.score)
        for letter in s.dead_letters()
    }
    assert letters == {b"\xffkey": (b'{"id": 9}', 9.0), b"bad-value": (b"\xff not json", 7.0)}
    assert len(s) == 0


def test_stream_iteration_moves_keys_that_are_not_utf8_to_the_dead_letters(
    flavour: Flavour, client: redis.Redis, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(client, name))
    s.add_many([("a", "1", 3.0), ("c", "3", 1.0)])
    r.zadd(name, {b"\xff": 2.0})
    r.hset(f"{{{name}}}:values", b"\xff", b"2")
    assert list(s) == ["a", "c"]
    assert dict(s.items()) == {"a": "1", "c": "3"}
    assert len(s) == 2  # moved, with its value and priority
    [letter] = s.dead_letters()
    assert (letter.key, letter.raw, letter.score) == ("\udcff", b"2", 2.0)  # bytes as surrogates
    r.zadd(name, {b"\xfe": 2.0})
    r.hset(f"{{{name}}}:values", b"\xfe", b"2")
    assert s.delete_below(2.5) == ["\udcfe", "c"]  # named with the bytes kept as surrogates
