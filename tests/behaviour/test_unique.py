"""Unique until done (``unique_for``): an item pending, under lease, or done lately is refused.

Every test runs blocking and asyncio (``flavour``). Windows are short and the
tests wait on the server's clock, which is the one the scripts read, so one
client library per topology is enough (``timed``). The contention test runs
8 real processes, each with its own client, on the suite's private server,
and puts its accounting (every accepted add handled exactly once, never two
handlings of an item within the window) in asserts.
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import Counter, defaultdict
from datetime import timedelta
from threading import Barrier, Event
from typing import Any

import pytest
import redis
from test_leases import PAST_SHORT, SHORT, build, server_now, state

from conftest import Flavour, Server
from typedset import ScheduledSet, SortedSet, TimeSortedSet
from typedset._keys import set_keys

KINDS = [SortedSet, TimeSortedSet, ScheduledSet]
#: The server's clock decides here, not the client library: one library per topology.
timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
#: A window no test outlives, and a short one the tests wait out.
LONG = 3600.0
WINDOW = 0.3


def wait_past(r: redis.Redis, when: float) -> None:
    """Sleep until the server's clock is past ``when``."""
    while server_now(r) <= when:
        time.sleep(0.02)


@timed
@pytest.mark.parametrize("kind", KINDS)
def test_an_item_pending_is_refused_and_nothing_is_written(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name, unique_for=LONG)
    assert s.add("a", 5.0) is True
    before = state(r, name)
    assert s.add("a", 1.0) is False  # refused: the score stays, whatever on_duplicate says
    assert s.update_scored([("a", 2.0), ("b", 3.0), ("b", 4.0)]) == 1
    assert s.score("a") == 5.0
    assert s.score("b") == 3.0
    assert before["pending"] == [(b"a", 5.0)]
    assert s.update(["a", "b", "c"]) == 1
    assert sorted(s) == ["a", "b", "c"]


@timed
def test_without_unique_for_add_says_whether_the_item_was_new(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name, on_duplicate="min")
    assert s.add("a", 5.0) is True
    assert s.add("a", 1.0) is False  # present: the score follows on_duplicate
    assert s.score("a") == 1.0
    assert s.update_scored([("a", 0.5), ("b", 2.0)]) == 1
    assert s.update(["b", "c", "d", "c"]) == 2
    assert s.score("a") == 0.5
    [lease] = s.claim()
    assert s.add(lease.item) is True  # not pending (it is held): added, as before


@timed
@pytest.mark.parametrize("kind", KINDS)
def test_an_item_under_lease_is_refused_until_acked_and_the_window_ends(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name, unique_for=timedelta(seconds=WINDOW))
    s.add("a", 1.0)
    [lease] = s.claim(ttl=30)
    assert s.add("a", 1.0) is False
    assert s.update(["a"]) == 0
    s.union_update({"a"})
    assert len(s) == 0, "|= refuses it too"
    assert state(r, name)["pending"] == []
    assert s.ack(lease) is True
    acked = server_now(r)
    assert s.add("a", 1.0) is False  # done within the window
    wait_past(r, acked + WINDOW)
    assert s.add("a", 1.0) is True  # done, but longer ago than the window
    assert list(s) == ["a"]


@timed
@pytest.mark.parametrize("how", ["release", "expire"])
def test_a_released_or_expired_lease_leaves_the_item_pending_never_lost(
    flavour: Flavour, r: redis.Redis, name: str, how: str
) -> None:
    s = build(flavour, r, ScheduledSet, name, unique_for=LONG)
    s.add("a", 1.0)
    [lease] = s.claim(ttl=SHORT if how == "expire" else 30)
    if how == "release":
        assert s.release(lease) is True
    else:
        time.sleep(PAST_SHORT)  # the lease ended; nothing has returned it yet
        assert state(r, name)["pending"] == []
    assert s.add("a", 9.0) is False  # pending again: refused, but not lost
    assert s.score("a") == 1.0
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("a", 2)
    assert s.ack(again) is True
    assert s.add("a") is False


@timed
@pytest.mark.parametrize("kind", KINDS)
def test_popped_and_taken_items_are_refused_within_the_window(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name, unique_for=WINDOW)
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    assert s.pop() == "a"
    assert s.take(5) == ["b", "c"]
    done = server_now(r)
    assert s.update_scored([("a", 1.0), ("b", 1.0), ("c", 1.0)]) == 0
    assert len(s) == 0
    wait_past(r, done + WINDOW)
    assert s.update_scored([("a", 1.0), ("b", 1.0), ("c", 1.0)]) == 3


@timed
def test_dead_lettered_and_discarded_items_are_not_done(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name, unique_for=LONG, max_deliveries=1)
    s.update_scored([("poison", 1.0), ("dropped", 2.0)])
    [lease] = s.claim()
    assert s.release(lease) is True  # its one delivery is spent: dead-lettered
    assert [letter.raw for letter in s.dead_letters()] == [b"poison"]
    assert s.add("poison", 1.0) is True
    s.discard("dropped")
    assert s.add("dropped", 2.0) is True
    assert list(s) == ["poison", "dropped"]


