"""PriorityStream does what the sorted sets do (issue 13, item 4), on a real server, both twins.

* Dead letters: a value that cannot be decoded moves, raw bytes, reason and
  priority, to the stream's dead-letter store and is logged; ``s[key]`` and
  ``get`` raise ``DecodeError`` after moving it, ``pull`` and the walks skip
  it, ``requeue_dead`` puts it back.
* ``pull(timeout=)`` waits for the first item, and a wait that is cancelled
  or loses its connection takes nothing.
* ``cooling()``, ``gated()``, ``ungate()`` and ``cool_down()``.
* ``in`` and ``contains`` for a value of another type, the same for every kind.

The server's own keys are read directly wherever a test claims that
something was, or was not, written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
import redis
import redis.asyncio

from conftest import Flavour, Server
from typedset import (
    DecodeError,
    JsonCodec,
    MsgspecCodec,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset._keys import stream_keys
from typedset._stream_ops import StreamDeadLetter
from typedset.aio import AsyncPriorityStream
from typedset.testing import (
    AsyncMemoryPriorityStream,
    AsyncMemorySortedSet,
    MemoryPriorityStream,
    MemoryScheduledSet,
    MemorySortedSet,
    MemoryTimeSortedSet,
)
from typedset.testing.blocking import BlockingView
from typedset.testing.proxy import FaultProxy

#: For tests that mostly wait: the server's clock and typedset's polling decide
#: there, not the client library, so one library per topology is enough.
timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)


class Feed(msgspec.Struct, frozen=True):
    url: str


def store_raw(r: redis.Redis, name: str, key: str, raw: bytes, priority: float) -> None:
    """Store ``raw`` under ``key`` as a foreign writer would: no codec involved."""
    r.zadd(name, {key: priority})
    r.hset(stream_keys(name).values, key, raw)


def server_now(r: redis.Redis) -> float:
    seconds, micros = r.time()
    return seconds + micros / 1_000_000


@pytest.fixture
def feeds(flavour: Flavour, r: redis.Redis, name: str) -> PriorityStream[Feed]:
    """A stream of ``Feed``: good ``a`` (5), bad ``b`` (4), good ``c`` (3) and ``d`` (1)."""
    s = flavour(PriorityStream(r, name, serializer=MsgspecCodec(Feed)))
    s.add_many([("a", Feed("A"), 5.0), ("c", Feed("C"), 3.0), ("d", Feed("D"), 1.0)])
    store_raw(r, name, "b", b"not json", 4.0)
    return s


# --- dead letters ---------------------------------------------------------------------


def test_get_moves_an_undecodable_value_to_the_dead_letters_then_raises(
    feeds: PriorityStream[Feed], r: redis.Redis, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = server_now(r)
    with caplog.at_level(logging.WARNING, logger="typedset"), pytest.raises(DecodeError) as info:
        feeds["b"]
    assert info.value.raw == b"not json"
    assert "dead-letter" in caplog.text
    assert "'b'" in caplog.text
    [letter] = feeds.dead_letters()
    assert isinstance(letter, StreamDeadLetter)
    assert (letter.key, letter.raw, letter.score) == ("b", b"not json", 4.0)
    assert letter.reason == info.value.reason
    assert letter.reason
    assert before <= letter.at <= server_now(r)
    # it left the stream: neither the priorities nor the values hold it
    assert "b" not in feeds
    assert feeds.get("b") is None
    assert r.zscore(name, "b") is None
    assert not r.hexists(stream_keys(name).values, "b")
    assert list(feeds) == ["a", "c", "d"]


def test_get_raises_decode_error_too_rather_than_returning_the_default(
    feeds: PriorityStream[Feed],
) -> None:
    with pytest.raises(DecodeError):
        feeds.get("b", Feed("default"))
    assert [d.key for d in feeds.dead_letters()] == ["b"]
    assert feeds.get("b", Feed("default")) == Feed("default")  # moved: absent now


def test_pull_skips_an_undecodable_value_and_does_not_top_up(
    feeds: PriorityStream[Feed], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="typedset"):
        assert feeds.pull(2) == {"a": Feed("A")}  # b was taken too, and moved aside
    assert "dead-letter" in caplog.text
    assert [(d.key, d.raw, d.score) for d in feeds.dead_letters()] == [("b", b"not json", 4.0)]
    assert feeds.pull(5) == {"c": Feed("C"), "d": Feed("D")}
    assert "b" in feeds.cooling()  # pulled: it cools down as the others do


def test_a_kept_undecodable_value_leaves_the_stream_for_the_dead_letters(
    feeds: PriorityStream[Feed], r: redis.Redis, name: str
) -> None:
    assert feeds.pull(2, purge=False) == {"a": Feed("A")}
    assert list(feeds) == ["a", "c", "d"]  # a kept, lowered by the decay to 4; b moved
    assert r.zscore(name, "b") is None
    assert [(d.key, d.score) for d in feeds.dead_letters()] == [("b", 4.0)]  # before the pull


def test_walking_values_moves_undecodable_ones_and_walking_keys_does_not(
    feeds: PriorityStream[Feed],
) -> None:
    assert list(feeds) == ["a", "b", "c", "d"]  # keys alone decode nothing
    assert feeds.dead_letters() == []
    assert list(feeds.values()) == [Feed("A"), Feed("C"), Feed("D")]
    assert [d.key for d in feeds.dead_letters()] == ["b"]
    assert list(feeds.items()) == [("a", Feed("A")), ("c", Feed("C")), ("d", Feed("D"))]
    assert len(feeds) == 3


def test_a_value_replaced_after_it_was_read_is_not_buried(r: redis.Redis, name: str) -> None:
    """A read moves the bytes it met only while the key still holds exactly them: a writer
    may have replaced them between the read and the move (two round trips)."""
    s = PriorityStream(r, name, serializer=JsonCodec())
    store_raw(r, name, "k", b'"fixed"', 2.0)  # what a writer stored after our read met "{bad"
    ops = s._ops  # pyright: ignore[reportPrivateUsage]
    met = ops._bury("k", b"{bad", "JSONDecodeError", "", "seen")  # pyright: ignore[reportPrivateUsage]
    s._flow(ops._quarantine(met))  # pyright: ignore[reportPrivateUsage]
    assert s.dead_letters() == []
    assert s["k"] == "fixed"
    assert s.priority("k") == 2.0


def test_requeue_dead_puts_values_back_with_key_and_priority_lifting_gate_and_cool_down(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    feeds = flavour(PriorityStream(r, name, serializer=MsgspecCodec(Feed)))
    store_raw(r, name, "b", b'{"url": "B"', 4.0)  # truncated JSON
    feeds.add("a", Feed("A"), 1.0)
    assert feeds.pull(2, gate=True) == {"a": Feed("A")}
    assert feeds.gated() == {"a", "b"}
    assert set(feeds.cooling()) == {"a", "b"}
    assert feeds.requeue_dead() == 1
    assert feeds.dead_letters() == []
    assert feeds.priority("b") == 4.0
    assert feeds.gated() == {"a"}
    assert set(feeds.cooling()) == {"a"}
    r.hset(stream_keys(name).values, "b", b'{"url": "B"}')  # the writer's bug is fixed
    assert feeds.pull() == {"b": Feed("B")}


def test_requeue_dead_leaves_the_dead_letter_of_a_key_that_holds_an_item_again(
    feeds: PriorityStream[Feed],
) -> None:
    assert feeds.pull(2) == {"a": Feed("A")}
    assert feeds.add("b", Feed("B2"), 7.0, readd=True) == 7.0
    assert feeds.requeue_dead() == 0
    assert feeds["b"] == Feed("B2")
    assert feeds.priority("b") == 7.0
    assert [d.raw for d in feeds.dead_letters()] == [b"not json"]  # and so does the old value


def test_a_key_buried_twice_keeps_both_values_and_requeues_them_one_at_a_time(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """A later dead letter of a key must not replace its earlier one: that value would be lost."""
    s = flavour(PriorityStream(r, name, serializer=JsonCodec()))
    store_raw(r, name, "k", b"{first", 1.0)
    assert s.pull() == {}
    store_raw(r, name, "k", b"{second", 2.0)  # the foreign writer again, same key
    with pytest.raises(DecodeError):
        s["k"]
    letters = s.dead_letters()
    assert [(d.key, d.raw, d.score) for d in letters] == [
        ("k", b"{first", 1.0),
        ("k", b"{second", 2.0),
    ]
    assert s.requeue_dead() == 1  # a key holds one item: the oldest goes back, the other waits
    assert r.hget(stream_keys(name).values, "k") == b"{first"
    assert [d.raw for d in s.dead_letters()] == [b"{second"]
    r.hset(stream_keys(name).values, "k", b'"first"')  # the writer's bug is fixed
    assert s.pull() == {"k": "first"}
    assert s.requeue_dead() == 1
    assert s.dead_letters() == []
    r.hset(stream_keys(name).values, "k", b'"second"')
    assert s.pull() == {"k": "second"}


def test_the_same_bytes_buried_twice_under_one_key_are_one_dead_letter(
    r: redis.Redis, name: str
) -> None:
    """Two pulls of one kept item may both meet its bad bytes before either moves them."""
    s = PriorityStream(r, name, serializer=JsonCodec())
    ops = s._ops  # pyright: ignore[reportPrivateUsage]
    for priority in ("3", "2"):  # what each pull met: the second after the decay
        met = ops._bury("k", b"{bad", "JSONDecodeError", priority, "taken")  # pyright: ignore[reportPrivateUsage]
        s._flow(ops._quarantine(met))  # pyright: ignore[reportPrivateUsage]
    assert [(d.key, d.raw) for d in s.dead_letters()] == [("k", b"{bad")]
    assert s.requeue_dead() == 1
    assert s.requeue_dead() == 0
    assert s.dead_letters() == []
    assert len(s) == 1


def test_dead_letters_of_keys_that_are_not_utf8_or_hold_newlines_keep_their_key(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name, serializer=JsonCodec()))
    store_raw(r, name, "a\nb", b"{x", 2.0)
    r.zadd(name, {b"\xff\n": 1.0})
    r.hset(stream_keys(name).values, b"\xff\n", b'"fine"')
    assert s.pull(2) == {}
    assert sorted((d.key, d.raw) for d in s.dead_letters()) == [
        ("a\nb", b"{x"),
        ("\udcff\n", b'"fine"'),
    ]
    assert s.requeue_dead() == 2
    assert r.hget(stream_keys(name).values, "a\nb") == b"{x"
    assert r.hget(stream_keys(name).values, b"\xff\n") == b'"fine"'


def test_clear_keeps_dead_letters_until_they_are_cleared(
    feeds: PriorityStream[Feed], r: redis.Redis, name: str
) -> None:
    feeds.pull(4)
    feeds.clear()
    assert len(feeds.dead_letters()) == 1
    assert feeds.clear_dead_letters() == 1
    assert feeds.clear_dead_letters() == 0
    assert not r.exists(stream_keys(name).dead)


def test_dead_letters_keep_any_bytes_exactly(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(PriorityStream(r, name, serializer=JsonCodec()))
    raw = bytes(range(256)) + b"\n{}\n"  # every byte, newlines included
    store_raw(r, name, "k", raw, 1.5)
    assert s.pull() == {}
    [letter] = s.dead_letters()
    assert (letter.raw, letter.score) == (raw, 1.5)
    assert s.requeue_dead() == 1
    assert r.hget(stream_keys(name).values, "k") == raw


# --- pull(timeout=) ----------------------------------------------------------------------


def test_pull_with_a_timeout_returns_what_is_there_at_once(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 1.0), ("b", "B", 2.0)])
    started = time.monotonic()
    assert s.pull(5, timeout=30) == {"b": "B", "a": "A"}
    assert time.monotonic() - started < 10  # not the 30 s: it did not wait


@timed
def test_pull_with_a_timeout_on_an_empty_stream_waits_then_returns_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    started = time.monotonic()
    assert s.pull(timeout=0.3) == {}
    assert time.monotonic() - started >= 0.3


@timed
def test_pull_with_a_timeout_gets_an_item_added_while_it_waits(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    producer = PriorityStream(r, name)

    def add_later() -> None:
        time.sleep(0.3)
        producer.add("late", "L", 2.0)

    thread = threading.Thread(target=add_later)
    thread.start()
    started = time.monotonic()
    assert s.pull(3, timeout=20) == {"late": "L"}
    elapsed = time.monotonic() - started
    thread.join()
    assert 0.3 <= elapsed < 15
    assert len(s) == 0


def test_a_pull_wait_longer_than_the_socket_timeout_ends_on_time(server: Server, name: str) -> None:
    """The wait is polls, each a short command: the client's ``socket_timeout`` never ends it."""
    client = redis.Redis.from_url(server.url, socket_timeout=0.3)
    try:
        s = PriorityStream(client, name)
        started = time.monotonic()
        assert s.pull(timeout=1.0) == {}
        assert 1.0 <= time.monotonic() - started < 8
    finally:
        client.close()


