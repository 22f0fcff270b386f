"""Periodic work on ``ScheduledSet`` (``add_periodic``): each run handed out once, the next
one scheduled in the same script.

Every test runs blocking and asyncio (``flavour``), on one client library per
topology (the server's clock decides). Exact due times are checked through
``Lease.score`` (the due time of the run a lease holds) and ``score()`` (the
next run's due time). The acceptance tests run 8 workers (threads with
clients of their own, or 8 asyncio tasks) on a job due every 0.2 s for 10 s
and account for every due time in asserts.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import redis
from test_leases import PAST_SHORT, SHORT, build, server_now, state

from conftest import Flavour, Server
from typedset import ScheduledSet, SortedSet
from typedset._keys import set_keys
from typedset.aio import AsyncScheduledSet

#: The server's clock decides here, not the client library: one library per topology.
timed = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
EPS = 1e-6


def schedule(r: redis.Redis, name: str, item: str) -> bytes | str | None:
    """The schedule ``add_periodic`` stored for ``item``, as stored."""
    return r.hget(set_keys(name).periodic, item)


@timed
def test_pop_hands_out_a_run_and_puts_the_item_back_at_its_next_due_time_skipping_missed_runs(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    first = server_now(r) - 25.0  # five runs every 10 s were missed, two were not yet due
    assert s.add_periodic("tick", 10, first_due=first) is True
    assert schedule(r, name, "tick") == b"10.0 due claim"
    assert s.pop() == "tick"
    assert s.score("tick") == pytest.approx(first + 30.0, abs=EPS)  # the first after now
    assert len(s) == 1
    with pytest.raises(KeyError):
        s.pop()  # the next run is not due
    assert s.take(5) == []


@timed
def test_take_hands_out_each_due_periodic_item_once_per_call(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    now = server_now(r)
    s.add_periodic("a", timedelta(hours=1), first_due=now - 1)
    s.add_periodic("b", 3600, first_due=now - 2)
    s.add("once", now - 3)
    assert s.take(10) == ["once", "b", "a"]
    assert s.take(10) == []
    assert sorted(s) == ["a", "b"]
    assert s.score("a") == pytest.approx(now - 1 + 3600, abs=EPS)


@timed
def test_anchor_now_schedules_the_next_run_at_server_time_plus_the_interval(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    s.add_periodic("tick", 60, first_due=server_now(r) - 1000, anchor="now")
    before = server_now(r)
    assert s.pop() == "tick"
    after = server_now(r)
    score = s.score("tick")
    assert score is not None
    assert before + 60 - EPS <= score <= after + 60 + EPS


@timed
def test_claim_schedules_the_next_run_as_it_hands_one_out_and_it_waits_for_the_ack(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    first = server_now(r) - 0.5
    s.add_periodic("job", 0.2, first_due=first)  # reschedule="claim"
    [lease] = s.claim(ttl=30)
    assert lease.score == pytest.approx(first, abs=EPS)
    upcoming = s.score("job")
    assert upcoming is not None
    assert upcoming > lease.score
    assert (upcoming - first) / 0.2 == pytest.approx(round((upcoming - first) / 0.2), abs=1e-6)
    time.sleep(max(0.0, upcoming - server_now(r)) + 0.05)
    assert s.claim(ttl=30) == []  # due, but its previous run is still held: never beside itself
    assert s.ack(lease) is True
    [following] = s.claim(ttl=30)  # the ack freed it
    assert following.score == pytest.approx(upcoming, abs=EPS)
    assert s.ack(following)


@timed
def test_reschedule_on_ack_keeps_nothing_pending_while_the_run_is_held(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    first = server_now(r) - 35.0
    s.add_periodic("job", 10, first_due=first, reschedule="ack")
    [lease] = s.claim(ttl=30)
    assert lease.score == pytest.approx(first, abs=EPS)
    assert len(s) == 0
    assert s.ack(lease) is True
    assert s.score("job") == pytest.approx(first + 40.0, abs=EPS)


@timed
@pytest.mark.parametrize("reschedule", ["claim", "ack"])
@pytest.mark.parametrize("how", ["release", "expire"])
def test_a_released_or_expired_run_is_retried_at_its_own_due_time_then_the_schedule_goes_on(
    flavour: Flavour, r: redis.Redis, name: str, reschedule: str, how: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    first = server_now(r) - 5.0
    s.add_periodic("job", 100, first_due=first, reschedule=reschedule)
    [lease] = s.claim(ttl=SHORT if how == "expire" else 30)
    if how == "release":
        assert s.release(lease) is True
    else:
        time.sleep(PAST_SHORT)
    [again] = s.claim(ttl=30)  # the same run (the earlier due time wins), delivered again
    assert (again.score, again.deliveries) == (pytest.approx(first, abs=EPS), 2)
    assert s.ack(again) is True
    assert s.score("job") == pytest.approx(first + 100, abs=EPS)
    assert s.claim() == []


@timed
@pytest.mark.parametrize("reschedule", ["claim", "ack"])
def test_a_run_dead_lettered_for_its_deliveries_does_not_end_the_schedule(
    flavour: Flavour, r: redis.Redis, name: str, reschedule: str
) -> None:
    s = build(flavour, r, ScheduledSet, name, max_deliveries=1)
    first = server_now(r) - 5.0
    s.add_periodic("job", 100, first_due=first, reschedule=reschedule)
    [lease] = s.claim(ttl=30)
    assert s.release(lease) is True  # its one delivery spent: the run goes to the dead letters
    [letter] = s.dead_letters()
    assert (letter.raw, letter.score) == (b"job", pytest.approx(first, abs=EPS))
    assert s.score("job") == pytest.approx(first + 100, abs=EPS)  # the next run is scheduled
    # Buried by a claim (its lease expired with its deliveries spent): the same.
    s.clear_dead_letters()
    s.add_periodic("other", 100, first_due=first, reschedule=reschedule)
    [spent] = s.claim(ttl=SHORT)
    assert spent.item == "other"
    time.sleep(PAST_SHORT)
    assert s.claim() == []  # the expired run came back and was buried
    assert [letter.raw for letter in s.dead_letters()] == [b"other"]
    assert s.score("other") == pytest.approx(first + 100, abs=EPS)


@timed
def test_discard_and_clear_end_the_schedule(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = build(flavour, r, ScheduledSet, name)
    now = server_now(r)
    s.add_periodic("a", 1, first_due=now - 1)
    s.add_periodic("b", 1, first_due=now - 1)
    [lease] = s.claim()  # the first by member order: "a"; its next run is pending
    assert lease.item == "a"
    s.discard("a")  # the pending next run goes, and the schedule with it
    assert schedule(r, name, "a") is None
    assert s.ack(lease) is True
    assert "a" not in s
    s.difference_update(["b"])
    assert schedule(r, name, "b") is None
    assert s.add_periodic("c", 1) is True
    s.clear()
    left = state(r, name)
    assert (left["pending"], left["held"]) == ([], {})
    assert r.exists(set_keys(name).periodic) == 0


@timed
def test_intersection_ends_the_schedule_of_a_run_under_lease_that_reschedules_on_ack(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """As discard: ``&=`` stops a periodic item it does not keep, pending or not."""
    s = build(flavour, r, ScheduledSet, name)
    s.add_periodic("stays", 100)
    s.add_periodic("goes", 100, first_due=server_now(r) - 1, reschedule="ack")
    [lease] = s.claim()
    assert lease.item == "goes"
    s.intersection_update(["stays"])
    assert schedule(r, name, "goes") is None
    assert schedule(r, name, "stays") == b"100.0 due claim"
    assert s.ack(lease)
    assert list(s) == ["stays"]  # no run of "goes" follows


@timed
def test_add_periodic_on_an_item_under_lease_only_changes_its_schedule(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = build(flavour, r, ScheduledSet, name)
    first = server_now(r) - 1
    s.add_periodic("job", 100, first_due=first, reschedule="ack")
    [lease] = s.claim()
    assert s.add_periodic("job", 50, reschedule="ack") is False
    assert len(s) == 0  # no second copy beside the held run
    assert s.ack(lease)
    assert s.score("job") == pytest.approx(first + 50, abs=EPS)


@timed
def test_add_periodic_rescheduling_on_claim_of_an_item_under_lease_keeps_the_schedule_going(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    """The claim that handed out the held run scheduled nothing (the item was not periodic,
    or rescheduled on ack), so its first run goes to pending now; claim skips it until the
    lease ends."""
    s = build(flavour, r, ScheduledSet, name)
    s.add("plain")
    s.add_periodic("was-ack", 100, reschedule="ack")
    leases = {lease.item: lease for lease in s.claim(2)}
    first = server_now(r) - 1
    assert s.add_periodic("plain", 100, first_due=first) is True
    assert s.add_periodic("was-ack", 100, first_due=first) is True
    assert sorted(s) == ["plain", "was-ack"]
    assert s.claim(2) == []  # not beside its own lease
    assert s.ack_many(leases.values()) == 2
    runs = s.claim(2)
    assert sorted((lease.item, lease.score) for lease in runs) == [
        ("plain", pytest.approx(first, abs=EPS)),
        ("was-ack", pytest.approx(first, abs=EPS)),
    ]
    assert s.score("plain") == pytest.approx(first + 100, abs=EPS)  # and on it goes
    # A pending copy (the next run, scheduled by the claim) is left as it is.
    [again] = [lease for lease in runs if lease.item == "plain"]
    assert s.add_periodic("plain", 50, first_due=first) is False
    assert s.score("plain") == pytest.approx(first + 100, abs=EPS)
    assert s.ack(again)


@timed
@pytest.mark.parametrize("anchor_due", [-1e18, -1e30, -1.7e308], ids=["1e18", "1e30", "max"])
def test_a_due_time_far_in_the_past_gives_the_next_run_within_one_interval_at_once(
    flavour: Flavour, r: redis.Redis, name: str, anchor_due: float
) -> None:
    """No loop over the missed runs (with -1e30 it held the server for hours) and no run
    far in the future (-1e18 put it 19 s late, 19 000 intervals of 1 ms)."""
    s = build(flavour, r, ScheduledSet, name)
    s.add_periodic("claimed", 0.001, first_due=anchor_due)
    s.add_periodic("acked", 0.001, first_due=anchor_due, reschedule="ack")
    before = server_now(r)
    leases = s.claim(2, ttl=30)
    assert sorted(lease.item for lease in leases) == ["acked", "claimed"]
    s.add_periodic("popped", 60, first_due=anchor_due)
    assert s.pop() == "popped"
    assert s.ack_many(leases) == 2
    after = server_now(r)
    for item, every in (("claimed", 0.001), ("popped", 60), ("acked", 0.001)):
        score = s.score(item)
        assert score is not None
        assert before < score <= after + every + EPS, item


def test_add_periodic_checks_its_arguments_and_writes_nothing(r: redis.Redis, name: str) -> None:
    s = ScheduledSet(r, name)
    bad: Any
    for bad in (0, -1, timedelta(0), float("inf")):
        with pytest.raises(ValueError, match="every"):
            s.add_periodic("a", bad)
    bad = "later"
    with pytest.raises(ValueError, match="anchor"):
        s.add_periodic("a", 1, anchor=bad)
    with pytest.raises(ValueError, match="reschedule"):
        s.add_periodic("a", 1, reschedule=bad)
    with pytest.raises(ValueError, match="first_due"):
        s.add_periodic("a", 1, first_due=float("inf"))
    assert not hasattr(SortedSet(r, name), "add_periodic")
    assert state(r, name)["pending"] == []
    assert r.exists(set_keys(name).periodic) == 0


# --- acceptance: 8 workers, one job every 0.2 s for 10 s ------------------------------

EVERY = 0.2
RUN_FOR = 10.0
TTL = 30.0


def check_runs(runs: list[tuple[float, float]], first: float) -> None:
    """Every due time handed out once, on the schedule, none skipped while a worker was free.

    ``runs``: (due time, server time of the claim) of each run handed out. The
    due times are first + k * EVERY. A run is skipped only when the run before
    it was claimed after it fell due (``anchor="due"`` skips what was missed):
    with 8 workers polling every few ms that means no worker was free.
    """
    dues = Counter(round((due - first) / EVERY) for due, _ in runs)
    assert [k for k, n in dues.items() if n > 1] == [], "a due time handed to two workers"
    for due, claimed in runs:
        k = round((due - first) / EVERY)
        # abs: each run adds EVERY to a time near 2e9 (a 2.4e-7 ulp), rounding as it goes
        assert due == pytest.approx(first + k * EVERY, abs=1e-4), "a due time off the schedule"
        assert claimed >= due - 1e-6, "handed out before it was due"
    handed = sorted(dues)
    assert handed[0] == 0
    late = [(due, claimed) for due, claimed in runs if claimed - due >= EVERY]
    for k in set(range(handed[-1])) - set(handed):
        skipped = first + k * EVERY
        explained = [(d, c) for d, c in late if d < skipped <= c]
        assert explained, f"run {k} was skipped though the run before it was claimed in time"
    # 50 due times fall in the 10 s (k = 0..49); the workers stop 0.1 s after the
    # last, so only a stall of every worker could leave one out (a claim under
    # way as they stop may take the run due at 10 s: not counted).
    in_time = [due for due, _ in runs if due < first + RUN_FOR - EVERY / 2]
    assert 48 <= len(in_time) <= 50, len(in_time)


def worker(url: str, name: str, stop: threading.Event, runs: list[tuple[float, float]]) -> None:
    client = redis.Redis.from_url(url)
    s = ScheduledSet(client, name)
    try:
        while not stop.is_set():
            for lease in s.claim(ttl=TTL, timeout=0.2):
                runs.append((lease.score, lease.deadline - TTL))
                assert s.ack(lease)
    finally:
        client.close()


def test_eight_threads_each_get_their_own_runs_of_a_job_due_every_fifth_of_a_second(
    server: Server, name: str
) -> None:
    r = server.client()
    first = server_now(r) + 0.5
    ScheduledSet(r, name).add_periodic("job", EVERY, first_due=first)
    stop = threading.Event()
    runs: list[tuple[float, float]] = []  # list.append is atomic
    threads = [
        threading.Thread(target=worker, args=(server.url, name, stop, runs)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    while server_now(r) < first + RUN_FOR - EVERY / 2:
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    r.close()
    check_runs(runs, first)


def test_eight_tasks_each_get_their_own_runs_of_a_job_due_every_fifth_of_a_second(
    server: Server, name: str
) -> None:
    runs: list[tuple[float, float]] = []

    async def main() -> float:
        client = server.async_client()
        s = AsyncScheduledSet(client, name)
        r = server.client()
        first = server_now(r) + 0.5
        await s.add_periodic("job", EVERY, first_due=first)
        stop = asyncio.Event()

        async def task() -> None:
            while not stop.is_set():
                try:
                    job = s.processing(ttl=TTL, timeout=0.2)
                    async with job:
                        runs.append((job.lease.score, job.lease.deadline - TTL))
                except KeyError:
                    continue

        tasks = [asyncio.create_task(task()) for _ in range(8)]
        while server_now(r) < first + RUN_FOR - EVERY / 2:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*tasks)
        r.close()
        await client.aclose()
        return first

    first = asyncio.run(main())
    check_runs(runs, first)


def popper(url: str, name: str, stop: threading.Event, popped: list[str]) -> None:
    client = redis.Redis.from_url(url)
    s = ScheduledSet(client, name)
    try:
        while not stop.is_set():
            try:
                popped.append(s.pop(timeout=0.2))
            except KeyError:
                continue
    finally:
        client.close()


def test_eight_threads_popping_never_get_one_run_twice(server: Server, name: str) -> None:
    """``pop`` (at most once) hands each run out once: the schedule moves on by a whole
    interval for every run popped, so it has moved at least as far as the runs counted."""
    r = server.client()
    every = 0.1
    first = server_now(r) + 0.3
    ScheduledSet(r, name).add_periodic("job", every, first_due=first)
    stop = threading.Event()
    popped: list[str] = []
    threads = [
        threading.Thread(target=popper, args=(server.url, name, stop, popped)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    while server_now(r) < first + 3.0:
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    upcoming = ScheduledSet(r, name).score("job")
    r.close()
    assert upcoming is not None, "the schedule goes on"
    intervals = round((upcoming - first) / every)  # runs handed out or skipped
    assert set(popped) == {"job"}
    assert len(popped) <= intervals, "two workers popped the same run"
    assert len(popped) >= 20, "30 runs fell due; only a stall of every worker skips one"
