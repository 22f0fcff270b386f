"""Every bulk operation works at any size a user can send (issue 10): here, 100,000 items.

Lua's ``unpack`` fails beyond about 8,000 values ("too many results to
unpack"), so a script that unpacks a caller-sized list passes every small
test and fails in production (``ScheduledSet.take(100_000)`` did, until
``pop.lua`` chunked its ZREM); ``tests/unit/test_lua.py`` checks the scripts
for that statically, and this file checks the behaviour. Each test builds a
collection of ``N`` items and runs the bulk operations of its kind on all of
it, checking the exact result (counts, order, content):

* each set kind (SortedSet, TimeSortedSet, ScheduledSet): ``update``,
  ``update_scored``, iteration, ``take``, ``claim`` (also of N leases that
  expired), ``leased``, ``extend_many``, ``release_many``, ``ack_many``, the
  in-place set algebra with an iterable and with another typedset set, and
  the binary operators (sync only: the async twins have none);
* PriorityStream: ``add_many``, ``pull`` (purging, and keeping and gating),
  iteration (``items()``), ``decrement_all``, ``delete_below`` and the
  sweep of N ended cool-downs.

Where: the standalone server only, sync through redis-py and async through
valkey-py, so that each flavour and each client library runs once. That is
for time: every operation here costs a fraction of a second at this size,
and the whole file already takes over a minute. A size reaches the server
the same way on every target (a collection's keys share one slot, so a
cluster runs the same scripts with the same arguments); these tests pass on
the cluster targets too, at about the same cost again per target. Where
iteration is not under test, a ZSET's exact contents are compared through a
digest the server computes: one short reply instead of 100,000 members.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import pytest
import redis

from conftest import Flavour
from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.testing.blocking import BlockingView

#: Far beyond Lua's unpack limit (about 8,000) and the scripts' chunks (1,000).
N = 100_000

#: ScheduledSet sees only due items: every score used here is in the past
#: (Unix time -1 to N) or the server's clock at the write.
SET_KINDS = [SortedSet, TimeSortedSet, ScheduledSet]

pytestmark = pytest.mark.parametrize(
    ("target", "flavour"), [("redis", "sync"), ("valkey", "async")], indirect=True
)

#: N members whose byte order is their index order.
ITEMS = [f"item:{i:06d}" for i in range(N)]
BACKWARDS = ITEMS[::-1]

_DIGEST = """
local found = ARGV[1] == '1' and redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  or redis.call('ZRANGE', KEYS[1], 0, -1)
return redis.sha1hex(table.concat(found, '\\n'))
"""


def _assert_zset(r: redis.Redis, key: str, expected: Sequence[str | tuple[str, int]]) -> None:
    """The ZSET ``key`` holds exactly ``expected``, lowest score first: members, or
    ``(member, integer score)`` pairs. The server hashes what it holds; only on a
    difference is it all read back, for the assertion to show."""
    scored = bool(expected) and isinstance(expected[0], tuple)
    lines = [f"{x[0]}\n{x[1]}" if isinstance(x, tuple) else x for x in expected]
    digest = hashlib.sha1("\n".join(lines).encode()).hexdigest()
    found: Any = r.eval(_DIGEST, 1, key, "1" if scored else "0")
    if found.decode() == digest:
        return
    if scored:
        pairs: Any = r.zrange(key, 0, -1, withscores=True)
        wanted = [(x[0], float(x[1])) for x in expected if isinstance(x, tuple)]
        assert [(member.decode(), score) for member, score in pairs] == wanted
    else:
        members: Any = r.zrange(key, 0, -1)
        assert [m.decode() for m in members] == list(expected)


def _iterate(collection: Any) -> list[Any]:
    """``list(collection)``; for the async twin, one ``async for`` on the test's loop."""
    if isinstance(collection, BlockingView):

        async def collect() -> list[Any]:
            return [item async for item in collection.target]

        return collection.run(collect())
    return list(collection)


