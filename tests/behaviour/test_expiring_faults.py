"""ExpiringSet under lost replies: a write runs at most once and its caller hears of it;
a read is retried. The proxy and the rules are ``test_faults.py``'s.

``touch`` is a write: each run sets now + ttl on the server's clock, so a
second run after a shortened deadline passed would answer ``False`` for a
member the first run changed (it was once re-sent as a lease's ``extend`` is).

Dead letters: ``dead_letters`` is a read; ``requeue_dead`` and
``clear_dead_letters`` are writes. The move of an undecodable member (the
``quarantine`` script ``pop`` and iteration send after their own reply) is
re-sent: its second run records nothing twice. A codec that arms the fault
while it fails to decode puts the fault on exactly that move.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import redis.asyncio
from test_faults import SOCKET_TIMEOUT, _sent_since
from test_faults import proxy as proxy  # the fixture: a FaultProxy before the server

from conftest import delete_collection
from typedset import BytesCodec, DecodeError, ExpiringSet, StrCodec
from typedset.aio import AsyncExpiringSet
from typedset.testing import FaultProxy
from typedset.testing.blocking import BlockingView

#: Every test starts from these members, each with ``TTL`` seconds to live.
MEMBERS = ["a", "b", "c"]
TTL = 60
#: Bytes the default codec (UTF-8 text) cannot decode.
BAD = b"\xff"


@dataclass
class Op:
    """One operation under fault: the name the caller is told, the call, what holds after."""

    name: str
    call: Callable[[Any], object]
    #: After a faulted write: it took effect (and, where a second run would show, once).
    check: Callable[[Any], bool] = lambda s: True
    read: bool = False
    #: For reads: what the call returns.
    expect: object = None
    #: Before the fault: one dead letter (``BAD``) besides the members.
    dead: bool = False


def _touched(s: Any) -> bool:
    deadline = s.expires_at("a")
    return deadline is not None and deadline > time.time() + 5 * TTL


OPS = [
    Op("add", lambda s: s.add("n"), lambda s: set(s) == {*MEMBERS, "n"}),
    Op("update", lambda s: s.update(["n", "m"]), lambda s: set(s) == {*MEMBERS, "m", "n"}),
    Op("touch", lambda s: s.touch("a", 10 * TTL), _touched),
    Op("discard", lambda s: s.discard("a"), lambda s: set(s) == {"b", "c"}),
    Op("remove", lambda s: s.remove("a"), lambda s: set(s) == {"b", "c"}),
    Op("pop", lambda s: s.pop(), lambda s: set(s) == {"b", "c"}),  # soonest: a (added first)
    Op("clear", lambda s: s.clear(), lambda s: len(s) == 0),
    Op(
        "intersection_update",
        lambda s: s.intersection_update(["a", "z"]),
        lambda s: set(s) == {"a"},
    ),
    Op(
        "symmetric_difference_update",
        lambda s: s.symmetric_difference_update(["a", "z"]),
        lambda s: set(s) == {"b", "c", "z"},  # twice would put "a" back and drop "z"
    ),
    Op("difference_update", lambda s: s.difference_update(["a"]), lambda s: set(s) == {"b", "c"}),
    Op("contains", lambda s: "a" in s, read=True, expect=True),
    Op("score", lambda s: s.expires_at("zz"), read=True, expect=None),
    Op("size", lambda s: len(s), read=True, expect=3),
    Op("isdisjoint", lambda s: s.isdisjoint(["zz"]), read=True, expect=True),
    Op("iterate", lambda s: list(iter(s)), read=True, expect=MEMBERS),  # no len() first
    Op(
        "dead_letters",
        lambda s: [letter.raw for letter in s.dead_letters()],
        read=True,
        expect=[BAD],
        dead=True,
    ),
    Op(
        "requeue_dead",
        lambda s: s.requeue_dead(),
        lambda s: s.dead_letters() == [] and len(s) == len(MEMBERS) + 1,
        dead=True,
    ),
    Op(
        "clear_dead_letters",
        lambda s: s.clear_dead_letters(),
        lambda s: s.dead_letters() == [] and set(s) == set(MEMBERS),
        dead=True,
    ),
]


class Faulty:
    """An expiring set on a client that talks through the proxy, as a new user makes one."""

    def __init__(self, flavour: str, mode: str, proxy: FaultProxy) -> None:
        timeout: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT} if mode == "stall" else {}
        self.loop: asyncio.AbstractEventLoop | None = None
        if flavour == "sync":
            self.client: Any = redis.Redis(host="127.0.0.1", port=proxy.port, **timeout)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = redis.asyncio.Redis(host="127.0.0.1", port=proxy.port, **timeout)

    def collection(self, name: str, serializer: Any = None) -> Any:
        codec = {"serializer": serializer} if serializer is not None else {}
        if self.loop is None:
            return ExpiringSet(self.client, name, ttl=TTL, **codec)
        return BlockingView(AsyncExpiringSet(self.client, name, ttl=TTL, **codec), self.loop)

    def close(self) -> None:
        if self.loop is None:
            self.client.close()
            return
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def prefill(s: Any) -> None:
    for member in MEMBERS:  # one by one: "a" has the soonest deadline
        s.add(member)


def bury(faulty: Faulty, s: Any, name: str) -> None:
    """Add ``BAD`` (through a bytes handle) and let iteration move it to the dead letters."""
    faulty.collection(name, BytesCodec()).add(BAD)
    assert list(s) == MEMBERS
    assert [letter.raw for letter in s.dead_letters()] == [BAD]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("mode", ["cut", "stall"])
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_a_lost_reply_never_runs_a_write_twice_and_a_read_is_retried(
    proxy: FaultProxy, plain: redis.Redis, name: str, flavour: str, mode: str, op: Op
) -> None:
    faulty = Faulty(flavour, mode, proxy)
    try:
        s = faulty.collection(name)
        prefill(s)
        warm = faulty.collection(name + ":warm")  # connects, loads the script
        prefill(warm)
        if op.dead:
            bury(faulty, s, name)
            bury(faulty, warm, name + ":warm")
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
            assert f"typedset {op.name} " in str(raised.value)
            sent = _sent_since(proxy, start)
            assert len(sent) == 1, sent  # sent once, never again
            assert op.check(s), "the write took effect once"
        assert proxy.faults >= 1
    finally:
        faulty.close()


class _ArmsWhileFailing(StrCodec):
    """UTF-8 text; arms ``arm`` (the proxy's next fault) each time it fails to decode."""

    def __init__(self, arm: Callable[[], None]) -> None:
        self.arm = arm

    def loads(self, data: bytes, /) -> str:
        try:
            return super().loads(data)
        except UnicodeDecodeError:
            self.arm()  # the next reply is the quarantine script's
            raise


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("mode", ["cut", "stall"])
@pytest.mark.parametrize("how", ["pop", "iterate"])
def test_a_lost_reply_of_the_move_to_the_dead_letters_is_re_sent_and_records_it_once(
    proxy: FaultProxy, plain: redis.Redis, name: str, flavour: str, mode: str, how: str
) -> None:
    faulty = Faulty(flavour, mode, proxy)
    try:
        arm = proxy.cut_next_reply if mode == "cut" else proxy.stall_next_reply
        s = faulty.collection(name)
        faulty.collection(name, BytesCodec()).add(BAD, ttl=TTL / 2)  # the soonest: pop's pick
        prefill(s)
        warm = faulty.collection(name + ":warm")  # connects, loads the scripts
        faulty.collection(name + ":warm", BytesCodec()).add(BAD)
        assert list(warm) == []
        delete_collection(plain, name + ":warm")
        arming = faulty.collection(name, _ArmsWhileFailing(arm))
        assert arming.size() == len(MEMBERS) + 1  # its kind check done: one command per step
        start = len(proxy.commands)
        if how == "pop":
            with pytest.raises(DecodeError) as raised:
                arming.pop()
            assert raised.value.raw == BAD
        else:
            assert list(iter(arming)) == MEMBERS  # no len() first
        sent = _sent_since(proxy, start)
        assert len(sent) == 3, [command[:2] for command in sent]  # pop or page, the move, again
        assert proxy.faults >= 1
        [letter] = s.dead_letters()  # recorded once: never lost, never twice
        assert letter.raw == BAD
        assert set(s) == set(MEMBERS)  # the members untouched
    finally:
        faulty.close()
