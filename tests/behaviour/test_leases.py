"""Leases (at-least-once consumption): claim, ack, release, extend, leased and processing.

Every test runs against a real server, blocking and asyncio (the ``flavour``
fixture), on each client library and topology unless it says otherwise. The
server's own keys are read directly (:func:`state`) wherever a test claims
that something was, or was not, written.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import redis.asyncio
from test_round_trips import Counting, trips
from test_round_trips import counted as counted  # the fixture: a client counting round trips

from conftest import TWINS, Flavour, Server, _settings_of, delete_collection
from typedset import (
    Lease,
    NameClashError,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset._keys import set_keys, stream_keys
from typedset.aio import AsyncSortedSet
from typedset.testing.blocking import BlockingView

KINDS = [SortedSet, TimeSortedSet, ScheduledSet]
#: A short lease, and a sleep that certainly outlasts it on the server's clock.
SHORT = 0.1
PAST_SHORT = 0.15
#: A lease that a test extends before it ends (time enough for a slow machine's
#: round trip), and a sleep past its first deadline.
BRIEF = 0.5
PAST_BRIEF = 0.55
#: Float slack when comparing a deadline the server computed with the server's clock.
EPS = 1e-4
#: For tests that mostly sleep out leases or due times: the server's clock decides
#: there, not the client library, so one library per topology is enough.
timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)


class Boom(Exception):
    """What a failing handler raises."""


def build(flavour: Flavour, client: Any, kind: type[Any], name: str, **kwargs: Any) -> Any:
    """``kind(client, name, **kwargs)``, or its asyncio twin behind a ``BlockingView``.

    ``flavour(...)`` does not carry ``max_deliveries`` over to the twin; this does.
    """
    made = kind(client, name, **kwargs)
    if flavour.kind == "sync":
        return made
    twin = TWINS[kind](flavour.async_client(**_settings_of(client)), name, **kwargs)
    return BlockingView(twin, flavour.loop)


def fresh(flavour: Flavour, kind: type[Any], name: str, **kwargs: Any) -> Any:
    """A collection on a client of its own (as another process would have), closed at the end."""
    if flavour.kind == "sync":
        client = flavour.target.client()
        flavour.sync_clients.append(client)
        return kind(client, name, **kwargs)
    async_client = flavour.target.async_client()
    flavour.clients[(("fresh", len(flavour.clients)),)] = async_client
    return BlockingView(TWINS[kind](async_client, name, **kwargs), flavour.loop)


def server_now(r: redis.Redis) -> float:
    seconds, micros = r.time()
    return seconds + micros / 1e6


def state(r: redis.Redis, name: str) -> dict[str, object]:
    """Every key of the set ``name``, as stored."""
    keys = set_keys(name)
    return {
        "pending": r.zrange(keys.pending, 0, -1, withscores=True),
        "leased": r.zrange(keys.leased, 0, -1, withscores=True),
        "held": r.hgetall(keys.held),
        "deliveries": r.hgetall(keys.deliveries),
        "dead": r.hgetall(keys.dead),
        "fence": r.get(keys.fence),
        "kind": r.get(keys.kind),
    }


NOTHING: dict[str, object] = {
    "pending": [],
    "leased": [],
    "held": {},
    "deliveries": {},
    "dead": {},
    "fence": None,
    "kind": None,
}


def process(
    s: Any,
    body: Callable[[Any, Any], object],
    *,
    ttl: float = 30.0,
    timeout: float | None = None,
) -> None:
    """``body(item, job)`` inside ``with s.processing(...)`` (``async with`` for a twin)."""
    if isinstance(s, BlockingView):
        twin = s.target

        async def run() -> None:
            job = twin.processing(ttl=ttl, timeout=timeout)
            async with job as item:
                body(item, job)

        s.run(run())
        return
    job = s.processing(ttl=ttl, timeout=timeout)
    with job as item:
        body(item, job)


def items(leases: list[Lease[Any]]) -> list[Any]:
    return [lease.item for lease in leases]


# --- claim, ack -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_claim_leases_the_head_in_score_order(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("c", 3.0), ("a", 1.0), ("b", 2.0)])
    before = server_now(r)
    leases = s.claim(2, ttl=30)
    after = server_now(r)
    assert items(leases) == ["a", "b"]
    assert [lease.deliveries for lease in leases] == [1, 1]
    assert all(before + 30 - EPS <= lease.deadline <= after + 30 + EPS for lease in leases)
    assert len({lease.token for lease in leases}) == 2
    # Claimed items left pending but are not gone: they are held.
    assert list(s) == ["c"]
    assert "a" not in s
    held = s.leased()
    assert [(h.item, h.token, h.deliveries) for h in held] == [
        (lease.item, lease.token, lease.deliveries) for lease in leases
    ]
    deadlines = zip(held, leases, strict=True)
    assert all(abs(h.deadline - lease.deadline) < EPS for h, lease in deadlines)
    assert items(s.claim(5)) == ["c"]
    assert s.claim(5) == []
    assert s.claim(0) == []
    assert s.claim(-1) == []


@pytest.mark.parametrize("kind", KINDS)
def test_ack_finishes_a_held_lease_once_and_forgets_its_count(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0), ("b", 2.0)])
    a, b = s.claim(2)
    assert s.ack(a) is True
    assert s.ack(a) is False
    assert items(s.leased()) == ["b"]
    assert s.ack_many([b, a, b]) == 1
    assert s.leased() == []
    assert len(s) == 0
    left = state(r, name)
    assert (left["pending"], left["leased"], left["held"], left["deliveries"]) == ([], [], {}, {})
    s.add("a", 1.0)
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("a", 1)


def test_scheduled_set_claims_only_due_items(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, ScheduledSet, name)
    now = server_now(r)
    s.update_scored([("due", now - 1), ("later", now + 3600)])
    assert items(s.claim(10)) == ["due"]
    assert s.claim(10) == []
    soon = server_now(r) + 0.3
    s.add("soon", soon)
    assert items(s.claim(10, timeout=5)) == ["soon"]  # waited until it was due
    assert server_now(r) >= soon
    assert sorted(s) == ["later"]
    assert items(s.leased()) == ["due", "soon"]


# --- release, extend -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_release_puts_the_item_back_at_its_original_score(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.5), ("b", 2.5)])
    [a] = s.claim()
    assert s.score("a") is None
    assert s.release(a) is True
    assert s.score("a") == 1.5
    assert s.leased() == []
    assert s.release(a) is False  # no longer held: nothing changes
    assert s.score("a") == 1.5
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("a", 2)
    assert again.token != a.token
    assert s.release_many([again, a]) == 1
    assert s.score("a") == 1.5


@timed
@pytest.mark.parametrize("kind", KINDS)
def test_release_with_delay_makes_the_item_due_at_server_time_plus_delay(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0)])
    [a] = s.claim()
    before = server_now(r)
    assert s.release(a, delay=0.5) is True
    if kind is ScheduledSet:
        assert s.claim() == []  # not due yet
    after = server_now(r)
    score = s.score("a")
    assert score is not None
    assert before + 0.5 - EPS <= score <= after + 0.5 + EPS
    if kind is ScheduledSet:
        [again] = s.claim(timeout=5)
        assert (again.item, again.deliveries) == ("a", 2)
        assert server_now(r) >= score


@timed
def test_extend_moves_the_deadline_of_a_held_lease(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.add("a", 1.0)
    [a] = s.claim(ttl=BRIEF)
    before = server_now(r)
    assert s.extend(a, 30) is True
    [held] = s.leased()
    assert held.deadline >= before + 30 - EPS
    time.sleep(PAST_BRIEF)  # past the first deadline: still held
    assert s.claim() == []
    assert s.extend_many([a], 30) == 1
    # The lease object keeps its old deadline but still names the lease.
    assert s.ack(a) is True
    assert s.leased() == []


# --- an item added while under lease -------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_item_added_under_lease_waits_in_pending_until_the_lease_ends(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0), ("b", 2.0)])
    [a] = s.claim()
    s.add("a", 0.5)
    assert "a" in s
    assert s.score("a") == 0.5
    assert items(s.claim(5)) == ["b"]  # the pending copy of "a" is skipped
    assert s.claim() == []
    assert s.ack(a) is True
    assert s.score("a") == 0.5  # the copy added meanwhile stays
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("a", 1)


def test_release_and_expiry_keep_the_lower_score_of_a_pending_copy(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.update_scored([("a", 1.0), ("b", 5.0)])
    [a] = s.claim(ttl=30)
    s.claim(ttl=SHORT)  # "b", left to expire
    s.add("a", 3.0)
    s.add("b", 2.0)
    assert s.release(a) is True
    assert s.score("a") == 1.0  # the lease's own score was lower
    time.sleep(PAST_SHORT)
    assert s.peek_score() == 1.0  # returns the expired lease of "b" first
    assert s.score("b") == 2.0  # the copy's score was lower
    assert [(lease.item, lease.deliveries) for lease in s.claim(2)] == [("a", 2), ("b", 2)]


# --- expiry ---------------------------------------------------------------------------

EXPIRY_CASES = [(SortedSet, op) for op in ("claim", "pop", "take", "peek")] + [
    (ScheduledSet, "claim"),
    (ScheduledSet, "pop"),
]


@timed
@pytest.mark.parametrize(
    ("kind", "op"), EXPIRY_CASES, ids=[f"{k.__name__}-{op}" for k, op in EXPIRY_CASES]
)
def test_an_expired_lease_comes_back_inside_the_next_read_of_the_head(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any], op: str
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0)])
    [a] = s.claim(ttl=SHORT)
    time.sleep(PAST_SHORT)
    # Native reads do not return an expired lease by themselves.
    assert len(s) == 0
    assert "a" not in s
    if op == "claim":
        [again] = s.claim()
        assert (again.item, again.deliveries) == ("a", 2)
    elif op == "pop":
        assert s.pop() == "a"
    elif op == "take":
        assert s.take(5) == ["a"]
    else:
        assert s.peek() == "a"
        assert s.score("a") == 1.0  # back at its original score
    assert s.ack(a) is False  # the expired lease is no longer held


@timed
@pytest.mark.parametrize("kind", KINDS)
def test_delivery_counts_survive_release_and_expiry(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.add("a", 1.0)
    [first] = s.claim()
    assert first.deliveries == 1
    assert s.release(first)
    [second] = s.claim(ttl=SHORT)
    assert second.deliveries == 2
    time.sleep(PAST_SHORT)
    [third] = s.claim()
    assert third.deliveries == 3
    assert [lease.deliveries for lease in s.leased()] == [3]
    assert s.ack(third)
    s.add("a", 1.0)
    [fourth] = s.claim()
    assert fourth.deliveries == 1  # an ack ends the count


def test_pop_take_and_discard_forget_the_delivery_count(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    assert s.release_many(s.claim(3)) == 3
    assert s.pop() == "a"
    assert s.take(1) == ["b"]
    s.discard("c")
    assert state(r, name)["deliveries"] == {}
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    assert [lease.deliveries for lease in s.claim(3)] == [1, 1, 1]


# --- stale leases (acceptance 6) -----------------------------------------------------


@dataclass
class Stale:
    """A lease that expired (``first``) and the same item's lease by another consumer."""

    first_consumer: Any
    second_consumer: Any
    first: Lease[str]
    second: Lease[str]
    before: dict[str, object]


