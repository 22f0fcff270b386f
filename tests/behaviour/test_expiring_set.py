"""ExpiringSet and its asyncio twin on real servers: members expire one by one, on the server clock.

Every test runs for both twins (``flavour``); the ones that mostly wait for
deadlines run on one library per topology (``timed``), since the server's
clock decides there. The memory test starts a server of its own, so that
``INFO memory`` sees only its set.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import redis

from conftest import Flavour, Server, Target, _settings_of
from typedset import (
    BytesCodec,
    DeadLetter,
    DecodeError,
    Durability,
    EncodeError,
    JsonCodec,
    NameClashError,
    SortedSet,
)
from typedset._keys import EXPIRING_KIND, expiring_keys
from typedset.expiring_set import AsyncExpiringSet, ExpiringDeadLetter, ExpiringSet
from typedset.testing import PrivateServer
from typedset.testing.blocking import BlockingView
from typedset.testing.expiring_model import MemoryExpiringSet

timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
#: Slack for comparing a deadline with server readings taken around the call, in seconds.
EPS = 0.002


def build(flavour: Flavour, client: redis.Redis, name: str, **kwargs: Any) -> Any:
    """``ExpiringSet(client, name, **kwargs)``, or its asyncio twin behind a ``BlockingView``."""
    if flavour.kind == "sync":
        return ExpiringSet(client, name, **kwargs)
    twin = AsyncExpiringSet(flavour.async_client(**_settings_of(client)), name, **kwargs)
    return BlockingView(twin, flavour.loop)


def server_now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1_000_000


def wait_past(client: redis.Redis, moment: float) -> None:
    """Sleep until the server's clock is past ``moment`` (Unix seconds)."""
    while server_now(client) <= moment:
        time.sleep(0.01)


def test_add_answers_whether_the_item_was_new(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=60)
    assert s.add("a") is True
    assert s.add("a") is False
    assert s.add("b", ttl=timedelta(minutes=5)) is True
    assert "a" in s
    assert "b" in s
    assert "c" not in s
    assert s.contains("a") is True
    assert s.contains("c") is False
    assert len(s) == 2
    assert s.size() == 2
    assert list(s) == ["a", "b"]  # soonest deadline first
    assert s.ttl == 60.0


def test_expires_at_is_now_plus_ttl_on_the_server_clock(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=30)
    before = server_now(r)
    s.add("a")
    s.add("b", ttl=120.5)
    after = server_now(r)
    a, b = s.expires_at("a"), s.expires_at("b")
    assert a is not None
    assert b is not None
    assert before + 30 - EPS <= a <= after + 30 + EPS
    assert before + 120.5 - EPS <= b <= after + 120.5 + EPS
    assert s.expires_at("c") is None
    # the set's key (and its kind marker) expire with the latest deadline
    ttl_ms = r.pttl(name)
    assert 0 < ttl_ms <= 120_500
    assert abs((r.pttl(expiring_keys(name).kind)) - ttl_ms) < 1000
    assert r.get(expiring_keys(name).kind) == EXPIRING_KIND.encode()


