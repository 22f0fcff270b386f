"""Many processes consuming one set: every item is delivered exactly once."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from threading import Barrier

import pytest
import redis

from conftest import Server
from typedset import ScheduledSet, SortedSet

ITEMS = 20_000
PROCESSES = 8


def consume(url: str, name: str, kind: str, use_pop: bool, start: Barrier) -> list[str]:
    """Drain the set with take(50) or pop(); return what this process received."""
    client = redis.Redis.from_url(url)
    s = ScheduledSet(client, name) if kind == "scheduled" else SortedSet(client, name)
    start.wait(timeout=120)  # all processes compete from the same moment
    received: list[str] = []
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.0:
        if use_pop:
            try:
                received.append(s.pop())
            except KeyError:
                time.sleep(0.001)
                continue
        else:
            batch = s.take(50)
            if not batch:
                time.sleep(0.001)
                continue
            received += batch
        idle_since = time.monotonic()
    client.close()
    return received


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sorted", "scheduled"])
def test_concurrent_consumers_receive_every_item_exactly_once(
    server: Server, r: redis.Redis, name: str, kind: str
) -> None:
    s = ScheduledSet(r, name) if kind == "scheduled" else SortedSet(r, name)
    expected = [f"item-{i}" for i in range(ITEMS)]
    if kind == "scheduled":
        # half due now, half due within the next second: consumers must wait for them
        now = time.time()
        s.update_scored([(item, now + (i % 2) * 0.5) for i, item in enumerate(expected)])
    else:
        s.update(expected)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        start = manager.Barrier(PROCESSES)
        args = [(server.url, name, kind, worker % 2 == 0, start) for worker in range(PROCESSES)]
        results = pool.starmap(consume, args)
    delivered = Counter(item for received in results for item in received)
    assert sum(delivered.values()) == ITEMS, "duplicates or losses"
    assert set(delivered) == set(expected)
    assert max(delivered.values()) == 1
    assert all(received for received in results), "every process took part"
    assert len(s) == 0