@pytest.fixture
def stale(flavour: Flavour, r: redis.Redis, name: str) -> Stale:
    # max_deliveries=2: a stale release taken for a held one would bury the item.
    one = build(flavour, r, SortedSet, name, max_deliveries=2)
    two = fresh(flavour, SortedSet, name, max_deliveries=2)
    one.update_scored([("a", 1.0), ("b", 2.0)])
    [first] = one.claim(ttl=SHORT)
    time.sleep(PAST_SHORT)
    [second] = two.claim(ttl=30)
    assert (second.item, second.deliveries) == ("a", 2)
    assert second.token != first.token
    two.add("a", 5.0)  # a pending copy too: a stale release would lower its score
    before = state(r, name)
    assert before["pending"] == [(b"b", 2.0), (b"a", 5.0)]
    assert list(before["held"]) == [b"a"]  # type: ignore[call-overload]
    return Stale(one, two, first, second, before)


def _unchanged(stale: Stale, r: redis.Redis, name: str) -> None:
    assert state(r, name) == stale.before
    assert [lease.token for lease in stale.second_consumer.leased()] == [stale.second.token]
    assert stale.first_consumer.dead_letters() == []
    assert stale.second_consumer.ack(stale.second) is True  # the second lease is untouched


def test_a_stale_lease_cannot_be_acked(stale: Stale, r: redis.Redis, name: str) -> None:
    assert stale.first_consumer.ack(stale.first) is False
    assert stale.first_consumer.ack_many([stale.first, stale.first]) == 0
    _unchanged(stale, r, name)


