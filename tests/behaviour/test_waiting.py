"""Blocking calls wait as long as asked, whatever the client's ``socket_timeout``.

A blocking pop gets a connection and a read timeout of its own (its wait
plus a margin), so a wait longer than the client's ``socket_timeout``
neither fails nor turns into the client's retry loop.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis
import redis.asyncio

from conftest import Server
from typedset import ScheduledSet, SortedSet
from typedset.aio import AsyncScheduledSet, AsyncSortedSet

WAIT = 8.0
SOCKET_TIMEOUT = 2.0


@pytest.mark.slow
def test_a_wait_longer_than_socket_timeout_returns_on_time(server: Server, name: str) -> None:
    """``pop(timeout=8)`` on clients with ``socket_timeout=2``: KeyError after 8 to 9 s.

    ``take(n, timeout=8)`` returns ``[]`` on the same schedule. Sync (in
    threads) and async (in one loop) run at once.
    """
    blocking = redis.Redis.from_url(server.url, socket_timeout=SOCKET_TIMEOUT)
    elapsed: dict[str, float] = {}

    def in_thread(label: str, kind: type[SortedSet[str]]) -> None:
        s = kind(blocking, f"{name}:{label}")
        started = time.monotonic()
        if label.endswith("take"):
            assert s.take(3, timeout=WAIT) == []
        else:
            with pytest.raises(KeyError):
                s.pop(timeout=WAIT)
        elapsed[label] = time.monotonic() - started

    async def in_loop() -> None:
        client = redis.asyncio.Redis.from_url(server.url, socket_timeout=SOCKET_TIMEOUT)

        async def one(label: str, kind: type[AsyncSortedSet[str]]) -> None:
            s = kind(client, f"{name}:{label}")
            started = time.monotonic()
            if label.endswith("take"):
                assert await s.take(3, timeout=WAIT) == []
            else:
                with pytest.raises(KeyError):
                    await s.pop(timeout=WAIT)
            elapsed[label] = time.monotonic() - started

        try:
            await asyncio.gather(
                one("async-sorted", AsyncSortedSet),
                one("async-scheduled", AsyncScheduledSet),
                one("async-take", AsyncSortedSet),
            )
        finally:
            await client.aclose()

    threads = [
        threading.Thread(target=in_thread, args=(label, kind))
        for label, kind in [("sorted", SortedSet), ("scheduled", ScheduledSet), ("take", SortedSet)]
    ]
    for thread in threads:
        thread.start()
    asyncio.run(in_loop())
    for thread in threads:
        thread.join()
    blocking.close()
    assert len(elapsed) == 6, elapsed  # every wait ended as it should
    for label, seconds in elapsed.items():
        assert WAIT <= seconds <= WAIT + 1, (label, seconds)


def test_an_item_arriving_late_in_a_long_wait_is_delivered(server: Server, name: str) -> None:
    client = redis.Redis.from_url(server.url, socket_timeout=0.5)
    try:
        s = SortedSet(client, name)

        def produce() -> None:
            time.sleep(1.2)  # past the socket timeout, and past one slice of the wait
            SortedSet(client, name).add("late")

        thread = threading.Thread(target=produce)
        thread.start()
        started = time.monotonic()
        assert s.take(5, timeout=3) == ["late"]
        assert 1.2 <= time.monotonic() - started < 2.5
        thread.join()
    finally:
        client.close()
