"""Least privilege: a collection works for an ACL user granted only its own keys and commands.

The grant for a collection ``name`` (the README shows it) is two key
patterns and a fixed list of commands:

* keys: ``name`` itself (the pending ZSET, a stream's priorities, or an
  expiring set's members) and ``{name}:*`` (every other key, see
  ``typedset._keys``), or ``name:*`` when the name already has a hash tag
  (``jobs:{t}`` and ``jobs:{t}:*``); glob characters in a name (``*?[]\\``)
  are escaped with a backslash. Listing the other keys one by one
  (``{name}:kind``, ``{name}:leased``, ...) works too, and leaves out the
  collections whose names start with ``{name}:`` (an expiring set has only
  ``{name}:kind`` and ``{name}:dead`` besides ``name``).
* commands: :data:`COMMANDS`, which are exactly the commands typedset's
  sources name (checked below; :data:`DURABILITY` is sent only when a
  collection asks for it), each of them needed by some operation (checked
  with the server's command statistics), none of them ``@dangerous``.
  Scripts run by ``EVALSHA`` (``EVAL`` the first time a server meets one);
  the server checks a script's declared keys before it runs, but each
  command a script calls only when it calls it: a grant missing one can
  stop a script halfway, after some of its writes (shown below).
* a cluster client also needs :data:`CLUSTER_CLIENT` to learn the topology.

Every public operation of every kind, blocking and asyncio, runs with such a
user, through redis-py and valkey-py, on a standalone server and on a
(one-node) cluster. The public methods are found by introspection and
recorded as they run (called directly or by another public method), so one
added later fails the coverage check until it is exercised here. A user
granted another collection's keys is refused by the server and nothing is
written, also when it holds a grant for some of a script's keys but not all.

The servers are this module's own (``PrivateServer``): the command
statistics must count this module's commands only.

Redis before 7.0 (6.2 is the oldest server typedset supports) counts a
subcommand under its command in the statistics and names only the command
in the ACL LOG: ``cluster`` for ``CLUSTER SLOTS``, ``client`` for ``CLIENT
SETINFO`` (which it does not know, but refuses first). A grant can name
subcommands there too (``+cluster|slots``), so the grant is the same; only
the names the server reports are read the way it writes them. It also words
a script's refused command differently: the ACL LOG names the command on
every server.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import astuple
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.exceptions import NoPermissionError, ResponseError

import typedset
import typedset.aio
from conftest import Target
from typedset import (
    DecodeError,
    ExpiringSet,
    JsonCodec,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset._base import Collection
from typedset._keys import expiring_keys, hash_tag, set_keys, stream_keys
from typedset._ops import PAGE_SIZE
from typedset._processing import _Block
from typedset.aio import (
    AsyncExpiringSet,
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.sorted_set import AsyncProcessing, Processing
from typedset.testing import PrivateServer

#: Every command typedset sends, from Python or from its Lua scripts; the
#: whole grant a collection's user needs. ``asking`` is sent only on a
#: cluster, after an ``ASK`` redirect (a slot that is moving).
COMMANDS = (
    "asking",
    "bzpopmin",
    "del",
    "eval",
    "evalsha",
    "exists",
    "get",
    "hdel",
    "hget",
    "hgetall",
    "hlen",
    "hmget",
    "hset",
    "incr",
    "pexpireat",
    "pttl",
    "sadd",
    "scard",
    "set",
    "sismember",
    "smembers",
    "srem",
    "time",
    "unlink",
    "zadd",
    "zcard",
    "zcount",
    "zincrby",
    "zmscore",
    "zpopmin",
    "zrange",
    "zrangebyscore",
    "zrank",
    "zrem",
    "zremrangebyrank",
    "zrevrange",
    "zrevrangebyscore",
    "zrevrank",
    "zscore",
)

#: Sent only by a collection that asks for durability (``WAIT``, or ``WAITAOF``
#: for the append-only file): granted to such a collection's user besides.
DURABILITY = ("wait", "waitaof")

#: What a redis-py/valkey-py cluster client sends to learn the topology
#: (not typedset: the client itself, when it connects and after a ``MOVED``).
CLUSTER_CLIENT = ("cluster|slots", "command")

#: Sent by the client library when it connects, outside the grant: ``HELLO``
#: and ``AUTH`` need none; a refused ``CLIENT SETINFO`` is ignored by
#: redis-py and valkey-py (the server's ACL LOG records the refusal).
CONNECTING = frozenset({"hello", "auth", "client|setinfo"})

PASSWORD = "s3cret-for-tests"

BLOCKING_SETS: tuple[type[SortedSet[Any]], ...] = (SortedSet, TimeSortedSet, ScheduledSet)
ASYNC_SETS: tuple[type[AsyncSortedSet[Any]], ...] = (
    AsyncSortedSet,
    AsyncTimeSortedSet,
    AsyncScheduledSet,
)
#: Every public class whose methods do I/O (checked against the exports below).
CLASSES: tuple[type[Any], ...] = (
    *BLOCKING_SETS,
    PriorityStream,
    ExpiringSet,
    *ASYNC_SETS,
    AsyncPriorityStream,
    AsyncExpiringSet,
    Processing,
    AsyncProcessing,
)

#: Methods that do no I/O, so no ACL can refuse them. (Properties such as
#: ``name``, ``serializer``, ``decay`` and ``lease`` are not methods: left out.)
NO_IO = frozenset({"__init__", "__repr__"})


# --- the grant -----------------------------------------------------------------


def glob_escape(name: str) -> str:
    """``name`` as an ACL key pattern that matches only itself."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", name)


def key_patterns(name: str) -> list[str]:
    """The ACL key patterns of the collection ``name``: ``name`` and ``{name}:*``.

    ``name:*`` for a name with a hash tag (``jobs:{t}``), whose keys are ``jobs:{t}:dead``...
    """
    own = glob_escape(name)
    return [own, f"{own}:*" if hash_tag(name) is not None else f"{{{own}}}:*"]


def exact_keys(name: str, kind: str) -> list[str]:
    """The keys of the collection ``name`` of ``kind`` (``set``, ``stream`` or ``expiring``)
    one by one: a grant without ``*``."""
    of: dict[str, Callable[[str], Any]] = {
        "set": set_keys,
        "stream": stream_keys,
        "expiring": expiring_keys,
    }
    return [glob_escape(key) for key in astuple(of[kind](name))]


