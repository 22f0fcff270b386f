"""The sans-I/O core with canned replies: no server needed."""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import msgspec
import pytest
from redis.exceptions import NoScriptError, ResponseError

from typedset import _scripts
from typedset._keys import hash_tag, key_slot, set_keys, stream_keys
from typedset._ops import ServerError, check_score, check_timeout, format_score, pairs, run
from typedset._set_ops import SetOps
from typedset.codecs import JsonCodec, MsgspecCodec, NamedTupleCodec, StrCodec
from typedset.errors import EncodeError


def drive_canned(flow: Any, replies: list[object]) -> tuple[object, list[Any]]:
    """Run a flow, answering each step from ``replies``; return result and steps."""
    steps = []
    try:
        step = next(flow)
        while True:
            steps.append(step)
            step = flow.send(replies.pop(0))
    except StopIteration as stop:
        return stop.value, steps


@pytest.mark.parametrize(
    "reply",
    [
        [b"a", b"1", b"b", b"2.5"],  # RESP2 flat
        [[b"a", 1.0], [b"b", 2.5]],  # RESP3 nested
        [(b"a", 1.0), (b"b", 2.5)],  # redis-py's tuples
        ["a", "1", "b", "2.5"],  # decode_responses=True
    ],
)
def test_pairs_reads_every_reply_shape(reply: object) -> None:
    assert [(m, float(s)) for m, s in pairs(reply)] == [(b"a", 1.0), (b"b", 2.5)]


def test_format_score_round_trips_exactly() -> None:
    for value in [
        0.1,
        1 / 3,
        1e-300,
        1.7976931348623157e308,
        -math.inf,
        math.inf,
        1795392983.861243,
    ]:
        assert float(format_score(value)) == value


def test_checks_refuse_bad_numbers() -> None:
    with pytest.raises(ValueError, match="NaN"):
        check_score(math.nan)
    with pytest.raises(TypeError):
        check_score(True)
    with pytest.raises(ValueError, match="timeout"):
        check_timeout(-1)
    assert check_timeout(None) is None


def test_a_script_call_falls_back_to_eval_on_noscript() -> None:
    ops = SetOps("jobs", StrCodec(), None, "replace", timed=False, scheduled=False)
    call = ops.increment("a", 2)
    noscript = ServerError("NOSCRIPT", NoScriptError("No matching script"))
    result, steps = drive_canned(run(call), [[noscript], [b"3"]])
    assert result == 3.0
    assert [step.commands for step in steps] == [(call.command,), (call.eval_command(),)]
    assert steps[1].commands[0][:2] == ("EVAL", _scripts.INCREMENT.source)
    assert {step.op for step in steps} == {"increment"}
    assert not any(step.resend for step in steps)


def test_a_server_nan_error_becomes_value_error() -> None:
    ops = SetOps("jobs", StrCodec(), None, "replace", timed=False, scheduled=False)
    error = ResponseError("resulting score is not a number (NaN)")
    with pytest.raises(ValueError, match="NaN"):
        drive_canned(run(ops.increment("a", 1)), [[ServerError("ERR", error)]])


def test_a_server_error_reply_raises_the_client_librarys_own_exception() -> None:
    ops = SetOps("jobs", StrCodec(), None, "replace", timed=False, scheduled=False)
    error = ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")
    with pytest.raises(ResponseError, match="WRONGTYPE") as raised:
        drive_canned(run(ops.add("a", 1)), [[ServerError("WRONGTYPE", error)]])
    assert raised.value is error


def test_update_encodes_everything_before_sending_anything() -> None:
    ops = SetOps("jobs", StrCodec(), None, "replace", timed=False, scheduled=False)
    flow = ops.update(["a", 1])  # type: ignore[list-item]
    with pytest.raises(EncodeError):
        next(flow)


def test_update_sends_10000_items_in_one_pipeline() -> None:
    ops = SetOps("jobs", StrCodec(), None, "keep", timed=False, scheduled=False)
    _, steps = drive_canned(ops.update(str(i) for i in range(10_000)), [[1] * 10])
    assert len(steps) == 1
    assert len(steps[0].commands) == 10
    assert steps[0].op == "update"
    assert not steps[0].resend
    assert steps[0].commands[0][:3] == ("ZADD", "jobs", "NX")


def test_scheduled_blocking_pop_sleeps_until_the_head_is_due() -> None:
    ops = SetOps("jobs", StrCodec(), None, "replace", timed=True, scheduled=True)
    flow = ops.pop(timeout=10)
    nothing_due = [[b"100.000000", b"100.010000", []]]
    result, steps = drive_canned(flow, [nothing_due, None, [[b"100.02", b"", [b"job", b"100.01"]]]])
    assert result == "job"
    assert [type(step).__name__ for step in steps] == ["Send", "Sleep", "Send"]
    assert 0 < steps[1].seconds <= 0.01  # never past the head's due time


@pytest.mark.parametrize(
    ("name", "owner"),
    [("{jobs}", "'jobs'"), ("{jobs}:leased", "'jobs'"), ("jobs:{t}:dead", "'jobs:{t}'")],
)
def test_a_name_whose_keys_are_another_collections_is_refused(name: str, owner: str) -> None:
    """No two accepted names share a key: "{jobs}" and "jobs" would share every other key."""
    with pytest.raises(ValueError, match=re.escape(owner)):
        set_keys(name)


def test_accepted_names_never_share_a_key() -> None:
    names = ["jobs", "{jobs}:x", "jobs:{t}", "jobs:leased", "a{b", "{t}:jobs", "x:{t}:deadline"]
    per_name = [
        {*set_keys(name).script_keys, set_keys(name).kind, *stream_keys(name).script_keys}
        for name in names
    ]
    assert sum(len(keys) for keys in per_name) == len(set().union(*per_name))


def test_every_script_declares_its_keys_in_one_slot() -> None:
    for name in ["jobs", "a{b", "jobs:{tenant}", "{x}:jobs"]:
        keys = set_keys(name)
        assert keys.pending == name
        others = [keys.leased, keys.held, keys.deliveries, keys.dead, keys.fence, keys.kind]
        assert {key_slot(key) for key in others} == {key_slot(name)}
        assert len({keys.pending, *others}) == 7
    assert hash_tag("a{b}c") == "b"
    assert hash_tag("a{}c") is None
    for script in [_scripts.PAGE, _scripts.QUARANTINE, _scripts.COMBINE]:
        assert script.max_keys >= 1


class Point(NamedTuple):
    x: int
    y: int


class Task(msgspec.Struct):
    id: int
    tags: set[str]


def test_codecs_are_canonical() -> None:
    assert JsonCodec().dumps({"b": 1, "a": [1.5, None]}) == b'{"a":[1.5,null],"b":1}'
    assert MsgspecCodec(Task).dumps(Task(1, {"z", "a"})) == b'{"id":1,"tags":["a","z"]}'
    assert NamedTupleCodec(Point).dumps(Point(1, 2)) == b'{"x":1,"y":2}'
    assert NamedTupleCodec(Point).loads(b'{"x": 1, "y": 2}') == Point(1, 2)  # redset's spacing
    with pytest.raises(EncodeError):
        JsonCodec().dumps(math.nan)
    with pytest.raises(EncodeError):
        StrCodec().dumps(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Expected `int`"):
        MsgspecCodec(Task).loads(b'{"id": "x", "tags": []}')