def test_a_stale_lease_cannot_be_released(stale: Stale, r: redis.Redis, name: str) -> None:
    assert stale.first_consumer.release(stale.first) is False
    assert stale.first_consumer.release(stale.first, delay=0) is False
    assert stale.first_consumer.release_many([stale.first], delay=60) == 0
    _unchanged(stale, r, name)


def test_a_stale_lease_cannot_be_extended(stale: Stale, r: redis.Redis, name: str) -> None:
    assert stale.first_consumer.extend(stale.first, 60) is False
    assert stale.first_consumer.extend_many([stale.first], 60) == 0
    _unchanged(stale, r, name)


# --- poison items (acceptance 5) ------------------------------------------------------


def test_a_poison_item_is_dead_lettered_after_exactly_max_deliveries(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name, max_deliveries=3)
    s.update_scored([("poison", 1.0), ("good", 2.0)])
    calls: Counter[str] = Counter()
    deliveries: list[int] = []

    def handle(item: str, job: Any) -> None:
        calls[item] += 1
        if item == "poison":
            deliveries.append(job.lease.deliveries)
            raise Boom(item)

    for _ in range(20):  # bounded: a loop that never ends is a failure too
        try:
            process(s, handle, ttl=30)
        except Boom:
            continue
        except KeyError:
            break
    else:
        pytest.fail(f"the consumer never ran out of items: {calls}")
    assert calls == {"poison": 3, "good": 1}
    assert deliveries == [1, 2, 3]
    [letter] = s.dead_letters()
    assert letter.raw == b"poison"
    assert "delivered 3 times" in letter.reason
    assert "max_deliveries=3" in letter.reason
    assert letter.score == 1.0
    assert len(s) == 0
    assert s.leased() == []
    assert s.requeue_dead() == 1
    assert s.dead_letters() == []
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("poison", 1)


