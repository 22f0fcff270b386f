"""stats(): one round trip gives every count and time of a collection, on the server's clock.

Every test runs for the blocking class and its asyncio twin (``flavour``),
builds a known state (pending, due and future items, leases, dead letters,
gates, cool-downs, expired members) and asserts the exact numbers; the
times are compared with the scores and deadlines the collection reports
itself, and the snapshot's ``at`` with server readings taken around it.
Undecodable bytes are written to the keys directly, then met by a read,
which moves them to the dead letters.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import pytest
import redis
from test_expiring_set import build as build_expiring
from test_expiring_set import server_now, wait_past
from test_leases import BRIEF, PAST_SHORT, SHORT, build
from test_round_trips import counted as counted  # the fixture: a client counting round trips
from test_round_trips import trips

from conftest import Flavour
from typedset import NameClashError, PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset._keys import expiring_keys, set_keys, stream_keys
from typedset._stats import ExpiringStats, SetStats, Stats, StreamStats

KINDS = [SortedSet, TimeSortedSet, ScheduledSet]
#: For tests that sleep out a lease or a deadline: the server's clock decides there.
timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
#: Bytes no codec here decodes (not UTF-8, not JSON).
BAD = b"\xff\xfe"


def snapshot(r: redis.Redis, take: Any) -> tuple[float, Any, float]:
    """``take()`` between two readings of the server's clock."""
    before = server_now(r)
    stats = take()
    return before, stats, server_now(r)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_set_reports_zeros_and_no_times(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    before, stats, after = snapshot(r, s.stats)
    assert before <= stats.at <= after
    assert stats == SetStats(
        at=stats.at,
        dead_letters=0,
        pending=0,
        due=0,
        leased=0,
        periodic=0,
        oldest_score=None,
        oldest_age=None,
        next_due=None,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_set_stats_count_pending_due_leased_and_dead_letters(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    now = server_now(r)
    s.update_scored([("a", now - 100), ("b", now - 50), ("c", now + 3600), ("d", now + 7200)])
    r.zadd(set_keys(name).pending, {BAD: now - 75})
    assert list(s) == ["a", "b", "c", "d"]  # meets BAD: it moves to the dead letters
    [lease] = s.claim(1, ttl=60)
    assert lease.item == "a"
    before, stats, after = snapshot(r, s.stats)
    scheduled = kind is ScheduledSet
    assert before <= stats.at <= after
    assert stats == SetStats(
        at=stats.at,
        dead_letters=1,
        pending=3,
        due=1 if scheduled else 3,  # only "b" is due in a ScheduledSet
        leased=1,
        periodic=0,
        oldest_score=now - 50,
        oldest_age=None if kind is SortedSet else stats.at - (now - 50),
        next_due=now + 3600 if scheduled else None,
    )
    assert stats.oldest_age is None or 49 < stats.oldest_age < 60
    assert len(s) == stats.pending
    assert [letter.raw for letter in s.dead_letters()] == [BAD]

    s.ack(lease)
    s.take(10)
    later = s.stats()
    assert (later.pending, later.due, later.leased, later.dead_letters) == (
        (2, 0, 0, 1) if scheduled else (0, 0, 0, 1)
    )


def test_a_scheduled_set_counts_its_periodic_schedules_and_reports_lag_from_the_due_time(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    now = server_now(r)
    assert s.add_periodic("tick", 60, first_due=now + 30) is True
    assert s.add_periodic("tock", 3600, first_due=now + 90) is True
    stats = s.stats()
    assert (stats.pending, stats.due, stats.periodic) == (2, 0, 2)
    assert stats.next_due == stats.oldest_score == now + 30
    assert stats.oldest_age == 0.0  # nothing is due: no lag
    s.add("late", now - 20)
    stats = s.stats()
    assert (stats.pending, stats.due, stats.periodic) == (3, 1, 2)
    assert stats.oldest_score == now - 20
    assert stats.oldest_age == stats.at - (now - 20)
    assert stats.next_due == now + 30
    s.discard("tick")  # ends its schedule
    assert s.stats().periodic == 1


def test_a_time_set_reports_the_age_of_its_oldest_item(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, TimeSortedSet, name)
    before = server_now(r)
    s.add("job")  # scored with the server's clock
    stats = s.stats()
    score = s.score("job")
    assert score is not None
    assert before <= score <= stats.at
    assert stats.oldest_score == score
    assert stats.oldest_age == stats.at - score


@timed
@pytest.mark.parametrize("kind", [SortedSet, ScheduledSet])
def test_stats_returns_expired_leases_first_and_counts_over_delivered_items_as_dead(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name, max_deliveries=1)
    s.update_scored([("a", 1.0), ("b", 2.0)])
    s.claim(2, ttl=SHORT)
    assert (s.stats().pending, s.stats().leased) == (0, 2)
    time.sleep(PAST_SHORT)
    stats = s.stats()  # the leases ended: both items are pending again
    assert (stats.pending, stats.due, stats.leased, stats.dead_letters) == (2, 2, 0, 0)
    assert s.claim(2) == []  # each was delivered once: now dead letters
    stats = s.stats()
    assert (stats.pending, stats.due, stats.leased, stats.dead_letters) == (0, 0, 0, 2)
    assert stats.oldest_score is None


def test_stream_stats_count_items_gates_cool_downs_and_dead_letters(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    p = flavour(PriorityStream(r, name))
    empty = p.stats()
    assert empty == StreamStats(
        at=empty.at, dead_letters=0, items=0, gated=0, cooling=0, highest_priority=None
    )
    p.add_many([("a", "x", 1.0), ("b", "y", 5.0), ("c", "z", 3.0), ("d", "w", 1.5)])
    assert p.pull(1, gate=True) == {"b": "y"}  # removed, gated, cooling for a day
    assert p.pull(1, purge=False) == {"c": "z"}  # kept at 3 - 1 until its cool-down ends
    keys = stream_keys(name)
    r.hset(keys.values, "bad", BAD)
    r.zadd(keys.priorities, {"bad": 0.5})
    assert list(p.values()) == ["z", "w", "x"]  # meets "bad": it moves to the dead letters
    before, stats, after = snapshot(r, p.stats)
    assert before <= stats.at <= after
    assert stats == StreamStats(
        at=stats.at, dead_letters=1, items=3, gated=1, cooling=2, highest_priority=2.0
    )
    assert stats.items == len(p)
    assert stats.gated == len(p.gated())
    assert stats.cooling == len(p.cooling())


@timed
def test_stream_stats_end_the_cool_downs_that_are_over(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    p = flavour(PriorityStream(r, name))
    p.add_many([("a", "x", 1.0), ("b", "y", 2.0)])
    p.pull(2, purge=False, expire_in=SHORT)
    stats = p.stats()
    assert (stats.items, stats.cooling, stats.highest_priority) == (2, 2, 1.0)
    time.sleep(PAST_SHORT)
    stats = p.stats()  # the kept items left with their cool-downs
    assert (stats.items, stats.cooling, stats.highest_priority) == (0, 0, None)


@timed
def test_expiring_stats_count_live_expired_and_dead_members_and_prune_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build_expiring(flavour, r, name, ttl=60)
    empty = s.stats()
    assert empty == ExpiringStats(
        at=empty.at,
        dead_letters=0,
        live=0,
        expired=0,
        next_expiry=None,
        latest_expiry=None,
    )
    s.add("a")
    s.add("b", ttl=3600)
    r.zadd(expiring_keys(name).members, {BAD: int((server_now(r) + 60) * 1000)})
    assert sorted(s) == ["a", "b"]  # meets BAD: it moves to the dead letters
    s.add("brief", ttl=BRIEF)
    first, last, brief = (s.expires_at(item) for item in ("a", "b", "brief"))
    assert brief is not None  # BRIEF outlasts two round trips even on a slow machine
    wait_past(r, brief)
    before, stats, after = snapshot(r, s.stats)
    assert before - 0.001 <= stats.at <= after  # whole milliseconds of server time
    assert stats == ExpiringStats(
        at=stats.at,
        dead_letters=1,
        live=2,
        expired=1,  # "brief": stats prunes nothing
        next_expiry=first,
        latest_expiry=last,
    )
    assert r.zscore(expiring_keys(name).members, "brief") is not None  # still stored
    assert len(s) == 2  # a read prunes
    assert s.stats().expired == 0


@timed
def test_expiring_stats_refuse_a_name_another_kind_took_and_read_none_of_its_keys(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build_expiring(flavour, r, name, ttl=0.05)
    s.add("a")
    wait_past(r, server_now(r) + 0.06)
    assert s.stats().live == 0  # expired, marker and all
    taker = SortedSet(r, name)
    taker.update(["x", "y"])
    with pytest.raises(NameClashError):
        s.stats()
    assert len(taker) == 2


def test_stats_values_are_immutable_plain_data(flavour: Flavour, r: redis.Redis, name: str) -> None:
    stats = build(flavour, r, SortedSet, name).stats()
    assert isinstance(stats, SetStats)
    assert issubclass(SetStats, Stats)
    assert issubclass(StreamStats, Stats)
    assert issubclass(ExpiringStats, Stats)
    with pytest.raises(AttributeError):
        stats.pending = 5  # type: ignore[misc]
    as_json = msgspec.json.decode(msgspec.json.encode(stats))
    assert as_json["pending"] == 0
    assert as_json["at"] == stats.at


@pytest.mark.parametrize("target", ["redis"], indirect=True)
@pytest.mark.parametrize("kind", [*KINDS, PriorityStream, "ExpiringSet"])
def test_stats_is_one_round_trip_for_every_kind(
    flavour: Flavour, counted: redis.Redis, name: str, kind: Any
) -> None:
    if kind is PriorityStream:
        c: Any = flavour(PriorityStream(counted, name))
        c.add_many([(f"k{i}", "v", float(i)) for i in range(100)])
    elif kind == "ExpiringSet":
        c = build_expiring(flavour, counted, name, ttl=60)
        c.update([f"m{i}" for i in range(100)])
    else:
        c = build(flavour, counted, kind, name)
        c.update([f"i{i}" for i in range(100)])
        c.claim(10, ttl=60)
    assert trips(c.stats) == 1
