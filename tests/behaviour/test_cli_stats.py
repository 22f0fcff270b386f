"""``typedset stats NAME`` and ``typedset --version``, run as a user runs them: a new process.

The JSON is parsed, not grepped, and each count is one the test set up on a
real server, so a wrong kind, a wrong field or a stale snapshot fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

import typedset
from conftest import Server
from typedset import ExpiringSet, PriorityStream, ScheduledSet, SortedSet


def typedset_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "typedset", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def stats_json(server: Server, name: str, *flags: str) -> dict[str, Any]:
    done = typedset_cli("stats", name, "--url", server.url, "--json", *flags)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_version_prints_the_package_version() -> None:
    done = typedset_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"typedset {typedset.__version__}"


def test_stats_of_a_sorted_set_counts_pending_leased_and_dead_letters(
    server: Server, name: str
) -> None:
    r = server.client()
    s = SortedSet(r, name, max_deliveries=1)
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    s.claim(1, ttl=60)  # "a" under lease
    [b] = s.claim(1, ttl=60)
    s.release(b)  # delivered once with max_deliveries=1: "b" moves to the dead letters
    r.close()
    got = stats_json(server, name)
    assert got["kind"] == "sorted set"
    assert got["name"] == name
    assert (got["pending"], got["due"], got["leased"], got["dead_letters"]) == (1, 1, 1, 1)
    assert got["oldest_score"] == 3.0


def test_stats_of_a_scheduled_set_counts_only_due_items_as_due(server: Server, name: str) -> None:
    r = server.client()
    s = ScheduledSet(r, name)
    now = float(".".join(map(str, r.time())))
    s.update_scored([("due", now - 10), ("later", now + 3600)])
    r.close()
    scheduled = stats_json(server, name, "--scheduled")
    assert (scheduled["pending"], scheduled["due"]) == (2, 1)
    assert scheduled["next_due"] == pytest.approx(now + 3600)
    assert 9 < scheduled["oldest_age"] < 600
    # Without --scheduled the marker only says "sorted set": every pending item counts as due.
    assert stats_json(server, name)["due"] == 2


def test_stats_of_a_stream_and_an_expiring_set_read_their_kind_from_the_name(
    server: Server, name: str
) -> None:
    r = server.client()
    stream = PriorityStream(r, name)
    stream.add_many([("a", "x", 1.0), ("b", "y", 5.0)])
    stream.pull(1, gate=True)
    seen_name = f"{name}-seen"
    seen = ExpiringSet(r, seen_name, ttl=600)
    seen.update(["u1", "u2", "u3"])
    try:
        got = stats_json(server, name)
        assert got["kind"] == "priority stream"
        assert (got["items"], got["gated"], got["cooling"]) == (1, 1, 1)
        assert got["highest_priority"] == 1.0
        expiring = stats_json(server, seen_name)
        assert expiring["kind"] == "expiring set"
        assert (expiring["live"], expiring["expired"]) == (3, 0)
        assert expiring["latest_expiry"] == pytest.approx(time.time() + 600, abs=120)
    finally:
        seen.clear()
        r.close()


def test_stats_reads_redis_url_and_prints_a_table_without_json(server: Server, name: str) -> None:
    r = server.client()
    SortedSet(r, name).add("a")
    r.close()
    done = typedset_cli("stats", name, env={**os.environ, "REDIS_URL": server.url})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{name} (sorted set)"
    assert dict(line.split(maxsplit=1) for line in lines[1:])["pending"] == "1"


def test_stats_of_a_name_that_holds_nothing_exits_1_and_says_so(server: Server, name: str) -> None:
    done = typedset_cli("stats", name, "--url", server.url, "--json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"no collection named {name!r}" in done.stderr


def test_stats_without_a_server_is_a_usage_error() -> None:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    done = typedset_cli("stats", "jobs", env=env)
    assert done.returncode == 2
    assert "needs --url or REDIS_URL" in done.stderr
