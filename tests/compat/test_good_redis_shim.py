"""good-redis's ``ps*`` methods through the shim, on a real server, blocking and asyncio.

Every operation of SPEC §6's good-redis list, with good-redis's signatures
and return values (its documentation where its code differs; the shim's
``Redis`` docstring lists each difference).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conftest import Server
from typedset import BytesCodec, PriorityStream
from typedset.compat.good_redis import AsyncRedis, Redis
from typedset.testing.blocking import BlockingView


@pytest.fixture(params=["sync", "async"])
def gr(request: pytest.FixtureRequest, server: Server) -> Iterator[Any]:
    """The shim's ``Redis``, or its ``AsyncRedis`` driven one call at a time."""
    if request.param == "sync":
        client = Redis.from_url(server.url)
        yield client
        client.close()
        return
    loop = asyncio.new_event_loop()
    aclient = AsyncRedis.from_url(server.url)
    yield BlockingView(aclient, loop)
    loop.run_until_complete(aclient.aclose())
    loop.close()


def test_psadd_accumulates_and_pspull_takes_the_highest_as_bytes(gr: Any, name: str) -> None:
    assert gr.psadd(name, "task_1", "Process data", 10) == 10.0
    assert gr.psadd(name, "task_1", "Process data v2", 5) == 15.0  # priorities add up
    assert gr.psaddmany(name, [("task_2", "Send email", 8), ("task_3", b"\x00raw", 12)]) == [
        8.0,
        12.0,
    ]
    assert gr.pslen(name) == 3
    assert gr.pspull(name) == {"task_1": b"Process data v2"}
    assert gr.pspull(name, count=5) == {"task_3": b"\x00raw", "task_2": b"Send email"}
    assert gr.pspull(name, count=2) == {}
    assert gr.pslen(name) == 0


def test_empty_batches_and_counts_below_one_do_nothing_as_in_good_redis(gr: Any, name: str) -> None:
    gr.psadd(name, "a", "A")
    assert gr.psaddmany(name, []) == []
    assert gr.pspull(name, count=0) == {}
    assert gr.pspull(name, count=-3) == {}
    assert gr.pslen(name) == 1
    with pytest.raises(TypeError, match="count"):
        gr.pspull(name, count="2")


def test_values_are_bytes_whatever_decode_responses_says(server: Server, name: str) -> None:
    client = Redis.from_url(server.url, decode_responses=True)
    try:
        assert client.psadd(name, "a", "text") == 1.0
        assert client.psget(name, "a") == b"text"
        assert client.pskeys(name) == [b"a"]
        assert client.hget("{" + name + "}:values", "a") == "text"  # redis-py's own: str
        assert client.pspull(name) == {"a": b"text"}
    finally:
        client.close()


def test_keys_and_values_of_other_types_are_stored_as_redis_py_sends_them(
    gr: Any, name: str
) -> None:
    gr.psadd(name, 7, 1.5)
    gr.psadd(name, b"bytes-key", 42)
    gr.psadd(name, 2.5, "text")
    assert gr.psget(name, "7") == b"1.5"
    assert gr.psget(name, 7) == b"1.5"
    assert gr.psget(name, "bytes-key") == b"42"
    assert gr.psget(name, 2.5) == b"text"
    assert gr.psget(name, "absent") is None


def test_a_value_redis_py_refuses_is_refused_at_the_call_and_nothing_is_written(
    gr: Any, name: str
) -> None:
    with pytest.raises(TypeError, match="bool"):
        gr.psadd(name, "a", True)
    with pytest.raises(TypeError, match="NoneType"):
        gr.psaddmany(name, [("ok", "v", 1), ("b", None, 1)])
    with pytest.raises(ValueError, match="UTF-8"):
        gr.psadd(name, b"\xff", "v")
    assert gr.pslen(name) == 0


def test_a_pulled_key_is_refused_until_readd_and_a_gated_one_too(gr: Any, name: str) -> None:
    gr.psadd(name, "a", "A", 3)
    gr.psadd(name, "b", "B", 1)
    assert gr.pspull(name, gate=True) == {"a": b"A"}
    assert gr.psadd(name, "a", "again", 9) == 0  # gated and cooling down: refused
    assert gr.psaddmany(name, [("a", "x", 1), ("c", "C", 2)]) == [0, 2.0]
    assert gr.psadd(name, "a", "again", 9, readd=True) == 9.0
    assert gr.psaddmany(name, [("a", "y", 1)], readd=True) == [10.0]
    assert gr.psget(name, "a") == b"y"


def test_pspull_without_purge_keeps_items_lowered_by_the_decay(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("a", "A", 5), ("b", "B", 4.5)])
    assert gr.pspull(name, count=1, purge=False) == {"a": b"A"}
    # kept at 5 - 1 = 4 (documented "decreases their priority"; good-redis's code sets -1)
    assert gr.pskeys(name, withscores=True) == [(b"a", 4.0), (b"b", 4.5)]
    assert gr.pspull(name, count=2, purge=False) == {"b": b"B", "a": b"A"}
    assert gr.pskeys(name, withscores=True) == [(b"a", 3.0), (b"b", 3.5)]
    assert gr.psadd(name, "a", "A2") == 0  # kept items cool down like purged ones