@timed
def test_requeue_dead_leaves_a_letter_whose_item_was_added_again_and_is_in_hand_or_done(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """A buried item added again is accepted (it was not done); once that copy is under lease
    or done, bringing the letter back would run the item twice within the window."""
    s = build(flavour, r, SortedSet, name, unique_for=LONG, max_deliveries=1)
    s.update_scored([("acked", 1.0), ("held", 2.0), ("pending", 3.0), ("alone", 4.0)])
    for lease in s.claim(4):
        assert s.release(lease)  # each delivery spent: all four dead-lettered
    assert len(s.dead_letters()) == 4
    assert s.update_scored([("acked", 1.0), ("held", 2.0), ("pending", 3.0)]) == 3
    [acked, held] = s.claim(2)
    assert (acked.item, held.item) == ("acked", "held")
    assert s.ack(acked)
    assert s.requeue_dead() == 2  # "pending" merges with its copy, "alone" comes back
    assert list(s) == ["pending", "alone"]
    assert sorted(letter.raw for letter in s.dead_letters()) == [b"acked", b"held"]
    rest = s.claim(5)
    assert [lease.item for lease in rest] == ["pending", "alone"]  # nothing to run twice
    assert s.ack_many([held, *rest]) == 3
    assert s.add("held") is False
    assert s.claim(5) == []


@timed
def test_clear_forgets_what_was_done_and_old_records_are_trimmed_a_bounded_number_at_a_time(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name, unique_for=WINDOW)
    done_key = set_keys(name).done
    s.update([f"x{i}" for i in range(250)])
    assert len(s.take(250)) == 250
    popped = server_now(r)
    assert r.zcard(done_key) == 250
    wait_past(r, popped + WINDOW)
    # Each add trims at most 100 records older than the window.
    assert s.add("fresh") is True
    assert r.zcard(done_key) == 150
    s.add("x0")
    s.add("x1")
    assert r.zcard(done_key) == 0
    s.take(10)
    assert s.update(["x0", "x1", "fresh"]) == 0
    s.clear()
    assert r.exists(done_key) == 0
    assert s.update(["x0", "x1", "fresh"]) == 3


def test_unique_for_is_checked_at_the_constructor(r: redis.Redis, name: str) -> None:
    for bad in (0, -1.0, timedelta(0), float("inf"), float("nan")):
        with pytest.raises(ValueError, match="unique_for"):
            SortedSet(r, name, unique_for=bad)
    bad_type: Any = "60"
    with pytest.raises(TypeError, match="unique_for"):
        SortedSet(r, name, unique_for=bad_type)


# --- 8 processes: producers re-adding the same items, consumers claiming and acking ---

ITEMS = [f"job-{i}" for i in range(12)]
CONTENTION_WINDOW = 0.4
PRODUCE_FOR = 3.0
LEASE_TTL = 30.0


def produce(url: str, name: str, start: Barrier) -> list[tuple[str, float]]:
    """Add every item again and again; return each accepted add and the server time before it."""
    client = redis.Redis.from_url(url)
    s = SortedSet(client, name, unique_for=CONTENTION_WINDOW)
    start.wait(timeout=120)
    until = time.time() + PRODUCE_FOR
    accepted: list[tuple[str, float]] = []
    while time.time() < until:
        for item in ITEMS:
            before = server_now(client)
            if s.add(item):
                accepted.append((item, before))
    client.close()
    return accepted


def consume(url: str, name: str, worker: int, start: Barrier, stop: Event) -> list[Any]:
    """Claim, sometimes release (a failure: the item is pending again), else ack.

    Returns each completed handling: (item, server time of its claim, server
    time just before its ack), and how many releases there were.
    """
    client = redis.Redis.from_url(url)
    s = SortedSet(client, name, unique_for=CONTENTION_WINDOW)
    start.wait(timeout=120)
    handled: list[tuple[str, float, float]] = []
    released = 0
    turn = worker
    while not stop.is_set():
        leases = s.claim(ttl=LEASE_TTL, timeout=0.1)
        for lease in leases:
            turn += 1
            if turn % 5 == 0:
                assert s.release(lease)
                released += 1
                continue
            before_ack = server_now(client)
            assert s.ack(lease), "a lease that did not expire is held"
            handled.append((lease.item, lease.deadline - LEASE_TTL, before_ack))
    client.close()
    return [handled, released]


def test_eight_processes_never_handle_an_item_twice_within_the_window_and_lose_none(
    server: Server, name: str
) -> None:
    context = multiprocessing.get_context("spawn")
    r = redis.Redis.from_url(server.url)
    with context.Manager() as manager, context.Pool(8) as pool:
        start = manager.Barrier(8)
        stop = manager.Event()
        producers = [pool.apply_async(produce, (server.url, name, start)) for _ in range(4)]
        consumers = [
            pool.apply_async(consume, (server.url, name, worker, start, stop))
            for worker in range(4)
        ]
        accepted = [add for p in producers for add in p.get(timeout=180)]
        # Producers are done: wait until every accepted add was handled, then stop.
        s = SortedSet(r, name, unique_for=CONTENTION_WINDOW)
        deadline = time.monotonic() + 60
        while (len(s) or s.leased()) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        results = [c.get(timeout=120) for c in consumers]
    r.close()
    handled = [h for result in results for h in result[0]]
    released = sum(result[1] for result in results)
    adds = Counter(item for item, _ in accepted)
    completions = Counter(item for item, _, _ in handled)
    assert adds == completions, "each accepted add handled exactly once: none lost, none twice"
    assert sum(adds.values()) >= 2 * len(ITEMS), "items came back after their windows"
    assert released > 0, "released items were pending again and handled"
    by_item: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item, claimed, before_ack in handled:
        by_item[item].append((claimed, before_ack))
    for item, times in by_item.items():
        times.sort()
        for (_, acked), (claimed_next, _) in itertools.pairwise(times):
            # The next handling was claimed after an add accepted no sooner than
            # the window after the ack (acked is read just before the ack).
            assert claimed_next - acked >= CONTENTION_WINDOW - 1e-3, (item, times)
