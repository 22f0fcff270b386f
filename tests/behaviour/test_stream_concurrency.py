"""Many processes pulling from one PriorityStream: each key is delivered exactly once."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from threading import Barrier, Event

import pytest
import redis

from conftest import Server
from typedset import PriorityStream

KEYS = 20_000
PULLERS = 8
IDLE = 1.0  # a puller stops after this many seconds without an item
LONGEST = 60.0  # ... or after this many in all (a broken gate would feed it forever)


def pull_until_idle(url: str, name: str, gate: bool, start: Barrier) -> list[str]:
    """Pull batches of random size with purge=True; return the keys this process got."""
    client = redis.Redis.from_url(url)
    s = PriorityStream(client, name)
    start.wait(timeout=120)
    received: list[str] = []
    idle_since = stop = time.monotonic()
    stop += LONGEST
    while time.monotonic() - idle_since < IDLE and time.monotonic() < stop:
        batch = s.pull(random.randint(1, 50), gate=gate, expire_in=0)
        if batch:
            received += batch
            idle_since = time.monotonic()
    client.close()
    return received


def readd_until_done(url: str, name: str, start: Barrier, done: Event) -> int:
    """Re-add every key, round and round, until told to stop; how many were accepted."""
    client = redis.Redis.from_url(url)
    s = PriorityStream(client, name)
    start.wait(timeout=120)
    accepted = 0
    while not done.is_set():
        for first in range(0, KEYS, 500):
            batch = [(f"key-{i}", "again", 1.0) for i in range(first, first + 500)]
            accepted += sum(result is not None for result in s.add_many(batch))
    client.close()
    return accepted


def fill(r: redis.Redis, name: str) -> tuple[PriorityStream[str], list[str]]:
    s = PriorityStream(r, name)
    expected = [f"key-{i}" for i in range(KEYS)]
    s.add_many((key, "value", float(i % 100)) for i, key in enumerate(expected))
    return s, expected


def assert_each_once(results: list[list[str]], expected: list[str]) -> None:
    delivered = Counter(key for received in results for key in received)
    assert sum(delivered.values()) == KEYS, "duplicates or losses"
    assert set(delivered) == set(expected)


@pytest.mark.slow
def test_processes_pulling_with_purge_receive_each_key_exactly_once(
    server: Server, plain: redis.Redis, name: str
) -> None:
    s, expected = fill(plain, name)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PULLERS) as pool:
        start = manager.Barrier(PULLERS)
        results = pool.starmap(
            pull_until_idle, [(server.url, name, False, start) for _ in range(PULLERS)]
        )
    assert_each_once(results, expected)
    assert all(results), "every process took part"
    assert len(s) == 0


@pytest.mark.slow
def test_gated_keys_refuse_concurrent_readds(server: Server, plain: redis.Redis, name: str) -> None:
    # The cool-down ends at once (expire_in=0), so only the gate can refuse.
    # A re-add accepted after its key was pulled would bring the key back:
    # it would be pulled twice or be left in the stream.
    s, expected = fill(plain, name)
    pullers, readders = 4, 4
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(pullers + readders) as pool:
        start = manager.Barrier(pullers + readders)
        done = manager.Event()
        adding = pool.starmap_async(
            readd_until_done, [(server.url, name, start, done) for _ in range(readders)]
        )
        results = pool.starmap(
            pull_until_idle, [(server.url, name, True, start) for _ in range(pullers)]
        )
        done.set()
        accepted = adding.get(timeout=300)
    assert_each_once(results, expected)
    assert len(s) == 0
    assert sum(accepted) > 0, "some re-adds came before their key was pulled"
    assert s.add_many((key, "late", 1.0) for key in expected) == [None] * KEYS