def grant(
    admin: redis.Redis, user: str, keys: list[str], commands: tuple[str, ...] = COMMANDS
) -> None:
    """``ACL SETUSER user reset on >password ~key ... +command ...``: nothing else."""
    rule = ["reset", "on", f">{PASSWORD}", *(f"~{key}" for key in keys)]
    rule += [f"+{command}" for command in commands]
    acl(admin, "SETUSER", user, *rule)


def acl(admin: redis.Redis, *args: str) -> Any:
    """``ACL ...`` as the admin (redis-py leaves ``execute_command`` untyped)."""
    command: Callable[..., Any] = admin.execute_command
    return command("ACL", *args)


# --- servers and clients ---------------------------------------------------------


def running_version(admin: redis.Redis) -> tuple[int, ...]:
    """The version of the server ``admin`` is connected to, from ``INFO server``.

    Valkey's own version (``valkey_version``; its ``redis_version`` stays
    7.2.4), which compares like a Redis one for what this module reads:
    Valkey forked from Redis 7.2.
    """
    info = admin.info("server")
    product = str(info.get("server_name") or "redis")
    version = str(info.get(f"{product}_version") or info["redis_version"])
    return tuple(int(part) for part in version.split("."))


class Place:
    """One of this module's servers, standalone or a one-node cluster, and its admin."""

    def __init__(self, server: PrivateServer) -> None:
        self.server = server
        self.cluster = server.cluster
        self.admin = redis.Redis.from_url(server.url)  # the default user: everything
        self.version = running_version(self.admin)
        #: Whether the statistics and the ACL LOG name subcommands (``cluster|slots``).
        self.names_subcommands = self.version >= (7, 0)

    def reported(self, command: str) -> str:
        """``command`` (``"cluster|slots"``) as this server names it in its statistics and
        ACL LOG: ``"cluster"`` before Redis 7.0."""
        return command if self.names_subcommands else command.partition("|")[0]

    def grant(self, keys: list[str], commands: tuple[str, ...] = COMMANDS) -> str:
        user = f"worker-{uuid.uuid4().hex[:8]}"
        grant(self.admin, user, keys, (*commands, *CLUSTER_CLIENT) if self.cluster else commands)
        return user

    def client(self, user: str, library: str = "redis") -> Any:
        target = Target(library, self.server.url, self.cluster)
        return target.client(username=user, password=PASSWORD)

    def async_client(self, user: str, library: str = "redis") -> Any:
        target = Target(library, self.server.url, self.cluster)
        return target.async_client(username=user, password=PASSWORD)

    def snapshot(self) -> dict[bytes, bytes | None]:
        """Every key on the server and its serialized value."""
        return {key: self.admin.dump(key) for key in self.admin.scan_iter(count=1000)}

    def calls(self) -> dict[str, int]:
        """The server's command statistics: calls per command (and subcommand)."""
        stats: dict[str, dict[str, int]] = self.admin.info("commandstats")
        return {key.removeprefix("cmdstat_"): value["calls"] for key, value in stats.items()}


@pytest.fixture(scope="module")
def places() -> Iterator[dict[str, Place]]:
    with PrivateServer() as standalone, PrivateServer(cluster=True) as cluster:
        made = {"standalone": Place(standalone), "cluster": Place(cluster)}
        yield made
        for place in made.values():
            place.admin.close()


@pytest.fixture(params=["standalone", "cluster"])
def place(request: pytest.FixtureRequest, places: dict[str, Place]) -> Place:
    return places[str(request.param)]


def names(style: str) -> tuple[str, str]:
    """Two fresh collection names of a style (``tagged``: both in one cluster slot)."""
    tag = uuid.uuid4().hex[:10]
    if style == "tagged":
        return f"jobs:{{{tag}}}", f"more:{{{tag}}}"
    if style == "glob":  # glob characters, escaped in the patterns
        return f"jobs*?[{tag}]\\", f"more*?[{tag}]\\"
    return f"jobs-{tag}", f"more-{tag}"


# --- what was exercised ------------------------------------------------------------


def operations(cls: type[Any]) -> set[str]:
    """The public methods of ``cls`` that do I/O: its own, inherited, and operator dunders."""
    found: set[str] = set()
    for attr in dir(cls):
        if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")):
            continue
        value = inspect.getattr_static(cls, attr)
        if attr in NO_IO or not inspect.isfunction(value) or value is getattr(object, attr, None):
            continue
        found.add(attr)
    return found


