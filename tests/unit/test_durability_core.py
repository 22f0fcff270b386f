"""``durable`` on hand-made flows: which waits count (no server needed)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import redis

from typedset import Durability, DurabilityError
from typedset._durability import durable
from typedset._ops import Send, ServerError

ONE = Durability(replicas=1, timeout=1.0)
WRITE = ("EVALSHA", "sha", "1", "k")


def _flow(*sends: Send) -> Generator[Any, Any, list[object]]:
    answers: list[object] = []
    for step in sends:
        answers.append((yield step))
    return answers


def _play(flow: Generator[Any, Any, Any], answers: list[list[object]]) -> tuple[object, list[Send]]:
    sent: list[Send] = []
    try:
        step = next(flow)
        while True:
            sent.append(step)
            step = flow.send(answers.pop(0))
    except StopIteration as done:
        return done.value, sent


def test_each_write_carries_its_wait_and_the_wait_reply_is_taken_off() -> None:
    result, sent = _play(durable(_flow(Send((WRITE,), "add", False)), ONE, "k"), [[1, [1]]])
    assert result == [[1]]
    assert sent[0].after == (("WAIT", "1", "1000"),)
    assert sent[0].patience == 1.0


def test_a_wait_that_fell_short_raises_with_the_result() -> None:
    with pytest.raises(DurabilityError) as raised:
        _play(durable(_flow(Send((WRITE,), "pop", False)), ONE, "k"), [[[b"a"], [0]]])
    assert raised.value.result == [[[b"a"]]]


def test_the_wait_after_an_evalsha_the_server_did_not_know_does_not_count() -> None:
    """NOSCRIPT: the EVAL that follows is the write; its wait is the one that counts."""
    noscript = ServerError("NOSCRIPT", redis.exceptions.NoScriptError("No matching script"))
    flow = _flow(Send((WRITE,), "add", False), Send((("EVAL", "src", "1", "k"),), "add", False))
    result, _ = _play(durable(flow, ONE, "k"), [[noscript, [0]], [1, [1]]])
    assert result == [[noscript], [1]]


def test_the_wait_after_a_blocking_pop_that_found_nothing_does_not_count() -> None:
    flow = _flow(Send((("BZPOPMIN", "k", "1"),), "pop", False, wait=1.0))
    result, sent = _play(durable(flow, ONE, "k"), [[None, [0]]])
    assert result == [[None]]
    assert sent[0].wait == 2.0  # the pop's wait plus the wait's


def test_reads_are_not_followed_by_a_wait() -> None:
    _, sent = _play(
        durable(_flow(Send((("ZSCORE", "k", "m"),), "score", True)), ONE, "k"), [[b"1"]]
    )
    assert sent[0].after == ()
