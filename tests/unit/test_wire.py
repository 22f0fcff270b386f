"""The wire format and the retry policy, with canned bytes and outcomes: no server needed."""

from __future__ import annotations

import math
from typing import Any

import pytest
import redis.exceptions
from hypothesis import given
from hypothesis import strategies as st

from typedset._backend import LinkFailure
from typedset._driver import MAX_ATTEMPTS, MAX_REDIRECTS, PATIENCE, Refresh, Wire, exchange
from typedset._ops import Send, ServerError, Sleep
from typedset._resp import ErrorReply, Parser, ProtocolError, pack

# --- RESP -------------------------------------------------------------------------


def test_pack_writes_one_buffer_of_bulk_strings() -> None:
    assert pack([("ZADD", "k", 1.5, b"\xff")]) == (
        b"*4\r\n$4\r\nZADD\r\n$1\r\nk\r\n$3\r\n1.5\r\n$1\r\n\xff\r\n"
    )
    assert pack([("A",), ("B", 7)]) == b"*1\r\n$1\r\nA\r\n*2\r\n$1\r\nB\r\n$1\r\n7\r\n"
    assert pack([("SET", "clé")], encoding="latin-1") == b"*2\r\n$3\r\nSET\r\n$3\r\ncl\xe9\r\n"
    with pytest.raises(TypeError):
        pack([("SET", True)])