def test_on_duplicate_keep_leaves_the_deadline_and_refresh_moves_it(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    keep = build(flavour, r, name, ttl=100)
    keep.add("a")
    first = keep.expires_at("a")
    assert keep.add("a", ttl=1000) is False
    assert keep.expires_at("a") == first
    refresh = build(flavour, r, name, ttl=100, on_duplicate="refresh")
    assert refresh.add("a", ttl=1000) is False
    moved = refresh.expires_at("a")
    assert first is not None
    assert moved is not None
    assert moved >= first + 899
    assert refresh.update(["a", "b"], ttl=5000) == 1
    again = refresh.expires_at("a")
    assert again is not None
    assert again >= moved + 3999


@timed
def test_an_expired_member_is_absent_everywhere(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=3600)
    s.add("long")
    s.add("short", ttl=0.05)
    deadline = s.expires_at("short")
    assert deadline is not None
    wait_past(r, deadline + 0.001)
    assert "short" not in s
    assert s.expires_at("short") is None
    assert s.touch("short", 60) is False
    assert len(s) == 1
    assert list(s) == ["long"]
    with pytest.raises(KeyError):
        s.remove("short")
    assert s.add("short") is True  # an expired member counts as absent
    assert list(s) == ["long", "short"]


@timed
def test_touch_sets_the_deadline_of_a_present_member(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60)
    s.add("a")
    assert s.touch("missing", 10) is False
    assert "missing" not in s
    assert s.touch("a", 600) is True
    later = s.expires_at("a")
    assert later is not None
    assert later > server_now(r) + 500
    assert r.pttl(name) > 500_000  # the key TTL follows the latest deadline
    assert s.touch("a", 0.05) is True  # shortening works too
    wait_past(r, server_now(r) + 0.06)
    assert "a" not in s
    assert r.exists(name, expiring_keys(name).kind) == 0  # everything expired: all gone


def test_reads_of_a_name_never_filled_leave_no_key_behind(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60)
    assert len(s) == 0
    assert "a" not in s
    assert list(s) == []
    assert r.exists(name, expiring_keys(name).kind) == 0  # the kind check's marker went too


@timed
def test_expired_members_are_pruned_at_most_a_thousand_per_call(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=3600)
    s.add("stays")
    s.update([f"m{i}" for i in range(2500)], ttl=0.05)
    wait_past(r, server_now(r) + 0.06)
    assert r.zcard(name) == 2501  # nothing has used the set since
    assert len(s) == 1
    assert r.zcard(name) == 1501  # bounded work per call
    assert "stays" in s
    assert r.zcard(name) == 501
    assert list(s) == ["stays"]
    assert r.zcard(name) == 1


@timed
def test_symmetric_difference_prunes_as_many_expired_members_as_it_adds(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """``^=`` adds any number of members in one call: expired ones must go as fast."""
    s = build(flavour, r, name, ttl=3600)
    s.add("stays")
    s.update([f"old{i}" for i in range(3000)], ttl=0.05)
    wait_past(r, server_now(r) + 0.06)
    s ^= {f"new{i}" for i in range(2500)}
    assert r.zcard(name) == 2501 + 500  # 2,500 of the 3,000 expired went with the adds
    assert len(s) == 2501


def _put_undecodable(r: redis.Redis, name: str, raw: bytes, at_ms: int) -> None:
    """A foreign writer stores ``raw`` until ``at_ms``, before the latest deadline (TTLs hold)."""
    r.zadd(name, {raw: at_ms})


def test_pop_moves_an_undecodable_member_to_the_dead_letters(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=JsonCodec())
    s.add(1)
    deadline = s.expires_at(1)
    assert deadline is not None
    at_ms = round(deadline * 1000) - 1
    _put_undecodable(r, name, b"{not json", at_ms)  # the soonest deadline: pop's pick
    with pytest.raises(DecodeError) as raised:
        s.pop()
    assert raised.value.raw == b"{not json"
    assert r.zscore(name, b"{not json") is None  # moved, not put back
    [letter] = s.dead_letters()
    assert isinstance(letter, ExpiringDeadLetter)
    assert isinstance(letter, DeadLetter)  # one type of handling for every kind
    assert letter.raw == b"{not json"
    assert "JSONDecodeError" in letter.reason
    assert letter.deadline == letter.score == at_ms / 1000
    assert abs(letter.at - server_now(r)) < 5
    assert len(s) == 1  # 1 member + 1 dead letter: nothing lost
    assert s.pop() == 1  # the next pop goes on
    assert s.dead_letters() == [letter]


def test_iteration_moves_undecodable_members_and_goes_on(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=JsonCodec())
    s.update(range(1200))  # three pages
    deadline = s.expires_at(0)
    assert deadline is not None
    bad = [b"{bad", b"\xff"]
    for i, raw in enumerate(bad):
        _put_undecodable(r, name, raw, round(deadline * 1000) - 1 + i)
    assert sorted(s) == list(range(1200))  # not blocked by the bad ones
    assert sorted(letter.raw for letter in s.dead_letters()) == sorted(bad)
    assert len(s) == 1200  # 1,200 members + 2 dead letters: nothing lost
    assert r.zscore(name, b"{bad") is None


def test_requeue_dead_adds_them_back_with_a_fresh_deadline(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=_RefusesToLoadBad())
    s.add("bad", ttl=30)
    s.add("good")
    assert list(s) == ["good"]  # "bad" moved
    assert [letter.raw for letter in s.dead_letters()] == [b'"bad"']
    raw = build(flavour, r, name, ttl=60, serializer=BytesCodec())
    before = server_now(r)
    assert s.requeue_dead() == 1
    assert s.dead_letters() == []
    assert r.exists(expiring_keys(name).dead) == 0
    back = raw.expires_at(b'"bad"')
    assert back is not None
    assert back >= before + 60 - EPS  # now + the set's ttl, not its old 30 s
    assert back <= server_now(r) + 60 + EPS
    assert s.requeue_dead() == 0  # nothing left


@timed
def test_requeue_dead_brings_back_a_letter_whose_old_deadline_has_passed(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=_RefusesToLoadBad())
    s.add("good")
    s.add("bad", ttl=1)
    assert list(s) == ["good"]  # moved while its deadline was ahead
    [letter] = s.dead_letters()
    wait_past(r, letter.deadline + 0.01)
    assert s.dead_letters() == [letter]  # kept: the set's latest deadline is later
    assert s.requeue_dead() == 1
    assert "bad" in s  # back, with a fresh deadline
    assert len(s) == 2
    assert s.pop() == "good"  # "bad" now expires after "good"
    with pytest.raises(DecodeError):
        s.pop()
    assert [letter.raw for letter in s.dead_letters()] == [b'"bad"']


def test_clear_keeps_the_dead_letters_and_the_marker_protects_the_name(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    keys = expiring_keys(name)
    s = build(flavour, r, name, ttl=60, serializer=_RefusesToLoadBad())
    s.update(["bad", "good"])
    assert list(s) == ["good"]
    s.clear()
    assert len(s) == 0
    assert r.exists(name) == 0
    assert [letter.raw for letter in s.dead_letters()] == [b'"bad"']
    assert r.get(keys.kind) == EXPIRING_KIND.encode()  # no other kind shares {name}:dead
    dead_at, kind_at = r.pexpiretime(keys.dead), r.pexpiretime(keys.kind)
    assert 0 < dead_at <= kind_at
    with pytest.raises(NameClashError):
        SortedSet(r, name).add("x")
    assert s.clear_dead_letters() == 1
    assert s.clear_dead_letters() == 0
    assert r.exists(name, keys.kind, keys.dead) == 0  # nothing left: the name is free
    SortedSet(r, name).add("x")


def test_the_dead_letters_expire_no_sooner_than_the_set(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    keys = expiring_keys(name)
    s = build(flavour, r, name, ttl=60, serializer=_RefusesToLoadBad())
    s.add("bad", ttl=30)
    s.add("good", ttl=120)
    assert list(s) == ["good"]
    latest = r.pexpiretime(name)
    assert r.pexpiretime(keys.dead) == latest == r.pexpiretime(keys.kind)
    s.add("later", ttl=600)  # the set lives longer: so do its dead letters
    latest = r.pexpiretime(name)
    assert r.pexpiretime(keys.dead) == latest == r.pexpiretime(keys.kind)
    s.discard("later")  # the set's TTL shortens; the dead letters keep theirs
    assert r.pexpiretime(name) < latest
    assert r.pexpiretime(keys.dead) == latest == r.pexpiretime(keys.kind)


@timed
def test_an_abandoned_set_frees_its_dead_letters_too(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    keys = expiring_keys(name)
    s = build(flavour, r, name, ttl=0.3, serializer=_RefusesToLoadBad())
    s.update(["bad", "good"])
    assert list(s) == ["good"]
    assert r.exists(name, keys.kind, keys.dead) == 3
    give_up = time.monotonic() + 10
    while r.exists(name, keys.kind, keys.dead) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert r.exists(name, keys.kind, keys.dead) == 0


@timed
def test_a_stale_handle_never_reads_or_deletes_another_kinds_dead_letters(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=0.05)
    s.add("a")
    wait_past(r, server_now(r) + 0.06)
    assert len(s) == 0
    taker = SortedSet(r, name, serializer=JsonCodec())
    taker.add(1)
    r.zadd(name, {b"{bad": -1})  # the head of its pending ZSET
    with pytest.raises(DecodeError):
        taker.pop()  # the sorted set's own dead letter, at {name}:dead
    for call in (s.dead_letters, s.requeue_dead, s.clear_dead_letters):
        with pytest.raises(NameClashError):
            call()
    assert [letter.raw for letter in taker.dead_letters()] == [b"{bad"]


class _RefusesToLoadBad(JsonCodec):
    """Writes anything; reads back anything but ``"bad"`` (as if the format had changed)."""

    def loads(self, data: bytes) -> Any:
        value = super().loads(data)
        if value == "bad":
            raise ValueError("no longer readable")
        return value


def test_the_model_moves_an_undecodable_member_as_the_real_set_does(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    real = build(flavour, r, name, ttl=600, serializer=_RefusesToLoadBad())
    model: Any = MemoryExpiringSet(ttl=600, serializer=_RefusesToLoadBad())
    for s in (real, model):
        s.add("bad", ttl=60)  # the soonest deadline: pop's first pick
        s.add("worse", ttl=120)
        s.add("good")
        with pytest.raises(DecodeError) as popped:
            s.pop()
        assert popped.value.raw == b'"bad"'
        assert len(s) == 2  # never dropped: "bad" is a dead letter
        assert [letter.raw for letter in s.dead_letters()] == [b'"bad"']
        assert s.requeue_dead() == 1
        assert list(s) == ["worse", "good"]  # "bad" (a fresh deadline of 600 s) moved again
        assert [letter.raw for letter in s.dead_letters()] == [b'"bad"']
        s.clear()
        assert s.dead_letters()[0].reason == "ValueError: no longer readable"
        assert s.clear_dead_letters() == 1
        assert s.dead_letters() == []


def test_discard_remove_and_clear(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=60)
    s.update(["a", "b", "c"])
    s.discard("a")
    s.discard("nothing")
    s.remove("b")
    with pytest.raises(KeyError):
        s.remove("b")
    assert list(s) == ["c"]
    s.clear()
    assert len(s) == 0
    assert r.exists(name, expiring_keys(name).kind) == 0


def test_a_write_puts_back_a_lost_kind_marker(flavour: Flavour, r: redis.Redis, name: str) -> None:
    """A marker evicted while the set lives (volatile-* maxmemory) is back after a write."""
    s = build(flavour, r, name, ttl=60)
    s.update(["a", "b"])
    kind = expiring_keys(name).kind
    r.delete(kind)  # as an eviction would
    assert s.touch("a", 600) is True
    assert r.get(kind) == EXPIRING_KIND.encode()
    assert r.pexpiretime(kind) == r.pexpiretime(name) > 0
    with pytest.raises(NameClashError):
        SortedSet(r, name).add("x")  # so no other kind can take the name


def test_discarding_the_latest_member_shortens_the_key_ttl(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60)
    s.add("soon")
    s.add("late", ttl=3600)
    assert r.pttl(name) > 3_000_000
    s.discard("late")
    assert 0 < r.pttl(name) <= 60_000
    s.discard("soon")
    assert r.exists(name, expiring_keys(name).kind) == 0


def test_update_counts_new_members_across_chunks(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60)
    assert s.update([f"m{i}" for i in range(1500)]) == 1500
    items = [f"m{i}" for i in range(1000, 3600)] + ["m1", "m1"]
    assert s.update(items) == 2100
    assert len(s) == 3600
    assert s.update([]) == 0


def test_iteration_is_in_deadline_order_across_pages(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=600)
    s.update([f"x{i:04}" for i in range(1200)])
    s.add("first", ttl=60)
    s.add("last", ttl=6000)
    got = list(s)
    assert got[0] == "first"
    assert got[-1] == "last"
    assert got[1:-1] == sorted(f"x{i:04}" for i in range(1200))  # one deadline: by bytes


def test_pop_takes_the_soonest_deadline(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=600)
    s.add("b")
    s.add("a", ttl=60)
    assert s.pop() == "a"
    assert s.pop() == "b"
    with pytest.raises(KeyError):
        s.pop()


def test_set_algebra(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=60)
    s |= {"a", "b", "c"}
    assert sorted(s) == ["a", "b", "c"]
    s &= {"a", "b", "z", 5}
    assert sorted(s) == ["a", "b"]
    s -= {"a", 5}
    assert sorted(s) == ["b"]
    s ^= {"b", "d"}
    assert sorted(s) == ["d"]
    assert s.isdisjoint(["x", 5]) is True
    assert s.isdisjoint(["d"]) is False
    if flavour.kind == "sync":
        assert s | {"q"} == {"d", "q"}
        assert s & {"d"} == {"d"}
        assert s - {"d"} == set()
        assert s ^ {"d"} == set()


def test_algebra_with_another_expiring_set_in_another_slot(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """The other set is read first, so its keys may live in any cluster slot."""
    other_name = f"{name}:other"  # no hash tag: another slot (almost surely) on a cluster
    s = build(flavour, r, name, ttl=60)
    other = build(flavour, r, other_name, ttl=600)
    try:
        s.update(["a", "b", "c"])
        other.update(["b", "c", "d"])
        target = other.target if isinstance(other, BlockingView) else other
        s.intersection_update(target)
        assert sorted(s) == ["b", "c"]
        s.symmetric_difference_update(target)
        assert sorted(s) == ["d"]
        s.union_update(target)
        assert sorted(s) == ["b", "c", "d"]
        s.difference_update(target)
        assert len(s) == 0
        assert sorted(other) == ["b", "c", "d"]  # read, never written
    finally:
        other.clear()


def test_a_value_of_another_type_is_not_in_the_set_but_contains_raises(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=JsonCodec())
    s.add({"id": 1})
    assert {"id": 1} in s
    if flavour.kind == "sync":  # the async twin has no ``in``: ``contains`` is typed for items
        assert object() not in s
        assert (object() in s) is False
    with pytest.raises(EncodeError):
        s.contains(object())


def test_bad_input_raises_at_the_call_and_writes_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=60, serializer=JsonCodec())
    with pytest.raises(EncodeError):
        s.update([1, 2, object()])
    with pytest.raises(EncodeError):
        s.add(object())
    for ttl, error in [
        (0, ValueError),
        (-1, ValueError),
        (0.0001, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("1", TypeError),
        (True, TypeError),
        (timedelta(0), ValueError),
    ]:
        with pytest.raises(error):
            s.add(1, ttl=ttl)
        with pytest.raises(error):
            s.update([1, 2], ttl=ttl)
        with pytest.raises(error):
            s.touch(1, ttl)
    with pytest.raises(TypeError):
        s.update("abc")
    with pytest.raises(TypeError):
        s.update({1: 2})
    with pytest.raises(EncodeError):
        s ^= {object()}
    # both wrong: the ttl is reported, by the real set and by its model alike
    model: Any = MemoryExpiringSet(ttl=60, serializer=JsonCodec())
    for target in (s, model):
        with pytest.raises(ValueError, match="ttl"):
            target.add(object(), ttl=0)
        with pytest.raises(ValueError, match="ttl"):
            target.touch(object(), 0)
    assert r.exists(name) == 0
    assert len(s) == 0


def test_bad_constructor_arguments_are_refused(flavour: Flavour, r: redis.Redis) -> None:
    with pytest.raises(ValueError, match="on_duplicate"):
        build(flavour, r, "x", ttl=60, on_duplicate="replace")
    with pytest.raises(ValueError, match="ttl"):
        build(flavour, r, "x", ttl=0)
    with pytest.raises(TypeError):
        build(flavour, r, "x", ttl=None)
    with pytest.raises(ValueError, match="empty"):
        build(flavour, r, "", ttl=60)
    with pytest.raises(TypeError):
        build(flavour, r, "x", ttl=60, durability=1)


def test_durability_is_accepted_and_kept(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=60, durability=Durability(replicas=0))
    assert s.durability == Durability(replicas=0)
    assert s.add("a") is True
    assert s.touch("a", 120) is True
    assert list(s) == ["a"]


def test_repr_does_no_io(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, name, ttl=timedelta(hours=1))
    target = s.target if isinstance(s, BlockingView) else s
    kind = type(target).__name__
    assert repr(target) == f"{kind}({name!r}, ttl=3600.0, serializer=StrCodec())"


def test_a_name_of_another_kind_is_refused(flavour: Flavour, r: redis.Redis, name: str) -> None:
    SortedSet(r, name).add("x")
    s = build(flavour, r, name, ttl=60)
    with pytest.raises(NameClashError):
        s.add("a")
    assert SortedSet(r, name).score("x") == 0.0  # untouched


@timed
def test_a_name_taken_after_the_set_expired_is_refused_to_a_stale_handle(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=0.05)
    s.add("a")
    wait_past(r, server_now(r) + 0.06)
    assert len(s) == 0  # the set and its marker are gone
    SortedSet(r, name).add("x")  # another kind takes the name
    with pytest.raises(NameClashError):
        s.add("a")
    with pytest.raises(NameClashError):
        len(s)
    with pytest.raises(NameClashError):
        s.clear()  # a stale handle must not delete the sorted set's keys
    assert SortedSet(r, name).score("x") == 0.0
    assert r.get(expiring_keys(name).kind) == b"sorted set"


@timed
def test_an_untouched_set_disappears_by_its_key_ttl(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, name, ttl=0.2)
    s.update(["a", "b"])
    kind = expiring_keys(name).kind
    assert r.exists(name, kind) == 2
    give_up = time.monotonic() + 10
    while r.exists(name, kind) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert r.exists(name, kind) == 0


def _used_memory(client: redis.Redis) -> int:
    info: dict[str, Any] = client.info("memory")
    return int(info["used_memory"])


def _wait_for_memory(client: redis.Redis, at_most: int) -> int:
    give_up = time.monotonic() + 15  # the lazy free of UNLINK runs in a background thread
    used = _used_memory(client)
    while used > at_most and time.monotonic() < give_up:
        time.sleep(0.05)
        used = _used_memory(client)
    return used


@pytest.mark.slow
def test_a_million_expired_members_free_their_memory() -> None:
    """1M members with a 1 s TTL: gone after the next use, and by the key TTL untouched."""
    members = [f"member:{i:07}" for i in range(1_000_000)]
    with PrivateServer() as server:
        r = server.client()
        try:
            baseline = _used_memory(r)
            used = ExpiringSet(r, "used", ttl=1)
            assert used.update(members) == 1_000_000
            # Loading takes a second or two, so the first chunks expire (and are pruned,
            # 1,000 per call) while the last arrive: tens of MB are held at the end.
            grown = _used_memory(r)
            assert grown > baseline + 20_000_000, (baseline, grown)
            wait_past(r, server_now(r) + 1.01)
            assert len(used) == 0  # the later use: the whole key goes in one UNLINK
            assert _wait_for_memory(r, baseline + 2_000_000) <= baseline + 2_000_000

            untouched = ExpiringSet(r, "untouched", ttl=1)
            assert untouched.update(members) == 1_000_000
            assert _used_memory(r) > baseline + 20_000_000
            assert _wait_for_memory(r, baseline + 2_000_000) <= baseline + 2_000_000
            assert r.exists("untouched", "{untouched}:kind") == 0  # by the key TTL alone
        finally:
            r.close()


@pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
def test_concurrent_adds_of_one_key_have_exactly_one_winner(
    target: Target, r: redis.Redis, name: str
) -> None:
    """8 threads, each with its own client, add the same 300 keys: one ``True`` per key."""
    keys = [f"request-{i}" for i in range(300)]
    wins: list[list[str]] = []

    def worker(seed: int) -> None:
        client = target.client()
        try:
            s = ExpiringSet(client, name, ttl=600)
            order = keys[seed * 37 % len(keys) :] + keys[: seed * 37 % len(keys)]
            wins.append([key for key in order if s.add(key)])
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(wins) == 8  # every worker finished
    won = [key for batch in wins for key in batch]
    assert sorted(won) == sorted(keys)  # none lost, none twice
    assert len(ExpiringSet(r, name, ttl=600)) == 300


class _CancelsWhileFailing(JsonCodec):
    """JSON; cancels the task decoding when it fails: the cancel lands on the move that follows."""

    def loads(self, data: bytes) -> Any:
        try:
            return super().loads(data)
        except Exception:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            raise


def test_a_pop_cancelled_after_its_reply_still_moves_the_undecodable_member(
    server: Server, name: str
) -> None:
    """The bytes ``pop`` removed are held by the caller alone: its move to the dead letters
    runs to its end even when the task is cancelled while waiting for it."""

    async def main() -> None:
        client = server.async_client()
        try:
            s = AsyncExpiringSet(client, name, ttl=60, serializer=_CancelsWhileFailing())
            await s.add(1)
            deadline = await s.expires_at(1)
            assert deadline is not None
            await client.zadd(name, {b"{bad": round(deadline * 1000) - 1})  # pop's pick
            popping = asyncio.create_task(s.pop())
            with pytest.raises(asyncio.CancelledError):
                await popping
            give_up = time.monotonic() + 10
            while not await client.hexists(expiring_keys(name).dead, b"{bad"):
                assert time.monotonic() < give_up, "the cancelled pop lost the undecodable member"
                await asyncio.sleep(0.01)
            assert [letter.raw for letter in await s.dead_letters()] == [b"{bad"]
            assert await client.zscore(name, b"{bad") is None
            assert await s.pop() == 1
        finally:
            await client.aclose()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