def test_a_kept_item_goes_when_its_cool_down_ends_and_the_key_can_be_added_again(
    gr: Any, name: str
) -> None:
    gr.psadd(name, "a", "A", 5)
    gr.psadd(name, "b", "B", 1)
    assert gr.pspull(name, purge=False, expire_at=timedelta(seconds=0.3)) == {"a": b"A"}
    assert gr.psget(name, "a") == b"A"
    deadline = time.monotonic() + 10
    while gr.psget(name, "a") is not None:  # every call sweeps the ended cool-downs
        assert time.monotonic() < deadline, "the cool-down never ended"
        time.sleep(0.05)
    assert gr.pslen(name) == 1
    assert gr.psadd(name, "a", "A3", 2) == 2.0


def test_expire_at_takes_a_datetime_aware_or_naive_local(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("past", "p", 3), ("aware", "a", 2), ("naive", "n", 1)])
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    assert gr.pspull(name, purge=False, expire_at=past) == {"past": b"p"}
    assert gr.psget(name, "past") is None  # its cool-down was already over: gone
    assert gr.psadd(name, "past", "p2") == 1.0
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert gr.pspull(name, expire_at=later) == {"aware": b"a"}
    assert gr.psadd(name, "aware", "a2") == 0
    assert gr.pspull(name, count=2, expire_at=datetime.now() + timedelta(hours=1)) == {
        "naive": b"n",
        "past": b"p2",
    }
    assert gr.psadd(name, "naive", "n2") == 0
    with pytest.raises(TypeError, match="expire_at"):
        gr.pspull(name, expire_at=60)


def test_psincrement_raises_a_priority_and_creates_nothing(gr: Any, name: str) -> None:
    gr.psadd(name, "a", "A", 1)
    assert gr.psincrement(name, "a", 5) == 6.0
    assert gr.psincrement(name, "a", -2.5) == 3.5
    assert gr.psincrement(name, "ghost", 5) is None
    assert gr.pskeys(name) == [b"a"]
    assert gr.pslen(name) == 1


def test_psdecrement_all_lowers_every_priority_and_counts_the_items(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("a", "A", 5), ("b", "B", 2)])
    assert gr.psdecrement_all(name, 2) == 2
    assert gr.pskeys(name, withscores=True) == [(b"b", 0.0), (b"a", 3.0)]
    assert gr.psdecrement_all(name, decrement=0.5) == 2


def test_psdeletebelowthreshold_removes_strictly_below_and_can_gate(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("a", "A", 1), ("b", "B", 2), ("c", "C", 3), ("d", "D", 0.5)])
    assert gr.psdeletebelowthreshold(name, 2) == [b"d", b"a"]  # lowest first; 2 stays
    assert gr.pskeys(name) == [b"b", b"c"]
    assert gr.psdeletebelowthreshold(name, threshold=3, gate=True) == [b"b"]
    assert gr.psadd(name, "b", "B2") == 0  # gated
    assert gr.psadd(name, "a", "A2") == 1.0  # removed without a gate: accepted
    assert gr.psadd(name, "b", "B3", readd=True) == 1.0


def test_pskeys_lists_in_zrange_order_and_psvalues_by_priority(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("b", "B", 2), ("a", "A", 1), ("c", "C", 3), ("z", "Z", 2)])
    assert gr.pskeys(name) == [b"a", b"b", b"z", b"c"]  # ties in key order, as ZRANGE
    assert gr.pskeys(name, desc=True) == [b"c", b"z", b"b", b"a"]
    assert gr.pskeys(name, desc=True, withscores=True) == [
        (b"c", 3.0),
        (b"z", 2.0),
        (b"b", 2.0),
        (b"a", 1.0),
    ]
    values = gr.psvalues(name)
    assert values == {"a": b"A", "b": b"B", "c": b"C", "z": b"Z"}
    assert list(values) == ["c", "z", "b", "a"]


def test_psdelete_forgets_items_gates_and_cool_downs(gr: Any, name: str) -> None:
    gr.psaddmany(name, [("a", "A", 1), ("b", "B", 2)])
    gr.pspull(name, gate=True)
    assert gr.psdelete(name) is None
    assert gr.pslen(name) == 0
    assert gr.pskeys(name) == []
    assert gr.psadd(name, "b", "B") == 1.0  # its gate and cool-down went too


def test_psexpire_ends_the_cool_downs_that_are_over_in_the_streams_used(
    gr: Any, name: str, server: Server
) -> None:
    other = name + ":other"
    gr.psaddmany(name, [("a", "A", 1), ("b", "B", 2)])
    gr.psadd(other, "c", "C")
    gr.pspull(name, count=2, purge=False, expire_at=timedelta(seconds=0.2))
    gr.pspull(other, purge=False, expire_at=timedelta(seconds=0.2))
    time.sleep(0.3)
    raw = server.client()
    try:
        # nothing swept yet: the kept items and cool-downs are still stored
        assert raw.zcard(name) == 2
        assert gr.psexpire() == 3
        assert raw.zcard(name) == 0
        assert raw.zcard(other) == 0
        assert gr.psexpire() == 0
    finally:
        raw.delete(other, "{" + other + "}:values", "{" + other + "}:cooling")
        raw.delete("{" + other + "}:kind")
        raw.close()


def test_the_shim_and_a_typed_priority_stream_share_one_stream(
    gr: Any, name: str, server: Server
) -> None:
    gr.psadd(name, "a", "from the shim", 2)
    raw = server.client()
    try:
        typed = PriorityStream(raw, name, serializer=BytesCodec())
        typed.add("b", b"from typedset", 5)
        assert gr.pspull(name) == {"b": b"from typedset"}
        assert typed.pull() == {"a": b"from the shim"}
    finally:
        raw.close()
