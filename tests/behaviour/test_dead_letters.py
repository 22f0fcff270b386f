"""An undecodable stored item is never lost silently and never blocks the set."""

from __future__ import annotations

import logging

import msgspec
import pytest
import redis

from conftest import Flavour
from typedset import DecodeError, MsgspecCodec, ScheduledSet, SortedSet


class Task(msgspec.Struct):
    id: int


@pytest.fixture
def tasks(flavour: Flavour, r: redis.Redis, name: str) -> SortedSet[Task]:
    s = flavour(SortedSet(r, name, serializer=MsgspecCodec(Task)))
    s.update_scored([(Task(1), 1.0), (Task(3), 3.0)])
    r.zadd(name, {b"not json": 2.0, b'{"id": "wrong type"}': 2.5})
    return s


def test_take_skips_undecodable_items_and_dead_letters_them(
    tasks: SortedSet[Task], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="typedset"):
        assert tasks.take(10) == [Task(1), Task(3)]
    letters = tasks.dead_letters()
    # recorded by one script call, so with one timestamp, then ordered by bytes
    assert [(d.raw, d.score) for d in letters] == [
        (b"not json", 2.0),
        (b'{"id": "wrong type"}', 2.5),
    ]
    assert all(d.reason for d in letters)
    assert "dead-letter" in caplog.text
    assert len(tasks) == 0


def test_pop_raises_decode_error_with_the_raw_bytes(tasks: SortedSet[Task]) -> None:
    assert tasks.pop() == Task(1)
    with pytest.raises(DecodeError) as info:
        tasks.pop()
    assert info.value.raw == b"not json"
    assert [d.raw for d in tasks.dead_letters()] == [b"not json"]
    # the set is not blocked: the next pops go on
    with pytest.raises(DecodeError):
        tasks.pop()
    assert tasks.pop() == Task(3)


def test_peek_and_iteration_move_bad_items_aside(tasks: SortedSet[Task]) -> None:
    assert tasks.peek(1) == Task(3)
    assert list(tasks) == [Task(1), Task(3)]
    assert len(tasks.dead_letters()) == 2


def test_requeue_dead_puts_items_back_with_their_scores(
    tasks: SortedSet[Task], r: redis.Redis, name: str
) -> None:
    tasks.take(10)
    assert tasks.requeue_dead() == 2
    assert tasks.dead_letters() == []
    assert r.zscore(name, b"not json") == 2.0
    assert r.zscore(name, b'{"id": "wrong type"}') == 2.5


def test_clear_keeps_dead_letters_until_cleared(tasks: SortedSet[Task]) -> None:
    tasks.take(10)
    tasks.clear()
    assert len(tasks.dead_letters()) == 2
    assert tasks.clear_dead_letters() == 1
    assert tasks.dead_letters() == []


def test_scheduled_set_dead_letters_too(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(ScheduledSet(r, name, serializer=MsgspecCodec(Task)))
    r.zadd(name, {b"garbage": 1.0})
    with pytest.raises(DecodeError):
        s.pop(timeout=1)
    assert [d.raw for d in s.dead_letters()] == [b"garbage"]