Seen = dict[type[Any], set[str]]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Which public methods were called, per class: every one of :data:`CLASSES` is wrapped."""
    calls: Seen = defaultdict(set)
    originals = [
        (cls, attr, inspect.getattr_static(cls, attr))
        for cls in CLASSES
        for attr in operations(cls)
    ]
    for cls, attr, method in originals:
        monkeypatch.setattr(cls, attr, _recording(method, attr, calls))
    return calls


def _recording(method: Callable[..., Any], attr: str, calls: Seen) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: object, *args: Any, **kwargs: Any) -> Any:
        calls[type(self)].add(attr)
        return method(self, *args, **kwargs)

    return wrapper


def test_every_exported_class_with_io_is_covered() -> None:
    exported = [getattr(typedset, name) for name in typedset.__all__]
    exported += [getattr(typedset.aio, name) for name in typedset.aio.__all__]
    with_io = {
        cls for cls in exported if isinstance(cls, type) and issubclass(cls, Collection | _Block)
    }
    assert with_io == set(CLASSES)


def assert_all_exercised(seen: Seen, *classes: type[Any]) -> None:
    for cls in classes:
        missing = operations(cls) - seen[cls]
        assert not missing, (
            f"{cls.__name__}: public operations not run under the ACL user: {sorted(missing)}; "
            "exercise them in tests/behaviour/test_acl.py"
        )


# --- every operation, as the restricted user ---------------------------------------


def run_set(cls: type[SortedSet[Any]], client: Any, name: str, other_name: str) -> None:
    s: SortedSet[str] = cls(client, name)
    other: SortedSet[str] = cls(client, other_name)
    s.add("a", 1.0)
    s.add("now")  # the default score: 0, or the server's clock (a script)
    s.update(["b", "c"])
    s.update_scored([("d", 4.0), ("e", 5.0)])
    assert s.increment("d", 0.5) == 4.5
    assert s.score("a") == 1.0
    assert s.contains("a")
    assert "a" in s
    assert len(s) == s.size() == 6
    assert s.peek() in {"a", "b", "c", "now"}
    assert s.peek_score() is not None
    assert set(s) == {"a", "b", "c", "d", "e", "now"}
    s.update_scored([(f"many{i}", 10.0 + i) for i in range(PAGE_SIZE)])
    assert len(list(s)) == PAGE_SIZE + 6  # a second page: iteration from a cursor
    s.difference_update([f"many{i}" for i in range(PAGE_SIZE)])
    assert not s.isdisjoint(["a", "zz"])
    if isinstance(s, ScheduledSet):
        assert s.available() == 6
        assert s.add_periodic("tick", 3600.0, first_due=1e12) is True  # not due in this test
        s.discard("tick")  # its schedule ends
    s.discard("e")
    s.remove("d")
    out = [s.pop(), s.pop(timeout=0.5), *s.take(1), *s.take(1, timeout=0.5)]
    assert sorted(out) == ["a", "b", "c", "now"]
    assert s.take(5, timeout=0.01) == []

    # leases
    s.update_scored([(f"job{i}", float(i)) for i in range(6)])
    leases = s.claim(2, ttl=30) + s.claim(1, ttl=30, timeout=0.5)
    assert sorted(lease.item for lease in s.leased()) == ["job0", "job1", "job2"]
    assert (s.stats().pending, s.stats().leased) == (3, 3)
    assert s.extend(leases[0], 60)
    assert s.extend_many(leases, 60) == 3
    assert s.release(leases[0])
    assert s.release_many([leases[1]], delay=0.0) == 1
    assert s.ack(leases[2])
    assert s.ack_many(s.claim(2)) == 2
    job = s.processing(ttl=30)
    with job as item:
        assert item.startswith("job")
        assert job.extend(30)
    with pytest.raises(RuntimeError), s.processing(ttl=30):
        raise RuntimeError("released")

    # dead letters: an item that does not decode, and one delivered too often
    s.clear()
    s.update_scored([('"ok"', 1.0), ("not json", 2.0), ('"again"', 3.0)])
    assert cls(client, name, serializer=JsonCodec()).take(2) == ["ok"]
    capped: SortedSet[str] = cls(client, name, max_deliveries=1)
    [lease] = capped.claim()
    capped.release(lease)  # at max_deliveries: dead-lettered instead of pending
    assert sorted(d.raw for d in s.dead_letters()) == [b'"again"', b"not json"]
    assert s.requeue_dead() == 2
    assert s.dead_letters() == []
    cls(client, name, serializer=JsonCodec()).take(5)
    assert s.clear_dead_letters() == 1

    # set algebra: with another collection (read by the server when it can) and with items
    s.clear()
    s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    other.update_scored([("b", 20.0), ("x", 30.0)])
    s |= other
    s &= other
    assert set(s) == {"b", "x"}
    s -= other
    s ^= other
    s.union_update(["y"])
    s.intersection_update({"b", "x", "y"})
    s.difference_update(["x"])
    s.symmetric_difference_update(["y", "z"])
    assert set(s) == {"b", "z"}
    assert s | other == {"b", "x", "z"}
    assert s & other == {"b"}
    assert s - other == {"z"}
    assert s ^ other == {"x", "z"}
    assert {"q"} | s == {"b", "q", "z"}
    assert {"b", "q"} & s == {"b"}
    assert {"b", "q"} - s == {"q"}
    assert {"b", "q"} ^ s == {"q", "z"}
    assert s != other
    assert [s == other, s <= other, s < other] == [False, False, False]
    assert s >= {"b"}
    assert s > {"z"}
    s.clear()
    other.clear()
    assert len(s) == len(other) == 0


async def run_async_set(
    cls: type[AsyncSortedSet[Any]], client: Any, name: str, other_name: str
) -> None:
    s: AsyncSortedSet[str] = cls(client, name)
    other: AsyncSortedSet[str] = cls(client, other_name)
    await s.add("a", 1.0)
    await s.add("now")
    await s.update(["b", "c"])
    await s.update_scored([("d", 4.0), ("e", 5.0)])
    assert await s.increment("d", 0.5) == 4.5
    assert await s.score("a") == 1.0
    assert await s.contains("a")
    assert await s.size() == 6
    assert await s.peek() in {"a", "b", "c", "now"}
    assert await s.peek_score() is not None
    assert {item async for item in s} == {"a", "b", "c", "d", "e", "now"}
    await s.update_scored([(f"many{i}", 10.0 + i) for i in range(PAGE_SIZE)])
    assert len([item async for item in s]) == PAGE_SIZE + 6
    await s.difference_update([f"many{i}" for i in range(PAGE_SIZE)])
    assert not await s.isdisjoint(["a", "zz"])
    if isinstance(s, AsyncScheduledSet):
        assert await s.available() == 6
        assert await s.add_periodic("tick", 3600.0, first_due=1e12) is True
        await s.discard("tick")
    await s.discard("e")
    await s.remove("d")
    out = [await s.pop(), await s.pop(timeout=0.5), *await s.take(1)]
    out += await s.take(1, timeout=0.5)
    assert sorted(out) == ["a", "b", "c", "now"]
    assert await s.take(5, timeout=0.01) == []

    await s.update_scored([(f"job{i}", float(i)) for i in range(6)])
    leases = await s.claim(2, ttl=30) + await s.claim(1, ttl=30, timeout=0.5)
    assert sorted(lease.item for lease in await s.leased()) == ["job0", "job1", "job2"]
    stats = await s.stats()
    assert (stats.pending, stats.leased) == (3, 3)
    assert await s.extend(leases[0], 60)
    assert await s.extend_many(leases, 60) == 3
    assert await s.release(leases[0])
    assert await s.release_many([leases[1]], delay=0.0) == 1
    assert await s.ack(leases[2])
    assert await s.ack_many(await s.claim(2)) == 2
    job = s.processing(ttl=30)
    async with job as item:
        assert item.startswith("job")
        assert await job.extend(30)
    with pytest.raises(RuntimeError):
        async with s.processing(ttl=30):
            raise RuntimeError("released")

    await s.clear()
    await s.update_scored([('"ok"', 1.0), ("not json", 2.0), ('"again"', 3.0)])
    assert await cls(client, name, serializer=JsonCodec()).take(2) == ["ok"]
    capped: AsyncSortedSet[str] = cls(client, name, max_deliveries=1)
    [lease] = await capped.claim()
    await capped.release(lease)
    assert sorted(d.raw for d in await s.dead_letters()) == [b'"again"', b"not json"]
    assert await s.requeue_dead() == 2
    assert await s.dead_letters() == []
    await cls(client, name, serializer=JsonCodec()).take(5)
    assert await s.clear_dead_letters() == 1

    await s.clear()
    await s.update_scored([("a", 1.0), ("b", 2.0), ("c", 3.0)])
    await other.update_scored([("b", 20.0), ("x", 30.0)])
    await s.union_update(other)
    await s.intersection_update(other)
    assert {item async for item in s} == {"b", "x"}
    await s.difference_update(other)
    await s.symmetric_difference_update(other)
    await s.union_update(["y"])
    await s.intersection_update({"b", "x", "y"})
    await s.difference_update(["x"])
    await s.symmetric_difference_update(["y", "z"])
    assert {item async for item in s} == {"b", "z"}
    await s.clear()
    await other.clear()
    assert await s.size() == await other.size() == 0


def run_stream(client: Any, name: str) -> None:
    p: PriorityStream[str] = PriorityStream(client, name, decay=0.5)
    assert p.add("a", "apple", 1.0) == 1.0
    assert p.add_many([("b", "banana", 5.0), ("c", "cherry", 2.0)]) == [5.0, 2.0]
    assert p.increment("a", 2.0) == 3.0
    assert p.priority("a") == 3.0
    assert p["a"] == "apple"
    assert p.get("zz") is None
    assert p.get("zz", "none") == "none"
    assert p.contains("a")
    assert "a" in p
    assert len(p) == p.size() == p.stats().items == 3
    assert list(p) == list(p.keys()) == ["b", "a", "c"]
    assert list(p.values()) == ["banana", "apple", "cherry"]
    assert list(p.items()) == [("b", "banana"), ("a", "apple"), ("c", "cherry")]
    assert p == {"a": "apple", "b": "banana", "c": "cherry"}
    p.add_many([(f"many{i}", "v", -1.0 - i) for i in range(PAGE_SIZE)])
    assert len(list(p)) == PAGE_SIZE + 3  # a second page: iteration from a cursor
    assert len(p.delete_below(0.0)) == PAGE_SIZE
    assert p.decrement_all(0.5) == 3
    assert p.pull() == {"b": "banana"}
    until = datetime.now(timezone.utc) + timedelta(seconds=0.05)
    assert p.pull(1, purge=False, gate=True, expire_at=until) == {"a": "apple"}
    assert p.add("a", "again") is None  # gated and cooling down
    assert p.add("a", "again", readd=True) is not None
    assert p.delete_below(100.0, gate=True) == ["a", "c"]
    assert p.add("b", "again", 1.0) is None  # cooling down since the first pull
    assert p.add("d", "date", readd=True) == 1.0
    assert p.pull(1, expire_in=timedelta(seconds=0.01)) == {"d": "date"}
    time.sleep(0.1)
    assert p.expire() == 1

    # dead letters: a value that does not decode
    p.clear()
    p.add_many([("k", '"ok"', 2.0), ("bad", "not json", 1.0)], readd=True)
    assert PriorityStream(client, name, serializer=JsonCodec()).pull(2) == {"k": "ok"}
    assert [(d.key, d.raw) for d in p.dead_letters()] == [("bad", b"not json")]
    assert p.requeue_dead() == 1
    assert p.pull(timeout=0.01) == {"bad": "not json"}
    assert p.pull(timeout=0.01) == {}
    assert p.clear_dead_letters() == 0
    assert p.cool_down("c", timedelta(hours=1)) > datetime.now(timezone.utc)
    assert list(p.cooling()) == ["c", "k", "bad"]
    assert p.add("g", "v") == 1.0
    assert p.pull(gate=True) == {"g": "v"}
    assert p.gated() == {"g"}
    assert p.ungate("g")
    p.clear()
    assert len(p) == 0


async def run_async_stream(client: Any, name: str) -> None:
    p: AsyncPriorityStream[str] = AsyncPriorityStream(client, name, decay=0.5)
    assert await p.add("a", "apple", 1.0) == 1.0
    assert await p.add_many([("b", "banana", 5.0), ("c", "cherry", 2.0)]) == [5.0, 2.0]
    assert await p.increment("a", 2.0) == 3.0
    assert await p.priority("a") == 3.0
    assert await p["a"] == "apple"
    assert await p.get("zz") is None
    assert await p.get("zz", "none") == "none"
    assert await p.contains("a")
    assert await p.size() == (await p.stats()).items == 3
    assert [key async for key in p] == await p.keys() == ["b", "a", "c"]
    assert await p.values() == ["banana", "apple", "cherry"]
    assert await p.items() == [("b", "banana"), ("a", "apple"), ("c", "cherry")]
    await p.add_many([(f"many{i}", "v", -1.0 - i) for i in range(PAGE_SIZE)])
    assert len([key async for key in p]) == PAGE_SIZE + 3
    assert len(await p.delete_below(0.0)) == PAGE_SIZE
    assert await p.decrement_all(0.5) == 3
    assert await p.pull() == {"b": "banana"}
    until = datetime.now(timezone.utc) + timedelta(seconds=0.05)
    assert await p.pull(1, purge=False, gate=True, expire_at=until) == {"a": "apple"}
    assert await p.add("a", "again") is None
    assert await p.add("a", "again", readd=True) is not None
    assert await p.delete_below(100.0, gate=True) == ["a", "c"]
    assert await p.add("b", "again", 1.0) is None
    assert await p.add("d", "date", readd=True) == 1.0
    assert await p.pull(1, expire_in=timedelta(seconds=0.01)) == {"d": "date"}
    await asyncio.sleep(0.1)
    assert await p.expire() == 1

    await p.clear()
    await p.add_many([("k", '"ok"', 2.0), ("bad", "not json", 1.0)], readd=True)
    assert await AsyncPriorityStream(client, name, serializer=JsonCodec()).pull(2) == {"k": "ok"}
    assert [(d.key, d.raw) for d in await p.dead_letters()] == [("bad", b"not json")]
    assert await p.requeue_dead() == 1
    assert await p.pull(timeout=0.01) == {"bad": "not json"}
    assert await p.pull(timeout=0.01) == {}
    assert await p.clear_dead_letters() == 0
    assert await p.cool_down("c", timedelta(hours=1)) > datetime.now(timezone.utc)
    assert list(await p.cooling()) == ["c", "k", "bad"]
    assert await p.add("g", "v") == 1.0
    assert await p.pull(gate=True) == {"g": "v"}
    assert await p.gated() == {"g"}
    assert await p.ungate("g")
    await p.clear()
    assert await p.size() == 0


def run_expiring(client: Any, name: str) -> None:
    s: ExpiringSet[str] = ExpiringSet(client, name, ttl=60)
    assert s.add("a")
    assert not s.add("a", ttl=120)  # present: keeps its deadline
    assert s.update(["b", "c"]) == 2
    assert s.update(["c", "d"], ttl=timedelta(minutes=2)) == 1
    assert s.touch("a", 90)
    assert not s.touch("zz", 90)
    deadline = s.expires_at("a")
    assert deadline is not None
    assert deadline > time.time() + 30
    assert s.expires_at("zz") is None
    assert s.contains("a")
    assert "a" in s
    assert "zz" not in s
    assert len(s) == s.size() == s.stats().live == 4
    assert list(s) == ["b", "c", "a", "d"]  # soonest deadline first
    s.update([f"many{i}" for i in range(PAGE_SIZE)], ttl=300)
    assert len(list(s)) == PAGE_SIZE + 4  # a second page: iteration from a cursor
    s.difference_update([f"many{i}" for i in range(PAGE_SIZE)])
    assert not s.isdisjoint(["a", "zz"])
    assert s.isdisjoint(["zz"])
    s.discard("d")
    s.remove("c")
    with pytest.raises(KeyError):
        s.remove("c")
    assert s.pop() == "b"

    # a member that does not decode: pop and iteration move it to the dead letters
    as_json = ExpiringSet(client, name, serializer=JsonCodec(), ttl=60)
    s.add("not json")
    with pytest.raises(DecodeError):
        as_json.pop()
    assert "not json" not in s
    assert [letter.raw for letter in s.dead_letters()] == [b"not json"]
    assert s.requeue_dead() == 1
    assert "not json" in s
    assert list(as_json) == []  # "a" is not JSON either: both moved
    assert s.clear_dead_letters() == 1
    s.add("a")

    # set algebra: with items (the in-place forms are scripts), and the operators
    s |= {"x", "y"}
    s &= {"a", "x", "y", "q"}
    s -= {"y"}
    s ^= {"x", "z"}
    assert set(s) == {"a", "z"}
    s.union_update(["m"])
    s.intersection_update(["a", "m", "z"])
    s.difference_update(["m"])
    s.symmetric_difference_update(["a", "n"])
    assert set(s) == {"n", "z"}
    assert s | {"q"} == {"n", "q", "z"}
    assert s & {"n", "q"} == {"n"}
    assert s - {"n"} == {"z"}
    assert s ^ {"n", "q"} == {"q", "z"}
    assert {"q"} | s == {"n", "q", "z"}
    assert {"n", "q"} & s == {"n"}
    assert {"n", "q"} - s == {"q"}
    assert {"n", "q"} ^ s == {"q", "z"}
    same: AbstractSet[str] = {"n", "z"}
    assert s == same
    assert s != same - {"z"}
    assert [s <= {"n"}, s < {"n", "z"}] == [False, False]
    assert s >= {"n"}
    assert s > {"z"}

    # expiry on the server's clock: a call removes the members whose deadline passed
    s.clear()
    s.update(["old1", "old2"], ttl=0.05)
    s.add("new", ttl=60)
    time.sleep(0.2)
    assert s.size() == 1
    s.clear()
    assert len(s) == 0


async def run_async_expiring(client: Any, name: str) -> None:
    s: AsyncExpiringSet[str] = AsyncExpiringSet(client, name, ttl=60)
    assert await s.add("a")
    assert not await s.add("a", ttl=120)
    assert await s.update(["b", "c"]) == 2
    assert await s.update(["c", "d"], ttl=timedelta(minutes=2)) == 1
    assert await s.touch("a", 90)
    assert not await s.touch("zz", 90)
    deadline = await s.expires_at("a")
    assert deadline is not None
    assert deadline > time.time() + 30
    assert await s.expires_at("zz") is None
    assert await s.contains("a")
    assert not await s.contains("zz")
    assert await s.size() == (await s.stats()).live == 4
    assert [item async for item in s] == ["b", "c", "a", "d"]
    await s.update([f"many{i}" for i in range(PAGE_SIZE)], ttl=300)
    assert len([item async for item in s]) == PAGE_SIZE + 4
    await s.difference_update([f"many{i}" for i in range(PAGE_SIZE)])
    assert not await s.isdisjoint(["a", "zz"])
    assert await s.isdisjoint(["zz"])
    await s.discard("d")
    await s.remove("c")
    with pytest.raises(KeyError):
        await s.remove("c")
    assert await s.pop() == "b"

    as_json = AsyncExpiringSet(client, name, serializer=JsonCodec(), ttl=60)
    await s.add("not json")
    with pytest.raises(DecodeError):
        await as_json.pop()
    assert not await s.contains("not json")
    assert [letter.raw for letter in await s.dead_letters()] == [b"not json"]
    assert await s.requeue_dead() == 1
    assert await s.contains("not json")
    assert [item async for item in as_json] == []  # "a" is not JSON either: both moved
    assert await s.clear_dead_letters() == 1
    await s.add("a")

    await s.union_update({"x", "y"})
    await s.intersection_update({"a", "x", "y", "q"})
    await s.difference_update({"y"})
    await s.symmetric_difference_update({"x", "z"})
    assert {item async for item in s} == {"a", "z"}

    await s.clear()
    await s.update(["old1", "old2"], ttl=0.05)
    await s.add("new", ttl=60)
    await asyncio.sleep(0.2)
    assert await s.size() == 1
    await s.clear()
    assert await s.size() == 0


#: Every kind, blocking and asyncio, by the class whose operations it runs.
KINDS: tuple[type[Any], ...] = (
    *BLOCKING_SETS,
    PriorityStream,
    ExpiringSet,
    *ASYNC_SETS,
    AsyncPriorityStream,
    AsyncExpiringSet,
)


def kind_of(cls: type[Any]) -> str:
    """``set``, ``stream`` or ``expiring``: which keys and which ``run_*`` a class has."""
    if cls in (PriorityStream, AsyncPriorityStream):
        return "stream"
    if cls in (ExpiringSet, AsyncExpiringSet):
        return "expiring"
    return "set"


def used_since(place: Place, before: dict[str, int]) -> set[str]:
    """The commands the server ran since the statistics ``before`` (less their own INFO)."""
    after = place.calls()
    return {command for command, calls in after.items() if calls > before.get(command, 0)} - {
        "info"
    }


def run_kind(place: Place, cls: type[Any], style: str, library: str = "redis") -> set[str]:
    """Run every operation of ``cls`` as a user granted only its names; the commands used."""
    name, other = names(style)
    kind = kind_of(cls)
    grant_of: Callable[[str], list[str]] = key_patterns
    if style == "exact":
        grant_of = functools.partial(exact_keys, kind=kind)
    keys = grant_of(name)
    if kind == "set":  # set algebra with another set: that set's keys too
        keys += grant_of(other)
    user = place.grant(keys)
    before = place.calls()
    if cls in (AsyncPriorityStream, AsyncExpiringSet, *ASYNC_SETS):

        async def main() -> None:
            client = place.async_client(user, library)
            try:
                if kind == "stream":
                    await run_async_stream(client, name)
                elif kind == "expiring":
                    await run_async_expiring(client, name)
                else:
                    await run_async_set(cls, client, name, other)
            finally:
                await client.aclose()

        asyncio.run(main())
    else:
        client = place.client(user, library)
        try:
            if kind == "stream":
                run_stream(client, name)
            elif kind == "expiring":
                run_expiring(client, name)
            else:
                run_set(cls, client, name, other)
        finally:
            client.close()
    return used_since(place, before)


def run_expired_whole(place: Place) -> set[str]:
    """A call meeting an expiring set whose members have all expired removes it with one
    ``UNLINK``; the commands used.

    The key's own TTL (the latest deadline) makes this rare: the server keeps
    a key until the millisecond after its deadline, while a script drops a
    member at its deadline. The admin's ``PERSIST`` stands for that
    millisecond here (a set the server has not expired yet).
    """
    name = names("plain")[0]
    marker = expiring_keys(name).kind
    client = place.client(place.grant(key_patterns(name)))
    try:
        s: ExpiringSet[str] = ExpiringSet(client, name, ttl=0.05)
        s.update(["a", "b"])
        place.admin.persist(name)
        place.admin.persist(marker)
        time.sleep(0.2)
        before = place.calls()
        assert len(s) == 0
        used = used_since(place, before)
    finally:
        client.close()
    assert place.admin.exists(name, marker) == 0, "the expired set or its marker stayed"
    return used


def test_an_expired_set_still_present_goes_in_one_unlink(place: Place) -> None:
    assert place.reported("unlink") in run_expired_whole(place)


@pytest.mark.parametrize("library", ["redis", "valkey"])
@pytest.mark.parametrize("cls", KINDS, ids=lambda cls: cls.__name__)
def test_every_operation_runs_with_only_the_collections_keys(
    place: Place, cls: type[Any], library: str, seen: Seen
) -> None:
    used = run_kind(place, cls, "plain", library)
    processing = {SortedSet: Processing, AsyncSortedSet: AsyncProcessing}
    helper = [block for base, block in processing.items() if issubclass(cls, base)]
    assert_all_exercised(seen, cls, *helper)
    allowed = set(COMMANDS) | CONNECTING | (set(CLUSTER_CLIENT) if place.cluster else set())
    allowed = {place.reported(command) for command in allowed}
    assert used <= allowed, f"commands outside the grant ran: {sorted(used - allowed)}"


@pytest.mark.parametrize("style", ["tagged", "glob", "exact"])
@pytest.mark.parametrize(
    "cls", [SortedSet, PriorityStream, ExpiringSet, AsyncScheduledSet], ids=lambda cls: cls.__name__
)
def test_the_key_patterns_hold_for_every_form_of_name(
    places: dict[str, Place], cls: type[Any], style: str
) -> None:
    """A hash-tagged name, glob characters (escaped), and the other keys listed one by one."""
    run_kind(places["cluster" if style == "tagged" else "standalone"], cls, style)


def test_every_granted_command_is_needed(places: dict[str, Place]) -> None:
    """Each command of the grant is sent by some operation (but ``asking``: cluster moves)."""
    used: set[str] = set()
    places["standalone"].admin.script_flush()  # so that each script is first sent by EVAL
    for cls in KINDS:
        used |= run_kind(places["standalone"], cls, "plain")
    used |= run_expired_whole(places["standalone"])
    unused = set(COMMANDS) - used - {"asking"}
    assert not unused, f"granted but never sent: {sorted(unused)}"


# --- the grant is the sources' own list of commands ----------------------------------

SOURCE = Path(str(files("typedset")))
#: A command named in Lua: ``redis.call('ZADD', ...)``, ``in_chunks('HDEL', ...)``,
#: ``range = 'ZREVRANGE'``.
LUA_COMMAND = re.compile(r"(?:call|in_chunks|range =)\(?\s*'([A-Za-z]+)'")
#: A command line built in Python: ``("ZADD", key, ...)``.
PYTHON_COMMAND = re.compile(r"\(\s*\"([A-Z]{3,})\",")
#: Uppercase words in Python command tuples that are not commands sent.
NOT_SENT = frozenset({"ASK", "MOVED", "READONLY"})


def named_commands() -> set[str]:
    found: set[str] = set()
    for lua in SOURCE.joinpath("lua").rglob("*.lua"):
        found |= {command.lower() for command in LUA_COMMAND.findall(lua.read_text())}
    for module in SOURCE.glob("_*.py"):
        found |= {
            c.lower() for c in PYTHON_COMMAND.findall(module.read_text()) if c not in NOT_SENT
        }
    return found


def test_the_grant_is_every_command_the_sources_send() -> None:
    named = named_commands() - set(DURABILITY)
    assert named == set(COMMANDS), (
        f"typedset sends commands the ACL grant (and the README) lacks: "
        f"{sorted(named - set(COMMANDS))}; granted but not sent: {sorted(set(COMMANDS) - named)}"
    )


def test_the_readme_shows_this_grant() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    [rule] = re.findall(r"^ACL SETUSER worker .*$", readme, flags=re.MULTILINE)
    words = rule.split()
    assert [word[1:] for word in words if word.startswith("~")] == key_patterns("jobs")
    assert sorted(word[1:] for word in words if word.startswith("+")) == sorted(COMMANDS)
    listed = set(re.findall(r"~\{jobs\}:(\w+)", readme))
    other_keys = [
        key for kind in ("set", "stream", "expiring") for key in exact_keys("jobs", kind)[1:]
    ]
    assert listed == {key.rpartition(":")[2] for key in other_keys}


def test_no_granted_command_is_dangerous(places: dict[str, Place]) -> None:
    admin = places["standalone"].admin
    dangerous = {c.decode() for c in acl(admin, "CAT", "dangerous")}
    assert not dangerous & {*COMMANDS, *DURABILITY, *CLUSTER_CLIENT}


# --- refused: another collection's keys --------------------------------------------


def fill_set(client: Any, name: str) -> None:
    """A set with pending items, a lease and a dead letter, made by the admin."""
    s = SortedSet(client, name)
    s.update_scored([('"x"', 1.0), ('"y"', 2.0), ("not json", 3.0)])
    s.claim(1, ttl=300)
    assert list(SortedSet(client, name, serializer=JsonCodec())) == ["y"]  # dead-letters one


def fill_stream(client: Any, name: str) -> None:
    p = PriorityStream(client, name)
    p.add_many([("x", "1", 1.0), ("y", "2", 2.0), ("z", "3", 3.0)])
    p.pull(1, gate=True)


def fill_expiring(client: Any, name: str) -> None:
    ExpiringSet(client, name, ttl=300).update(['"x"', '"y"'])


def refused(attempt: Callable[[], object]) -> str:
    with pytest.raises(NoPermissionError) as info:
        attempt()
    return str(info.value)


Attempts = dict[str, Callable[[], object]]

#: The attempts on a set whose scripts declare keys beyond its ZSET and kind marker.
MULTI_KEY = ("pop", "take", "claim", "discard", "clear", "requeue_dead")


def set_attempts(s: SortedSet[str], mine: SortedSet[str]) -> Attempts:
    """Writes, reads, and multi-key scripts on ``s``; ``mine |= s`` reads it on the server."""
    return {
        "add": lambda: s.add("w", 5.0),
        "update": lambda: s.update(["w"]),
        "pop": lambda: s.pop(),
        "take": lambda: s.take(5, timeout=0.1),
        "claim": lambda: s.claim(1),
        "discard": lambda: s.discard('"y"'),
        "clear": lambda: s.clear(),
        "requeue_dead": lambda: s.requeue_dead(),
        "in": lambda: '"y"' in s,
        "|=": lambda: mine.union_update(s),
    }


def stream_attempts(p: PriorityStream[str]) -> Attempts:
    return {
        "add": lambda: p.add("w", "v", 5.0),
        "add_many": lambda: p.add_many([("w", "v", 5.0)], readd=True),
        "pull": lambda: p.pull(2),
        "increment": lambda: p.increment("x"),
        "delete_below": lambda: p.delete_below(10.0),
        "clear": lambda: p.clear(),
        "get": lambda: p.get("x"),
    }


def expiring_attempts(s: ExpiringSet[str]) -> Attempts:
    return {
        "add": lambda: s.add("w"),
        "update": lambda: s.update(["w"]),
        "touch": lambda: s.touch('"x"', 60),
        "pop": lambda: s.pop(),
        "discard": lambda: s.discard('"y"'),
        "clear": lambda: s.clear(),
        "&=": lambda: s.intersection_update(['"x"']),
        "in": lambda: '"y"' in s,
        "expires_at": lambda: s.expires_at('"x"'),
        "dead_letters": lambda: s.dead_letters(),
        "requeue_dead": lambda: s.requeue_dead(),
        "clear_dead_letters": lambda: s.clear_dead_letters(),
        "len": lambda: len(s),
        "iteration": lambda: list(s),
    }


def in_loop(loop: asyncio.AbstractEventLoop, make: Callable[[], Any]) -> Callable[[], object]:
    return lambda: loop.run_until_complete(make())


def async_set_attempts(
    loop: asyncio.AbstractEventLoop, s: AsyncSortedSet[str], mine: AsyncSortedSet[str]
) -> Attempts:
    return {
        "add": in_loop(loop, lambda: s.add("w", 5.0)),
        "update": in_loop(loop, lambda: s.update(["w"])),
        "pop": in_loop(loop, lambda: s.pop()),
        "take": in_loop(loop, lambda: s.take(5, timeout=0.1)),
        "claim": in_loop(loop, lambda: s.claim(1)),
        "discard": in_loop(loop, lambda: s.discard('"y"')),
        "clear": in_loop(loop, lambda: s.clear()),
        "requeue_dead": in_loop(loop, lambda: s.requeue_dead()),
        "in": in_loop(loop, lambda: s.contains('"y"')),
        "|=": in_loop(loop, lambda: mine.union_update(s)),
    }


def async_stream_attempts(loop: asyncio.AbstractEventLoop, p: AsyncPriorityStream[str]) -> Attempts:
    return {
        "add": in_loop(loop, lambda: p.add("w", "v", 5.0)),
        "add_many": in_loop(loop, lambda: p.add_many([("w", "v", 5.0)], readd=True)),
        "pull": in_loop(loop, lambda: p.pull(2)),
        "increment": in_loop(loop, lambda: p.increment("x")),
        "delete_below": in_loop(loop, lambda: p.delete_below(10.0)),
        "clear": in_loop(loop, lambda: p.clear()),
        "get": in_loop(loop, lambda: p.get("x")),
    }


def async_expiring_attempts(loop: asyncio.AbstractEventLoop, s: AsyncExpiringSet[str]) -> Attempts:
    async def iterate() -> list[str]:
        return [item async for item in s]

    return {
        "add": in_loop(loop, lambda: s.add("w")),
        "update": in_loop(loop, lambda: s.update(["w"])),
        "touch": in_loop(loop, lambda: s.touch('"x"', 60)),
        "pop": in_loop(loop, lambda: s.pop()),
        "discard": in_loop(loop, lambda: s.discard('"y"')),
        "clear": in_loop(loop, lambda: s.clear()),
        "&=": in_loop(loop, lambda: s.intersection_update(['"x"'])),
        "in": in_loop(loop, lambda: s.contains('"y"')),
        "expires_at": in_loop(loop, lambda: s.expires_at('"x"')),
        "dead_letters": in_loop(loop, lambda: s.dead_letters()),
        "requeue_dead": in_loop(loop, lambda: s.requeue_dead()),
        "clear_dead_letters": in_loop(loop, lambda: s.clear_dead_letters()),
        "len": in_loop(loop, lambda: s.size()),
        "iteration": in_loop(loop, iterate),
    }


def attempts_on(
    kind: str, flavour: str, client: Any, theirs: str, mine: str, loop: asyncio.AbstractEventLoop
) -> Attempts:
    """Operations on ``theirs`` as the user; a set's ``mine`` is used first (its marker)."""
    if flavour == "sync":
        if kind == "expiring":
            return expiring_attempts(ExpiringSet(client, theirs, ttl=60))
        if kind == "stream":
            return stream_attempts(PriorityStream(client, theirs))
        own = SortedSet(client, mine)
        own.add("mine", 1.0)
        return set_attempts(SortedSet(client, theirs), own)
    if kind == "expiring":
        return async_expiring_attempts(loop, AsyncExpiringSet(client, theirs, ttl=60))
    if kind == "stream":
        return async_stream_attempts(loop, AsyncPriorityStream(client, theirs))
    async_own = AsyncSortedSet(client, mine)
    loop.run_until_complete(async_own.add("mine", 1.0))
    return async_set_attempts(loop, AsyncSortedSet(client, theirs), async_own)


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("kind", ["set", "stream", "expiring"])
@pytest.mark.parametrize("grant_of", ["another collection", "some of its keys"])
def test_a_user_is_refused_a_collection_it_was_not_granted(
    place: Place, kind: str, flavour: str, grant_of: str
) -> None:
    """Refused by the server, for writes, reads and multi-key scripts: nothing is written.

    ``another collection``: the user holds collection A's grant and uses B.
    ``some of its keys``: the user holds B's ZSET and kind marker (what
    adding with a score touches) but not its other keys: every script that
    declares one of those is refused whole, before it runs: for an expiring
    set, every one of its scripts, which all declare its dead letters.
    """
    mine, theirs = names("tagged")  # one slot: ``mine |= theirs`` is read on the server
    fill = {"set": fill_set, "stream": fill_stream, "expiring": fill_expiring}
    fill[kind](place.admin, theirs)
    if grant_of == "another collection":
        keys = key_patterns(mine)
    else:
        keys = [*key_patterns(mine), glob_escape(theirs), glob_escape(stream_keys(theirs).kind)]
    user = place.grant(keys)
    loop = asyncio.new_event_loop()
    client = place.async_client(user) if flavour == "async" else place.client(user)
    try:
        attempts = attempts_on(kind, flavour, client, theirs, mine, loop)
        if grant_of == "some of its keys" and kind == "set":
            # adding with a score, ``in`` and ``mine |= theirs`` touch only granted keys
            attempts = {what: attempts[what] for what in MULTI_KEY}
        acl(place.admin, "LOG", "RESET")
        before = place.snapshot()
        for what, attempt in attempts.items():
            message = refused(attempt)
            assert "no permissions" in message.lower(), f"{what}: {message}"
        assert place.snapshot() == before, "a refused operation wrote something"
        log = acl(place.admin, "LOG")
        connecting = place.reported("client|setinfo").encode()
        reasons = {entry[b"reason"] for entry in log if entry[b"object"] != connecting}
        assert reasons == {b"key"}, log
    finally:
        if flavour == "async":
            loop.run_until_complete(client.aclose())
        else:
            client.close()
        loop.close()