def _encode(value: object) -> bytes:
    """A reference RESP3 encoder for the parser tests."""
    if value is None:
        return b"_\r\n"
    if isinstance(value, bool):
        return b"#t\r\n" if value else b"#f\r\n"
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, float):
        return b",%s\r\n" % repr(value).encode()
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if isinstance(value, ErrorReply):
        return b"-%s\r\n" % value.message.encode()
    if isinstance(value, dict):
        return b"%%%d\r\n" % len(value) + b"".join(
            _encode(k) + _encode(v) for k, v in value.items()
        )
    assert isinstance(value, list)
    return b"*%d\r\n" % len(value) + b"".join(_encode(item) for item in value)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.binary(max_size=40)
    | st.text(alphabet="ABCDEFG xyz", min_size=1, max_size=20).map(ErrorReply)
)
replies = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.binary(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(st.lists(replies, max_size=6), st.data())
def test_the_parser_reads_replies_however_the_bytes_are_split(
    values: list[object], data: st.DataObject
) -> None:
    stream = b"".join(_encode(value) for value in values)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    parser = Parser()
    got: list[object] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += parser.feed(stream[start:cut])
        start = cut
    assert got == values
    assert not parser.pending


def test_the_parser_reads_resp2_and_the_rest_of_resp3() -> None:
    parser = Parser()
    assert parser.feed(b"+OK\r\n$-1\r\n*-1\r\n:12\r\n(123456789012345678901\r\n") == [
        b"OK",
        None,
        None,
        12,
        123456789012345678901,
    ]
    assert parser.feed(b",inf\r\n,-inf\r\n=8\r\ntxt:abcd\r\n!5\r\nERR x\r\n~2\r\n:1\r\n:2\r\n") == [
        math.inf,
        -math.inf,
        b"abcd",
        ErrorReply("ERR x"),
        [1, 2],
    ]


def test_push_messages_and_attributes_are_not_replies() -> None:
    parser = Parser()
    push = b">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n_\r\n"
    attribute = b"|1\r\n$3\r\nttl\r\n:5\r\n"
    assert parser.feed(push + b":1\r\n" + attribute + b"$1\r\nv\r\n" + push) == [1, b"v"]


def test_garbage_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        Parser().feed(b"?what\r\n")
    with pytest.raises(ProtocolError):
        Parser().feed(b":notanumber\r\n")


# --- the retry policy ---------------------------------------------------------------


def _play(send: Send, outcomes: list[object]) -> tuple[object, list[Any]]:
    """Run ``exchange`` answering each Wire from ``outcomes``; its result and every step."""
    policy = exchange(send)
    steps: list[Any] = []
    answer: object = None
    try:
        while True:
            step = policy.send(answer)
            steps.append(step)
            answer = outcomes.pop(0) if isinstance(step, Wire) else None
    except StopIteration as stop:
        return stop.value, steps


def _kinds(steps: list[Any]) -> list[str]:
    return [type(step).__name__ for step in steps]


ZADD = Send((("ZADD", "k", "1", b"m"),), "add", resend=False)
ZSCORE = Send((("ZSCORE", "k", b"m"),), "score", resend=True)
LOST = LinkFailure(redis.exceptions.ConnectionError("Connection closed by server."), sent=True)
REFUSED = LinkFailure(redis.exceptions.ConnectionError("Connection refused"), sent=False)


def test_a_settled_first_attempt_is_the_answer() -> None:
    assert _play(ZADD, [[1]]) == ([1], [Wire("k", ZADD.commands)])


def test_a_write_that_may_have_been_sent_is_never_sent_again() -> None:
    with pytest.raises(redis.exceptions.ConnectionError, match="may or may not") as raised:
        _play(ZADD, [LOST, [1]])
    assert "add on 'k'" in str(raised.value)
    assert raised.value.__cause__ is LOST.error


def test_a_write_that_never_left_is_sent_again() -> None:
    result, steps = _play(ZADD, [REFUSED, [1]])
    assert result == [1]
    assert _kinds(steps) == ["Wire", "Refresh", "Sleep", "Wire"]


def test_a_read_is_sent_again_after_a_lost_reply_until_the_attempts_run_out() -> None:
    assert _play(ZSCORE, [LOST, [b"2"]])[0] == [b"2"]
    with pytest.raises(redis.exceptions.ConnectionError):
        _play(ZSCORE, [LOST] * MAX_ATTEMPTS)


def _moved() -> ServerError:
    return ServerError("MOVED", redis.exceptions.MovedError("3999 127.0.0.1:7001"))


def test_redirects_and_refusals_are_followed_for_writes_too() -> None:
    moved = _moved()
    ask = ServerError("ASK", redis.exceptions.AskError("3999 127.0.0.1:7002"))
    busy = ServerError("TRYAGAIN", redis.exceptions.TryAgainError("Multiple keys request"))
    result, steps = _play(ZADD, [[moved], [ask], [busy], [1]])
    assert result == [1]
    assert _kinds(steps) == ["Wire", "Refresh", "Wire", "Wire", "Sleep", "Wire"]
    assert steps[2].asking is moved  # straight to the node MOVED names, as well as a refresh
    assert steps[3].asking is ask


def test_a_blocking_pop_unblocked_by_a_failover_is_sent_again_after_a_refresh() -> None:
    """UNBLOCKED: the master became a replica and its BZPOPMIN popped nothing."""
    pop = Send((("BZPOPMIN", "k", "1"),), "pop", resend=False, wait=1.0)
    unblocked = ServerError(
        "UNBLOCKED", redis.exceptions.ResponseError("UNBLOCKED force unblock (master -> replica?)")
    )
    result, steps = _play(pop, [[unblocked], [[b"k", b"m", b"1"]]])
    assert result == [[b"k", b"m", b"1"]]
    assert _kinds(steps) == ["Wire", "Refresh", "Sleep", "Wire"]


def test_redirects_pause_once_the_topology_keeps_naming_another_node() -> None:
    result, steps = _play(ZADD, [[_moved()], [_moved()], [_moved()], [1]])
    assert result == [1]
    assert _kinds(steps).count("Sleep") == 1


def test_only_the_redirected_commands_of_a_pipeline_are_sent_again() -> None:
    send = Send((("ZADD", "k", "1", b"a"), ("ZADD", "k", "1", b"b")), "update", resend=False)
    result, steps = _play(send, [[1, _moved()], [1]])
    assert result == [1, 1]
    assert steps[-1].commands == (("ZADD", "k", "1", b"b"),)


def _paused(steps: list[Any]) -> float:
    return sum(step.seconds for step in steps if isinstance(step, Sleep))


def test_a_refusal_that_outlasts_our_patience_is_returned_for_the_core_to_raise() -> None:
    """TRYAGAIN while a slot moves, CLUSTERDOWN in a failover: waited out for PATIENCE seconds."""
    busy = ServerError("TRYAGAIN", redis.exceptions.TryAgainError("x"))
    result, steps = _play(ZADD, [[busy]] * 100)
    assert result == [busy]
    assert PATIENCE <= _paused(steps) < PATIENCE + 1
    assert all(isinstance(step, Wire | Refresh | Sleep) for step in steps)
    assert max(step.seconds for step in steps if isinstance(step, Sleep)) <= 0.5


def test_a_refusal_for_seconds_is_ridden_out() -> None:
    """A failover's CLUSTERDOWN for about three seconds, then the write runs once."""
    down = ServerError("CLUSTERDOWN", redis.exceptions.ClusterDownError("The cluster is down"))
    result, steps = _play(ZADD, [[down]] * 9 + [[1]])
    assert result == [1]
    assert 2.5 < _paused(steps) < PATIENCE


def test_connections_that_cannot_be_made_are_tried_for_our_patience_then_raised() -> None:
    with pytest.raises(redis.exceptions.ConnectionError, match="refused"):
        _play(ZADD, [REFUSED] * 100)
    _, steps = _play(ZADD, [REFUSED] * 8 + [[1]])
    assert _paused(steps) < PATIENCE


def test_redirects_are_followed_a_bounded_number_of_times() -> None:
    result, steps = _play(ZADD, [[_moved()]] * 100)
    assert isinstance(result, list)
    assert isinstance(result[0], ServerError)
    assert sum(isinstance(step, Wire) for step in steps) == MAX_REDIRECTS + 1


def test_a_large_value_in_many_small_reads_comes_out_whole() -> None:
    value = bytes(range(256)) * 20_000  # 5 MB
    data = b"*2\r\n$%d\r\n%s\r\n:7\r\n" % (len(value), value) + b"+OK\r\n"
    parser = Parser()
    got: list[object] = []
    for start in range(0, len(data), 4096):
        got += parser.feed(data[start : start + 4096])
    assert got == [[value, 7], b"OK"]
    assert not parser.pending


def test_an_empty_push_message_is_not_a_reply() -> None:
    assert Parser().feed(b">0\r\n:1\r\n>1\r\n$3\r\nbye\r\n") == [1]
