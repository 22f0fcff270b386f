"""Lost replies: a write runs at most once and its caller hears of it; a read is retried.

A proxy between client and server forwards each command, then loses its
reply: it cuts the connection, or holds the reply past the client's
``socket_timeout``. The clients are made as a new user makes them,
``redis.Redis(host=..., port=...)`` with redis-py's default retries, which
re-send any command after such a failure (the control test shows it). For
every write the proxy must have forwarded the command exactly once and the
caller must get the client's ``ConnectionError``/``TimeoutError`` saying the
write may or may not have been applied; every read must succeed through a
retry (the proxy forwarded it twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import redis.asyncio

from conftest import Server, delete_collection
from typedset import PriorityStream, SortedSet
from typedset.aio import AsyncPriorityStream, AsyncSortedSet
from typedset.testing import FaultProxy
from typedset.testing.blocking import BlockingView

#: What a client sends when it (re)connects, not on behalf of a call.
HANDSHAKE = {b"HELLO", b"CLIENT", b"SELECT", b"PING", b"AUTH", b"READONLY"}
#: The stalled reply is waited for this long by the client.
SOCKET_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy(server.url) as running:
        yield running


@dataclass
class Op:
    """One operation under fault: how to prepare, what to call, what must hold after."""

    name: str
    stream: bool
    call: Callable[[Any], object]
    prepare: Callable[[Any], object] = lambda s: None
    #: Checks the server's state after the faulted write: it took effect at most once.
    check: Callable[[Any], object] = lambda s: None
    read: bool = False
    #: For reads: what the call returns.
    expect: object = None


def _sets_prefilled(s: Any) -> None:
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0), ("e", 5.0)])


OPS = [
    Op("add", False, lambda s: s.add("x", 9.0), check=lambda s: s.score("x") == 9.0),
    Op("update", False, lambda s: s.update(["u1", "u2"]), check=lambda s: len(s) == 2),
    Op(
        "increment",
        False,
        lambda s: s.increment("a", 10.0),
        prepare=_sets_prefilled,
        check=lambda s: s.score("a") == 11.0,  # applied once, not twice
    ),
    Op("discard", False, lambda s: s.discard("a"), _sets_prefilled, lambda s: "a" not in s),
    Op("clear", False, lambda s: s.clear(), _sets_prefilled, lambda s: len(s) == 0),
    Op("pop", False, lambda s: s.pop(), _sets_prefilled, lambda s: list(s) == list("bcde")),
    Op("take", False, lambda s: s.take(2), _sets_prefilled, lambda s: list(s) == list("cde")),
    Op(
        "union_update",
        False,
        lambda s: s.union_update(["p", "q"]),
        _sets_prefilled,
        lambda s: len(s) == 7,
    ),
    Op(
        "symmetric_difference_update",
        False,
        lambda s: s.symmetric_difference_update(["a", "z"]),
        _sets_prefilled,
        # once: a out, z in; twice would undo it
        lambda s: "a" not in s and "z" in s,
    ),
    Op(
        "difference_update",
        False,
        lambda s: s.difference_update(["a"]),
        _sets_prefilled,
        lambda s: "a" not in s,
    ),
    Op(
        "intersection_update",
        False,
        lambda s: s.intersection_update(["a", "b"]),
        _sets_prefilled,
        lambda s: list(s) == ["a", "b"],
    ),
    Op("peek", False, lambda s: s.peek(), _sets_prefilled, read=True, expect="a"),
    Op("score", False, lambda s: s.score("c"), _sets_prefilled, read=True, expect=3.0),
    Op("size", False, lambda s: len(s), _sets_prefilled, read=True, expect=5),
    Op("contains", False, lambda s: "d" in s, _sets_prefilled, read=True, expect=True),
    Op("iterate", False, lambda s: list(iter(s)), _sets_prefilled, read=True, expect=list("abcde")),
]


def _streams_prefilled(s: Any) -> None:
    s.add_many([("k1", "v1", 1.0), ("k2", "v2", 2.0), ("k3", "v3", 3.0)])


OPS += [
    Op("add", True, lambda s: s.add("k", "v", 2.0), check=lambda s: s.priority("k") == 2.0),
    Op(
        "add_many",
        True,
        lambda s: s.add_many([("k", "v", 2.0), ("j", "w", 1.0)]),
        check=lambda s: s.priority("k") == 2.0,  # priorities add up: twice would be 4
    ),
    Op("pull", True, lambda s: s.pull(2), _streams_prefilled, lambda s: list(s) == ["k1"]),
    Op(
        "increment",
        True,
        lambda s: s.increment("k1", 5.0),
        _streams_prefilled,
        lambda s: s.priority("k1") == 6.0,
    ),
    Op(
        "decrement_all",
        True,
        lambda s: s.decrement_all(1.0),
        _streams_prefilled,
        lambda s: s.priority("k3") == 2.0,
    ),
    Op(
        "delete_below",
        True,
        lambda s: s.delete_below(2.5),
        _streams_prefilled,
        lambda s: list(s) == ["k3"],
    ),
    Op("get", True, lambda s: s["k2"], _streams_prefilled, read=True, expect="v2"),
    Op("size", True, lambda s: len(s), _streams_prefilled, read=True, expect=3),
]


class Faulty:
    """A collection on a client that talks through the proxy, as a new user makes one."""

    def __init__(self, flavour: str, mode: str, proxy: FaultProxy) -> None:
        timeout: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT} if mode == "stall" else {}
        self.flavour = flavour
        self.loop: asyncio.AbstractEventLoop | None = None
        if flavour == "sync":
            self.client: Any = redis.Redis(host="127.0.0.1", port=proxy.port, **timeout)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = redis.asyncio.Redis(host="127.0.0.1", port=proxy.port, **timeout)

    def collection(self, stream: bool, name: str) -> Any:
        if self.loop is None:
            return (PriorityStream if stream else SortedSet)(self.client, name)
        twin = (AsyncPriorityStream if stream else AsyncSortedSet)(self.client, name)
        return BlockingView(twin, self.loop)

    def close(self) -> None:
        if self.loop is None:
            self.client.close()
            return
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def _sent_since(proxy: FaultProxy, start: int) -> list[tuple[bytes, ...]]:
    return [c for c in proxy.commands[start:] if c[0].upper() not in HANDSHAKE]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("mode", ["cut", "stall"])
@pytest.mark.parametrize(
    "op", OPS, ids=[f"{'stream' if o.stream else 'set'}-{o.name}" for o in OPS]
)
def test_a_lost_reply_never_runs_a_write_twice_and_a_read_is_retried(
    proxy: FaultProxy, plain: redis.Redis, name: str, flavour: str, mode: str, op: Op
) -> None:
    faulty = Faulty(flavour, mode, proxy)
    try:
        s = faulty.collection(op.stream, name)
        s.size()  # the first use checks the name's kind: not the call under test
        op.prepare(s)
        warm = faulty.collection(op.stream, name + ":warm")  # connects, loads the script
        op.prepare(warm)
        op.call(warm)
        delete_collection(plain, name + ":warm")
        start = len(proxy.commands)
        (proxy.cut_next_reply if mode == "cut" else proxy.stall_next_reply)()
        if op.read:
            assert op.call(s) == op.expect
            sent = _sent_since(proxy, start)
            assert len(sent) == 2, sent  # the first reply was lost, the retry answered
        else:
            with pytest.raises(
                (redis.ConnectionError, redis.TimeoutError), match="may or may not have been"
            ) as raised:
                op.call(s)
            assert op.name in str(raised.value)
            sent = _sent_since(proxy, start)
            assert len(sent) == 1, sent  # sent once, never again
            assert op.check(s), "the write took effect once"
        assert proxy.faults >= 1
    finally:
        faulty.close()


@pytest.mark.parametrize("mode", ["cut", "stall"])
def test_control_redis_py_itself_sends_the_write_again(
    proxy: FaultProxy, plain: redis.Redis, name: str, mode: str
) -> None:
    """Without typedset the same fault runs the write twice: the proxy test can fail."""
    timeout: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT} if mode == "stall" else {}
    client = redis.Redis(host="127.0.0.1", port=proxy.port, **timeout)
    try:
        client.zadd(name, {"a": 1.0})
        start = len(proxy.commands)
        (proxy.cut_next_reply if mode == "cut" else proxy.stall_next_reply)()
        client.zincrby(name, 10.0, "a")
        assert len(_sent_since(proxy, start)) == 2
        assert plain.zscore(name, "a") == 21.0  # applied twice
    finally:
        client.close()