def test_a_grant_missing_a_command_can_stop_a_script_halfway(places: dict[str, Place]) -> None:
    """Why the README says to grant every command: the server checks a script's commands as
    it runs them, and a script refused halfway keeps what it wrote before.

    ``claim`` takes its items out of the pending set, then counts the lease
    with ``INCR``: without ``incr`` the items are neither pending nor leased.
    Before Redis 7.2 the error does not name the command; the ACL LOG does, on every server.
    """
    place = places["standalone"]
    name = names("plain")[0]
    user = place.grant(key_patterns(name), tuple(c for c in COMMANDS if c != "incr"))
    client = place.client(user)
    refusal = (
        "no permissions to run the 'incr' command"
        if place.version >= (7, 2)
        else "The user executing the script can't run this command or subcommand"
    )
    try:
        s = SortedSet(client, name)
        s.update_scored([("a", 1.0), ("b", 2.0)])
        acl(place.admin, "LOG", "RESET")
        with pytest.raises(ResponseError, match=re.escape(refusal)):
            s.claim(1)
        [entry] = acl(place.admin, "LOG")
        logged = {key: entry[key] for key in (b"reason", b"context", b"object", b"username")}
        assert logged == {
            b"reason": b"command",
            b"context": b"lua" if place.version >= (7, 0) else b"multi",  # as 6.2 logs scripts
            b"object": b"incr",
            b"username": user.encode(),
        }
        lost = "claim without incr no longer loses its item: the README's warning can go"
        assert list(s) == ["b"], lost
        assert s.leased() == [], lost
    finally:
        client.close()