@timed
def test_an_item_never_acked_is_dead_lettered_by_the_claim_after_its_last_delivery(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name, max_deliveries=3)
    s.add("crasher", 4.0)
    for n in (1, 2, 3):
        [lease] = s.claim(ttl=SHORT)  # the consumer dies: nobody acks
        assert lease.deliveries == n
        time.sleep(PAST_SHORT)
    assert s.claim() == []
    [letter] = s.dead_letters()
    assert (letter.raw, letter.score) == (b"crasher", 4.0)
    assert "max_deliveries=3" in letter.reason
    left = state(r, name)
    assert (left["pending"], left["leased"], left["held"], left["deliveries"]) == ([], [], {}, {})


# --- processing -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_processing_acks_on_normal_exit(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0), ("b", 2.0)])
    seen: list[tuple[str, Lease[str]]] = []
    process(s, lambda item, job: seen.append((item, job.lease)))
    [(item, lease)] = seen
    assert (item, lease.item, lease.deliveries) == ("a", "a", 1)
    assert list(s) == ["b"]
    assert s.leased() == []
    assert state(r, name)["deliveries"] == {}


@pytest.mark.parametrize("kind", KINDS)
def test_processing_releases_on_an_exception_and_lets_it_propagate(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, r, kind, name)
    s.update_scored([("a", 1.0)])

    def fail(item: str, job: Any) -> None:
        assert list(state(r, name)["held"]) == [job.lease.item.encode()]  # type: ignore[call-overload]
        raise Boom(item)

    with pytest.raises(Boom, match="a"):
        process(s, fail)
    assert s.score("a") == 1.0
    assert s.leased() == []
    [again] = s.claim()
    assert again.deliveries == 2