@timed
def test_waiting_pulls_share_the_items_each_delivered_exactly_once(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """Four consumers wait in pull(timeout=) while a producer adds 300 items in bursts."""
    total, consumers = 300, 4
    delivered: list[list[str]] = [[] for _ in range(consumers)]
    producer = PriorityStream(r, name)

    produced = threading.Event()

    def consume(mine: list[str]) -> None:
        s, close = fresh_stream(flavour, name)
        try:
            while True:
                after_the_last_add = produced.is_set()
                got = s.pull(7, timeout=0.5)
                mine.extend(got)
                if not got and after_the_last_add:
                    return  # this wait began after every add and saw nothing left
        finally:
            close()

    threads = [threading.Thread(target=consume, args=(mine,)) for mine in delivered]
    for thread in threads:
        thread.start()
    for burst in range(0, total, 30):
        producer.add_many([(f"k{i:03}", "v", float(i % 5)) for i in range(burst, burst + 30)])
        time.sleep(0.02)
    produced.set()
    for thread in threads:
        thread.join(timeout=60)
    every = [key for mine in delivered for key in mine]
    assert len(every) == len(set(every)), "an item was delivered twice"
    assert set(every) == {f"k{i:03}" for i in range(total)}, "an item was lost"
    assert len(producer) == 0


@timed
def test_pullers_and_readers_racing_over_undecodable_values_lose_and_double_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """Pulls, reads and walks meet the same bad values at once: each good value is delivered
    once, each bad one lands in the dead letters once, nothing is left or made twice."""
    good = {f"g{i:03}" for i in range(150)}
    bad = {f"b{i:03}" for i in range(60)}
    producer = PriorityStream(r, name, serializer=JsonCodec())
    producer.add_many([(key, key, float(i % 9)) for i, key in enumerate(sorted(good))])
    for i, key in enumerate(sorted(bad)):
        store_raw(r, name, key, b"{" + key.encode(), float(i % 9))
    delivered: list[list[str]] = [[] for _ in range(3)]

    def pull(mine: list[str]) -> None:
        s, close = fresh_stream(flavour, name, JsonCodec())
        try:
            while True:
                got = s.pull(4, timeout=0.05)  # {} when it met only bad values
                mine.extend(got)
                if not got and s.size() == 0:
                    return
        finally:
            close()

    def read() -> None:
        s, close = fresh_stream(flavour, name, JsonCodec())
        try:
            for key in sorted(bad)[::2]:
                with contextlib.suppress(DecodeError, KeyError):
                    s[key]
            list(s.items())
        finally:
            close()

    threads = [threading.Thread(target=pull, args=(mine,)) for mine in delivered]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [key for mine in delivered for key in mine]
    assert len(every) == len(set(every)), "a value was delivered twice"
    letters = [(d.key, d.raw) for d in producer.dead_letters()]
    assert len(letters) == len(set(letters)) == len(bad), "a bad value was buried twice or lost"
    assert {key for key, _ in letters} == bad
    assert set(every) == good, "a good value was lost"
    assert len(producer) == 0


def fresh_stream(
    flavour: Flavour, name: str, serializer: Any = None
) -> tuple[Any, Callable[[], None]]:
    """The stream on a client of its own (as another process has), for one thread; and
    what closes that client."""
    codec: dict[str, Any] = {} if serializer is None else {"serializer": serializer}
    if flavour.kind == "sync":
        client = flavour.target.client()
        return PriorityStream(client, name, **codec), client.close
    loop = asyncio.new_event_loop()
    async_client = flavour.target.async_client()

    def close() -> None:
        loop.run_until_complete(async_client.aclose())
        loop.close()

    return BlockingView(AsyncPriorityStream(async_client, name, **codec), loop), close


def test_pull_timeout_is_checked_before_anything_is_sent(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("a", "A")
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            s.pull(timeout=bad)
    with pytest.raises(TypeError, match="timeout"):
        s.pull(timeout="1")  # type: ignore[arg-type]
    assert s["a"] == "A"
    assert s.cooling() == {}


def test_a_cancelled_pull_wait_takes_nothing(server: Server, name: str) -> None:
    """Cancelled while it waits, a pull must not take the item that comes next."""

    async def body() -> None:
        client = server.async_client()
        s = AsyncPriorityStream(client, name)
        try:
            for round_ in range(15):
                waiting = asyncio.create_task(s.pull(timeout=10))
                await asyncio.sleep(0.03 + 0.01 * (round_ % 3))
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                assert await s.add(f"k{round_}", "v") == 1.0
                await asyncio.sleep(0.06)  # time for a poll that outlived its caller to pull
                assert await s.size() == 1, f"round {round_}: the item was taken by a cancel"
                assert f"k{round_}" not in await s.cooling()  # nor pulled
                assert await s.pull() == {f"k{round_}": "v"}
        finally:
            await s.clear()
            await client.aclose()

    asyncio.run(body())


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy(server.url) as running:
        yield running


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_connection_lost_while_pull_waits_loses_nothing(
    proxy: FaultProxy, server: Server, plain: redis.Redis, name: str, kind: str
) -> None:
    """The wait's polls are reads: one whose reply is lost is sent again, and the item
    added after that is delivered once, to the waiting pull."""
    loop = asyncio.new_event_loop()
    if kind == "sync":
        client: Any = redis.Redis(host="127.0.0.1", port=proxy.port)
        s: Any = PriorityStream(client, name)
    else:
        client = redis.asyncio.Redis(host="127.0.0.1", port=proxy.port)
        s = BlockingView(AsyncPriorityStream(client, name), loop)
    producer = PriorityStream(plain, name)

    def cut_then_add() -> None:
        time.sleep(0.2)  # the pull is waiting: its polls go through the proxy
        proxy.cut_next_reply()
        deadline = time.monotonic() + 10
        while proxy.faults == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        producer.add("job", "J")

    faults = proxy.faults
    thread = threading.Thread(target=cut_then_add)
    thread.start()
    try:
        delivered = s.pull(timeout=20)
    finally:
        thread.join()
        if kind == "sync":
            client.close()
        else:
            loop.run_until_complete(client.aclose())
        loop.close()
    assert proxy.faults == faults + 1  # a reply was lost during the wait
    assert delivered == {"job": "J"}  # delivered once, to the waiting pull
    assert len(producer) == 0
    assert list(producer.cooling()) == ["job"]


def _stream_with_a_dead_letter_and_a_gated_kept_key(s: PriorityStream[str], r: redis.Redis) -> None:
    store_raw(r, s.name, "bad", b"\xff", 9.0)  # not UTF-8: StrCodec cannot read it
    s.add("kept", "K", 1.0)
    assert s.pull(2, purge=False, gate=True, expire_in=timedelta(hours=1)) == {"kept": "K"}


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ("requeue_dead", lambda s: s.dead_letters() == [] and s.priority("bad") == 9.0),
        ("ungate", lambda s: s.gated() == {"bad"}),
        ("cool_down", lambda s: set(s.cooling()) == {"bad"} and "kept" not in s),
        ("dead_letters", None),
        ("cooling", None),
        ("gated", None),
    ],
)
def test_a_lost_reply_never_resends_requeue_dead_ungate_or_cool_down(
    proxy: FaultProxy, plain: redis.Redis, name: str, op: str, check: Any
) -> None:
    """The three edits are writes: sent once, the caller told; the three listings are reads:
    sent again, answering what a second look answers."""
    calls: dict[str, Callable[[PriorityStream[str]], object]] = {
        "requeue_dead": lambda s: s.requeue_dead(),
        "ungate": lambda s: s.ungate("kept"),
        "cool_down": lambda s: s.cool_down("kept", 0),
        "dead_letters": lambda s: [d.raw for d in s.dead_letters()],
        "cooling": lambda s: set(s.cooling()),
        "gated": lambda s: s.gated(),
    }
    client = redis.Redis(host="127.0.0.1", port=proxy.port)
    try:
        warm = PriorityStream(client, name + ":warm")  # loads the script: not under test
        _stream_with_a_dead_letter_and_a_gated_kept_key(warm, plain)
        calls[op](warm)
        warm.clear_dead_letters()
        warm.clear()
        s = PriorityStream(client, name)
        _stream_with_a_dead_letter_and_a_gated_kept_key(s, plain)
        expected = calls[op](PriorityStream(plain, name)) if check is None else None
        start = len(proxy.commands)
        proxy.cut_next_reply()
        if check is None:
            assert calls[op](s) == expected
            assert len(proxy.commands) - start >= 2  # sent again after the lost reply
        else:
            with pytest.raises(redis.ConnectionError, match="may or may not have been"):
                calls[op](s)
            sent = [c for c in proxy.commands[start:] if c[0].upper() in (b"EVALSHA", b"SREM")]
            assert len(sent) == 1, sent  # never sent again
            assert check(PriorityStream(plain, name)), "the write took effect once"
    finally:
        client.close()