@pytest.mark.parametrize("kind", SET_KINDS)
def test_writes_iteration_and_leases_at_size(
    kind: type[SortedSet[str]], flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(kind(r, name))
    # update: score 0 (SortedSet) or the server's clock at each chunk (the
    # timed kinds), which does not go back: byte order either way.
    s.update(ITEMS)
    assert len(s) == N
    assert _iterate(s) == ITEMS
    # update_scored replaces every score: the order reverses.
    s.update_scored((item, N - i) for i, item in enumerate(ITEMS))
    backwards_scored = [(item, i + 1) for i, item in enumerate(BACKWARDS)]
    _assert_zset(r, name, backwards_scored)

    leases = s.claim(N + 1, ttl=600)
    assert [lease.item for lease in leases] == BACKWARDS
    assert {lease.deliveries for lease in leases} == {1}
    assert len({lease.token for lease in leases}) == N
    assert len(s) == 0
    # leased: earliest deadline first, ties (all of them here) by member bytes.
    assert s.leased() == sorted(leases, key=lambda lease: lease.item)
    # extend_many to a moment from now: the next claim finds all N expired
    # and returns them to pending first, then claims them again.
    assert s.extend_many(leases, 0.001) == N
    time.sleep(0.01)
    again = s.claim(N, ttl=600)
    assert [lease.item for lease in again] == BACKWARDS
    assert {lease.deliveries for lease in again} == {2}
    # release_many: every item back at its original score.
    assert s.release_many(again) == N
    assert s.leased() == []
    _assert_zset(r, name, backwards_scored)
    # ack_many: the items are gone for good.
    last = s.claim(N, ttl=600)
    assert {lease.deliveries for lease in last} == {3}
    assert s.ack_many(last) == N
    assert s.leased() == []
    assert len(s) == 0


@pytest.mark.parametrize("kind", SET_KINDS)
def test_set_algebra_and_take_at_size(
    kind: type[SortedSet[str]], flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(kind(r, name))
    s.update_scored((item, i) for i, item in enumerate(ITEMS))
    # One lease, released: the set has delivery counts, which removals clear.
    [lease] = s.claim(1, ttl=600)
    assert s.release(lease)
    evens = ITEMS[::2]
    strangers = [f"stranger:{i:06d}" for i in range(N // 2)]

    # With an iterable of N items each time. New members score 0 (SortedSet)
    # or the server's clock at the call, one time for all: byte order.
    s.intersection_update(evens + strangers)
    _assert_zset(r, name, [(item, i) for i, item in enumerate(ITEMS) if i % 2 == 0])
    s.union_update(ITEMS)  # every score replaced
    _assert_zset(r, name, ITEMS)
    s.symmetric_difference_update(evens + strangers)
    assert len(s) == N  # the odd ones and the strangers
    s.difference_update(ITEMS)  # removes the odd ones
    _assert_zset(r, name, strangers)

    # With another set (the server reads it): N items, scores 0 to N - 1.
    t = flavour(kind(r, f"{{{name}}}:other"))  # the same cluster slot as s
    t.update_scored((item, i) for i, item in enumerate(ITEMS))
    s.update_scored((stranger, -1) for stranger in strangers)
    if flavour.kind == "sync":  # the async twins have no binary operators
        assert s | t == set(strangers) | set(ITEMS)
        assert s & t == set()
        assert s - t == set(strangers)
        assert s ^ t == set(strangers) | set(ITEMS)
    scored = [(item, i) for i, item in enumerate(ITEMS)]
    s |= t
    _assert_zset(r, name, [(stranger, -1) for stranger in strangers] + scored)
    s &= t
    _assert_zset(r, name, scored)
    s -= t
    assert len(s) == 0
    s ^= t  # all N added, with t's scores
    _assert_zset(r, name, scored)
    assert len(t) == N  # the algebra only read t

    # take: more than unpack could hold in one call, then more than is left.
    assert s.take(N // 2) == ITEMS[: N // 2]
    assert s.take(N) == ITEMS[N // 2 :]
    assert len(s) == 0
    assert s.take(N) == []


def test_stream_at_size(flavour: Flavour, r: redis.Redis, name: str) -> None:
    p = flavour(PriorityStream(r, name))
    keys = [f"key:{i:06d}" for i in range(N)]
    by_priority = keys[::-1]  # highest first; ties by key bytes, descending too
    assert p.add_many((key, f"value:{i}", i) for i, key in enumerate(keys)) == [
        float(i) for i in range(N)
    ]
    assert len(p) == N
    items = [(key, f"value:{i}") for i, key in enumerate(keys)][::-1]
    assert list(p.items()) == items

    # pull: half (purged), then the rest kept, lowered by the decay (1.0) and gated.
    assert list(p.pull(N // 2).items()) == items[: N // 2]
    kept = p.pull(N, purge=False, gate=True, expire_in=600)
    assert list(kept.items()) == items[N // 2 :]
    assert len(p) == N // 2
    assert p.priority(keys[0]) == -1.0
    assert p.decrement_all(2) == N // 2
    assert p.delete_below(N, gate=True) == by_priority[N // 2 :]
    assert len(p) == 0
    # Every key is cooling down, half are gated too: add_many refuses each,
    # and a re-add lifts both.
    assert p.add_many((key, "again", 1) for key in keys) == [None] * N
    assert p.add_many(((key, "again", 1) for key in keys), readd=True) == [1.0] * N
    assert len(p) == N

    # N kept items whose cool-downs end at once: the next sweep removes them all.
    assert len(p.pull(N, purge=False, expire_in=0.001)) == N
    time.sleep(0.01)
    assert p.expire() == N
    assert len(p) == 0