def test_processing_raises_key_error_when_nothing_is_ready(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    s.add("later", server_now(r) + 3600)
    ran: list[object] = []
    with pytest.raises(KeyError):
        process(s, lambda item, job: ran.append(item))
    assert ran == []
    assert list(s) == ["later"]
    assert s.leased() == []


@timed
def test_processing_with_timeout_waits_for_an_item(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    ran: list[object] = []
    start = time.monotonic()
    with pytest.raises(KeyError):
        process(s, lambda item, job: ran.append(item), timeout=0.3)
    assert 0.3 <= time.monotonic() - start < 3
    due = server_now(r) + 0.3
    s.add("soon", due)
    process(s, lambda item, job: ran.append(item), timeout=5)
    assert ran == ["soon"]
    assert server_now(r) >= due
    assert len(s) == 0


@timed
def test_processing_warns_when_its_lease_ended_before_the_block(
    flavour: Flavour, r: redis.Redis, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.add("slow", 1.0)
    with caplog.at_level(logging.WARNING, logger="typedset"):
        process(s, lambda item, job: time.sleep(PAST_SHORT), ttl=SHORT)
    assert "ended before its work did" in caplog.text
    assert "'slow'" in caplog.text
    # The ack found no lease: the item went back when the lease ended.
    [again] = s.claim()
    assert (again.item, again.deliveries) == ("slow", 2)


def test_processing_extends_its_lease_and_has_none_outside_the_block(
    plain: redis.Redis, name: str
) -> None:
    s = SortedSet(plain, name)
    s.add("a", 1.0)
    job = s.processing(ttl=BRIEF)
    with pytest.raises(RuntimeError):
        _ = job.lease
    with job as item:
        assert item == "a"
        assert job.extend(30) is True
        time.sleep(PAST_BRIEF)  # past the first ttl: still held
        assert s.claim() == []
        assert job.extend() is True  # the ttl given
    assert s.leased() == []
    assert len(s) == 0
    with pytest.raises(RuntimeError):
        _ = job.lease


def test_processing_async_extends_and_a_cancelled_task_releases(server: Server, name: str) -> None:
    async def main() -> None:
        client = server.async_client()
        try:
            s: AsyncSortedSet[str] = AsyncSortedSet(client, name)
            await s.update_scored([("a", 1.0), ("b", 2.0)])
            job = s.processing(ttl=BRIEF)
            async with job as item:
                assert item == "a"
                assert await job.extend(30) is True
                await asyncio.sleep(PAST_BRIEF)
                assert await job.extend() is True
                assert [lease.token for lease in await s.leased()] == [job.lease.token]
            assert await s.leased() == []

            inside = asyncio.Event()

            async def work() -> None:
                async with s.processing(ttl=30) as item:
                    assert item == "b"
                    inside.set()
                    await asyncio.sleep(30)

            task = asyncio.create_task(work())
            await asyncio.wait_for(inside.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await s.score("b") == 2.0  # released at its own score
            assert await s.leased() == []
            [again] = await s.claim()
            assert (again.item, again.deliveries) == ("b", 2)
        finally:
            await client.aclose()

    asyncio.run(asyncio.wait_for(main(), 30))


# --- round trips (acceptance 1) -------------------------------------------------------


@pytest.mark.parametrize("target", ["redis"], indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_each_lease_operation_takes_one_round_trip(
    flavour: Flavour, counted: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = build(flavour, counted, kind, name)
    # The first operation of a collection on a client also checks the name's kind.
    s.update_scored([(f"i{i:03}", 1.0 + i) for i in range(100)])
    assert trips(lambda: s.claim(5)) == 1
    assert trips(lambda: s.claim()) == 1
    leases = s.claim(20)
    assert trips(lambda: s.ack(leases.pop())) == 1
    assert trips(lambda: s.ack_many([leases.pop(), leases.pop(), leases.pop()])) == 1
    assert trips(lambda: s.release(leases.pop())) == 1
    assert trips(lambda: s.release_many([leases.pop(), leases.pop()])) == 1
    assert trips(lambda: s.extend(leases[0], 30)) == 1
    assert trips(lambda: s.extend_many(leases, 30)) == 1
    assert trips(lambda: s.leased()) == 1


@pytest.mark.parametrize("target", ["redis"], indirect=True)
@pytest.mark.parametrize(
    ("kind", "head"),
    [
        (SortedSet, "held copy"),
        (ScheduledSet, "future"),
        (ScheduledSet, "held copy"),
    ],
)
def test_a_waiting_claim_polls_at_most_every_50_ms(
    flavour: Flavour, counted: redis.Redis, name: str, kind: type[Any], head: str
) -> None:
    """Nothing to claim for 0.5 s: 2 ms between polls, doubling up to 50 ms, is ~15 polls."""
    s = build(flavour, counted, kind, name)
    if head == "future":
        s.add("a", server_now(counted) + 3600)
    else:  # the head is a pending copy of an item under lease: claim skips it
        s.add("a", 1.0)
        s.claim(ttl=30)
        s.add("a", 1.0)
    s.claim()  # warm: the name check and the script
    before = Counting.sends
    assert s.claim(timeout=0.5) == []
    assert Counting.sends - before <= 40


@pytest.mark.parametrize("op", ["ack_many", "release_many", "extend_many"])
def test_a_many_operation_counts_a_lease_listed_twice_once(
    flavour: Flavour, r: redis.Redis, name: str, op: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.add("a", 1.0)
    [lease] = s.claim()
    more = (30,) if op == "extend_many" else ()
    assert getattr(s, op)([lease, lease], *more) == 1


# --- bad input --------------------------------------------------------------------------


def test_bad_lease_arguments_are_refused_before_anything_is_written(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    # A collection's first calls: not even its kind marker may be written.
    for n in ("1", 1.5, None, True):
        with pytest.raises(TypeError, match="n must be an int"):
            s.claim(n)
    for ttl in (0, 0.0, -1, -math.inf, math.inf, math.nan):
        with pytest.raises(ValueError, match="ttl"):
            s.claim(ttl=ttl)
    for not_a_number in ("30", None, True):
        with pytest.raises(TypeError, match="ttl"):
            s.claim(ttl=not_a_number)
    with pytest.raises(ValueError, match="timeout"):
        s.claim(timeout=-1)
    with pytest.raises(ValueError, match="ttl"):
        s.processing(ttl=0)
    for not_a_lease in ("a", None, ("a", 1.0), b"1:a"):
        with pytest.raises(TypeError, match="leases returned by claim"):
            s.ack(not_a_lease)
        with pytest.raises(TypeError, match="leases returned by claim"):
            s.release(not_a_lease)
        with pytest.raises(TypeError, match="leases returned by claim"):
            s.extend(not_a_lease, 30)
    assert s.claim(0) == []
    assert s.claim(-5) == []
    assert state(r, name) == NOTHING

    s.update_scored([("a", 1.0), ("b", 2.0)])
    [lease] = s.claim()
    before = state(r, name)
    with pytest.raises(TypeError):
        s.ack_many([lease, "b"])  # the good lease is not acked either
    with pytest.raises(TypeError):
        s.release_many([lease, object()])
    with pytest.raises(TypeError):
        s.extend_many([lease, 1], 30)
    for delay in (-1, math.inf, math.nan):
        with pytest.raises(ValueError, match="delay"):
            s.release(lease, delay=delay)
    for ttl in (0, -2, math.inf, math.nan):
        with pytest.raises(ValueError, match="ttl"):
            s.extend(lease, ttl)
    forged = Lease("b", lease.deadline, 1, b"not a token")
    with pytest.raises(ValueError, match="no valid lease token"):
        s.ack(forged)
    assert state(r, name) == before
    assert s.ack(lease) is True


def test_a_lease_of_another_set_is_refused_even_when_its_fence_matches(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """Two sets' fence counters both start at 1: the token names its set, so it cannot cross."""
    first = build(flavour, r, SortedSet, name + ":{a}")
    second = build(flavour, r, SortedSet, name + ":{b}")
    try:
        _two_sets_one_fence(first, second)
    finally:
        delete_collection(r, name + ":{a}")
        delete_collection(r, name + ":{b}")


def _two_sets_one_fence(first: Any, second: Any) -> None:
    first.add("x")
    second.add("x")
    [mine] = first.claim()
    [theirs] = second.claim()
    with pytest.raises(ValueError, match="lease of another collection"):
        second.ack(mine)
    assert [lease.token for lease in second.leased()] == [theirs.token]
    assert second.ack(theirs) is True
    assert first.ack(mine) is True


@pytest.mark.parametrize("bad", ["3", 3.0, True])
def test_max_deliveries_must_be_an_int(flavour: Flavour, bad: object) -> None:
    with pytest.raises(TypeError, match="max_deliveries"):
        flavour.construct(SortedSet, "x", max_deliveries=bad)


@pytest.mark.parametrize("bad", [0, -1])
def test_max_deliveries_must_be_at_least_one(flavour: Flavour, bad: int) -> None:
    with pytest.raises(ValueError, match="max_deliveries"):
        flavour.construct(SortedSet, "x", max_deliveries=bad)


# --- names that collide ------------------------------------------------------------------


def stream_state(r: redis.Redis, name: str) -> dict[str, object]:
    keys = stream_keys(name)
    return {
        "priorities": r.zrange(keys.priorities, 0, -1, withscores=True),
        "values": r.hgetall(keys.values),
        "kind": r.get(keys.kind),
    }


def test_a_priority_stream_cannot_take_a_sorted_sets_name(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, SortedSet, name)
    s.update_scored([("a", 1.0), ("b", 2.0)])
    [lease] = s.claim()
    before = state(r, name)
    stream = fresh(flavour, PriorityStream, name)
    with pytest.raises(NameClashError) as clash:
        stream.add("k", "v", 1.0)
    assert (clash.value.name, clash.value.found, clash.value.wanted) == (
        name,
        "sorted set",
        "priority stream",
    )
    assert name in str(clash.value)
    assert "already a sorted set" in str(clash.value)
    with pytest.raises(NameClashError):  # and every later operation too
        len(stream)
    assert state(r, name) == before
    assert list(s) == ["b"]
    assert s.ack(lease) is True


def test_a_sorted_set_cannot_take_a_priority_streams_name(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    stream = flavour(PriorityStream(r, name))
    stream.add_many([("k1", "v1", 1.0), ("k2", "v2", 2.0)])
    before = stream_state(r, name)
    s = fresh(flavour, SortedSet, name)
    with pytest.raises(NameClashError, match="already a priority stream") as clash:
        s.claim()
    assert (clash.value.found, clash.value.wanted) == ("priority stream", "sorted set")
    with pytest.raises(NameClashError):
        s.add("x")
    assert stream_state(r, name) == before
    assert len(stream) == 2
    assert stream["k1"] == "v1"


def test_the_three_set_kinds_share_a_name(flavour: Flavour, r: redis.Redis, name: str) -> None:
    plain_set = build(flavour, r, SortedSet, name)
    plain_set.update_scored([("x", 1.0)])
    timed = fresh(flavour, TimeSortedSet, name)
    scheduled = fresh(flavour, ScheduledSet, name)
    [lease] = timed.claim()
    assert lease.item == "x"
    assert scheduled.ack(lease) is True
    timed.add("y", 2.0)
    assert scheduled.peek() == "y"
    assert plain_set.pop() == "y"


# --- found by the adversarial review ---------------------------------------------------


def test_a_blocking_pop_forgets_the_delivery_count_of_what_it_took(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """BZPOPMIN cannot clear a count; the next pop or claim script does, so a re-add starts at 1."""
    s = build(flavour, r, SortedSet, name, max_deliveries=2)
    s.add("x", 1.0)
    [lease] = s.claim(ttl=30)
    holder = SortedSet(r, name)  # another consumer, on its own thread: a blocking client

    def release_soon() -> None:
        time.sleep(0.2)
        holder.release(lease)

    releaser = threading.Thread(target=release_soon)
    releaser.start()
    try:
        assert s.pop(timeout=3) == "x"  # woken by the release: taken by BZPOPMIN
    finally:
        releaser.join()
    s.add("x", 1.0)
    [again] = s.claim(ttl=30)
    assert again.deliveries == 1
    assert s.release(again) is True  # 1 < max_deliveries=2: back to pending, not buried
    assert s.dead_letters() == []


def test_set_algebra_never_reads_a_stream_as_a_set(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    stream = flavour(PriorityStream(r, name + ":stream"))
    stream.add("k", "v")
    s = flavour(SortedSet(r, name))
    s.add("mine")
    with pytest.raises(NameClashError):
        s.union_update(SortedSet(r, name + ":stream"))  # a set object over the stream's name
    assert list(s) == ["mine"]


def test_a_processing_block_cannot_be_entered_twice(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    s.update(["a", "b"])
    job = s.processing(ttl=30)
    with job as item:
        assert item == "a"
        with pytest.raises(RuntimeError, match="already holds a lease"), job:
            pass
    assert [lease.item for lease in s.leased()] == []
    assert list(s) == ["b"]


def test_numbers_beyond_a_double_are_a_value_error(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    with pytest.raises(ValueError, match="too large"):
        s.claim(ttl=10**400)
    with pytest.raises(ValueError, match="too large"):
        s.add("x", 10**400)
    assert r.exists(name) == 0