# --- cooling(), gated(), ungate(), cool_down() ----------------------------------------------


def test_cooling_lists_pulled_keys_with_server_deadlines_soonest_first(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 3.0), ("b", "B", 2.0), ("c", "C", 1.0)])
    at = datetime.now(timezone.utc) + timedelta(minutes=5)
    before = server_now(r)
    s.pull(expire_in=timedelta(hours=1))
    after = server_now(r)
    s.pull(expire_at=at)
    s.pull(expire_in=0)  # over at once: not cooling
    cooling = s.cooling()
    assert list(cooling) == ["b", "a"]
    assert cooling["b"] == at
    assert cooling["a"].tzinfo is not None
    # the server's clock (a millisecond of slack for the rounding to microseconds)
    assert before + 3600 - 0.001 <= cooling["a"].timestamp() <= after + 3600 + 0.001
    assert s.gated() == set()


def test_cool_down_starts_moves_and_ends_a_cool_down(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    at = datetime.now(timezone.utc) + timedelta(hours=2)
    assert s.cool_down("x", at) == at
    assert s.add("x", "X") is None  # refused while cooling down
    before = server_now(r)
    deadline = s.cool_down("x", timedelta(seconds=90))  # moved, earlier
    assert before + 90 - 0.001 <= deadline.timestamp() <= server_now(r) + 90 + 0.001
    assert s.cooling() == {"x": deadline}
    assert s.cool_down("x", 0) <= datetime.now(timezone.utc) + timedelta(seconds=5)  # ends now
    assert s.cooling() == {}
    assert s.add("x", "X") == 1.0


def test_a_cool_down_that_ends_takes_the_item_of_its_key_with_it(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """As for an item ``pull(purge=False)`` kept: a cool-down's end removes its key's item."""
    s = flavour(PriorityStream(r, name))
    s.add_many([("k", "K", 2.0), ("other", "O", 1.0)])
    assert s.pull(purge=False, expire_in=timedelta(hours=1)) == {"k": "K"}
    s.cool_down("k", timedelta(hours=2))  # moved
    assert s["k"] == "K"  # still there while it cools down
    s.cool_down("k", datetime.now(timezone.utc) - timedelta(seconds=1))
    assert list(s) == ["other"]
    assert s.cooling() == {}


def test_cool_down_refuses_a_key_whose_item_no_pull_kept(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """Its end would remove the item undelivered: an item never pulled, or re-added with
    ``readd=True`` after ``pull(purge=False)``, is refused, with nothing written."""
    s = flavour(PriorityStream(r, name))
    keys = stream_keys(name)
    s.add("fresh", "F", 3.0)
    for until in (timedelta(hours=1), 0, datetime.now(timezone.utc) - timedelta(seconds=1)):
        with pytest.raises(ValueError, match="'fresh' holds an item"):
            s.cool_down("fresh", until)
    assert not r.exists(keys.cooling)
    assert s["fresh"] == "F"
    s.add("again", "A1", 5.0)
    assert s.pull(purge=False, expire_in=timedelta(hours=1)) == {"again": "A1"}
    assert s.add("again", "A2", 1.0, readd=True) == 5.0  # 5 - decay 1 + 1: a new item
    with pytest.raises(ValueError, match="holds an item"):
        s.cool_down("again", 0)
    assert s["again"] == "A2"
    assert set(s.cooling()) == set()
    assert sorted(s) == ["again", "fresh"]


def test_a_cool_down_past_the_year_9999_is_refused_and_never_breaks_cooling(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("a", "A")
    for kwargs in (
        {"expire_in": 1e12},
        {"expire_in": timedelta.max},
        {"expire_at": datetime(9999, 12, 31, 12, tzinfo=timezone.utc)},
    ):
        with pytest.raises(ValueError, match="before 9999"):
            s.pull(**kwargs)
    assert s["a"] == "A"
    assert not r.exists(stream_keys(name).cooling)
    latest = s.cool_down("b", datetime(9999, 12, 30, tzinfo=timezone.utc))
    assert latest == datetime(9999, 12, 30, tzinfo=timezone.utc)
    r.zadd(stream_keys(name).cooling, {"hand": 1e15})  # a deadline no datetime can say
    assert s.cooling() == {"b": latest, "hand": datetime.max.replace(tzinfo=timezone.utc)}


def test_the_model_refuses_what_the_stream_refuses_in_cool_down() -> None:
    model = MemoryPriorityStream(clock=lambda: 1000.0)
    model.add("fresh", "F")
    with pytest.raises(ValueError, match="'fresh' holds an item"):
        model.cool_down("fresh", 0)
    with pytest.raises(ValueError, match="before 9999"):
        model.pull(expire_in=1e12)
    with pytest.raises(ValueError, match="before 9999"):
        model.cool_down("other", datetime.max.replace(tzinfo=timezone.utc))
    assert model.cooling() == {}
    assert model["fresh"] == "F"


def test_ungate_lifts_only_the_gate(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 1.0), ("b", "B", 2.0)])
    s.pull(2, gate=True, expire_in=timedelta(hours=1))
    assert s.gated() == {"a", "b"}
    assert s.ungate("a") is True
    assert s.ungate("a") is False
    assert s.ungate("never") is False
    assert s.gated() == {"b"}
    assert s.add("a", "A") is None  # still cooling down
    s.cool_down("a", 0)
    assert s.add("a", "A2") == 1.0
    assert s.add("b", "B") is None  # gated still


def test_bad_cool_down_and_ungate_arguments_write_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("a", "A")
    keys = stream_keys(name)
    naive = datetime.now() + timedelta(hours=1)
    for until, error in [
        (naive, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (timedelta(seconds=-1), ValueError),
        (float("inf"), ValueError),
        ("soon", TypeError),
        # past what a datetime can say: cooling() could not list it
        (1e12, ValueError),
        (timedelta.max, ValueError),
        (datetime.max.replace(tzinfo=timezone.utc), ValueError),
    ]:
        with pytest.raises(error, match="until"):
            s.cool_down("a", until)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.cool_down(5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.ungate(5)  # type: ignore[arg-type]
    assert not r.exists(keys.cooling)
    assert not r.exists(keys.gated)
    assert s["a"] == "A"


# --- in and contains, the same for every kind -----------------------------------------------


def test_contains_raises_type_error_for_a_stream_key_of_another_type(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("5", "five")
    for key in (5, b"5", None):
        with pytest.raises(TypeError, match="str"):
            s.contains(key)  # type: ignore[arg-type]
    assert s.contains("5")


def test_in_answers_false_for_a_value_of_another_type_on_every_kind(
    r: redis.Redis, name: str
) -> None:
    stream = PriorityStream(r, name)
    stream.add("5", "five")
    assert 5 not in stream  # type: ignore[comparison-overlap]
    assert b"5" not in stream  # type: ignore[comparison-overlap]
    assert "5" in stream
    for kind in (SortedSet, TimeSortedSet, ScheduledSet):
        s = kind(r, f"{{{name}}}:{kind.__name__}")  # deleted with the name's other keys
        s.add("5", score=0.0)
        try:
            assert 5 not in s  # type: ignore[comparison-overlap]
            assert "5" in s
            with pytest.raises(TypeError):
                s.contains(5)  # type: ignore[arg-type]
        finally:
            s.clear()


def test_the_models_answer_in_and_contains_as_the_real_classes_do() -> None:
    model = MemoryPriorityStream()
    model.add("5", "five")
    assert 5 not in model  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError):
        model.contains(5)  # type: ignore[arg-type]
    for kind in (MemorySortedSet, MemoryTimeSortedSet, MemoryScheduledSet):
        s = kind()
        s.add("5", score=0.0)
        assert 5 not in s  # type: ignore[comparison-overlap]
        with pytest.raises(TypeError):
            s.contains(5)  # type: ignore[arg-type]

    async def twins() -> None:
        stream = AsyncMemoryPriorityStream()
        with pytest.raises(TypeError):
            await stream.contains(5)  # type: ignore[arg-type]
        sorted_set = AsyncMemorySortedSet()
        with pytest.raises(TypeError):
            await sorted_set.contains(5)  # type: ignore[arg-type]

    asyncio.run(twins())


# --- the models: dead letters, the new listings, waiting -----------------------------------


def test_the_model_moves_undecodable_values_as_the_stream_does() -> None:
    now = [1000.0]
    model = MemoryPriorityStream(serializer=MsgspecCodec(Feed), clock=lambda: now[0])
    model.add_many([("a", Feed("A"), 5.0), ("c", Feed("C"), 3.0)])
    model._items["b"] = (b"not json", 4.0)  # pyright: ignore[reportPrivateUsage]  (a foreign write)
    with pytest.raises(DecodeError) as info:
        model["b"]
    assert info.value.raw == b"not json"
    [letter] = model.dead_letters()
    assert (letter.key, letter.raw, letter.score, letter.at) == ("b", b"not json", 4.0, 1000.0)
    assert model.requeue_dead() == 1
    assert model.pull(2, gate=True) == {"a": Feed("A")}
    assert model.gated() == {"a", "b"}
    assert model.cooling() == {
        "a": datetime.fromtimestamp(1000.0 + 86400, tz=timezone.utc),
        "b": datetime.fromtimestamp(1000.0 + 86400, tz=timezone.utc),
    }
    assert model.ungate("a")
    assert model.gated() == {"b"}
    assert model.cool_down("a", 10.0) == datetime.fromtimestamp(1010.0, tz=timezone.utc)
    # b's first letter is still there (pulled again above); a second value under b keeps its own
    now[0] = 1001.0
    model._items["b"] = (b"{second", 1.0)  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(DecodeError):
        model["b"]
    assert [(d.raw, d.at) for d in model.dead_letters()] == [
        (b"not json", 1000.0),
        (b"{second", 1001.0),
    ]
    assert model.requeue_dead() == 1  # the oldest; the other waits for its key to be free
    assert [d.raw for d in model.dead_letters()] == [b"{second"]


def test_the_async_model_waits_for_an_item_another_task_adds() -> None:
    async def body() -> None:
        model = AsyncMemoryPriorityStream()

        async def add_later() -> None:
            await asyncio.sleep(0.05)
            await model.add("k", "v")

        adding = asyncio.create_task(add_later())
        assert await model.pull(timeout=10) == {"k": "v"}
        await adding
        assert await model.pull(timeout=0.01) == {}

    asyncio.run(body())
