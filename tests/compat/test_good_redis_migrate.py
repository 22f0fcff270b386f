"""``typedset migrate-good-redis``: a good-redis stream's keys become a PriorityStream, no item
lost or doubled, even when the migration is interrupted or loses a reply and is run again.

The good-redis data is written with raw commands in good-redis's layout, in
each state good-redis's own operations leave a key (checked against its
source: ``psadd``, ``pspull`` with and without ``purge``/``gate``,
``psdeletebelowthreshold(gate=True)``, ``psincrement`` of an absent key):
the real package needs Python 3.12 and good-common, and its layout is all
the migration reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from conftest import Server, delete_collection
from typedset import BytesCodec, JsonCodec, NameClashError, PriorityStream, SortedSet
from typedset._keys import stream_keys
from typedset.cli import main
from typedset.compat.good_redis import Redis
from typedset.compat.good_redis import migrate as migrate_module
from typedset.compat.good_redis.migrate import (
    MigrationError,
    MigrationReport,
    good_redis_keys,
    marker_key,
    migrate,
)
from typedset.testing import FaultProxy

LIVE = 1_050  # items waiting: several chunks of 100


@dataclass
class GoodRedisData:
    """What was written in good-redis's layout, and what the stream must hold after."""

    values: dict[str, bytes] = field(default_factory=dict)  # every item, by key
    priorities: dict[str, float] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    cooling: dict[str, float] = field(default_factory=dict)  # key -> Unix time
    phantoms: set[str] = field(default_factory=set)
    unprioritised: set[str] = field(default_factory=set)


def write_good_redis_stream(r: redis.Redis, name: str) -> GoodRedisData:
    """A stream in every state good-redis leaves keys in, written as its scripts write it."""
    s, t, exc, exp = good_redis_keys(name)
    data = GoodRedisData()
    now = time.time()
    r.sadd(":ps:keys", name)
    r.sadd(":ps:decay", name)  # AsyncRedis.psadd(with_decay=True)
    pipe = r.pipeline(transaction=False)
    for i in range(LIVE):  # psadd: waiting items; values as redis-py encodes str, bytes, numbers
        key = f"item:{i}"
        value = [f"payload {i}".encode(), json.dumps({"n": i}).encode(), repr(i * 1.5).encode()][
            i % 3
        ]
        data.values[key], data.priorities[key] = value, float(i % 17)
        pipe.hset(t, key, value)
        pipe.zadd(s, {key: i % 17})
    data.values["binary"], data.priorities["binary"] = b"\xff\x00\xfe", 3.0
    pipe.hset(t, "binary", b"\xff\x00\xfe")
    pipe.zadd(s, {"binary": 3})
    for i in range(5):  # pspull(purge=False): kept at -1, cooling down (client clock, int)
        key, deadline = f"kept:{i}", int(now) + 3600
        data.values[key], data.priorities[key], data.cooling[key] = b"kept", -1.0, deadline
        pipe.hset(t, key, "kept")
        pipe.zadd(s, {key: -1})
        pipe.zadd(exp, {key: deadline})
    # pspull(purge=False) whose cool-down is over (psexpire not yet run): goes at the next call
    data.values["stale"], data.priorities["stale"] = b"stale", -1.0
    data.cooling["stale"] = int(now) - 60
    pipe.hset(t, "stale", "stale")
    pipe.zadd(s, {"stale": -1})
    pipe.zadd(exp, {"stale": int(now) - 60})
    for i in range(4):  # pspull(gate=True): gated and cooling, no item
        key = f"pulled-gated:{i}"
        data.gated.add(key)
        data.cooling[key] = int(now) + 600
        pipe.sadd(exc, key)
        pipe.zadd(exp, {key: int(now) + 600})
    for i in range(3):  # pspull(): cooling only
        data.cooling[f"pulled:{i}"] = int(now) + 900
        pipe.zadd(exp, {f"pulled:{i}": int(now) + 900})
    for i in range(2):  # psdeletebelowthreshold(gate=True): gated only
        data.gated.add(f"deleted:{i}")
        pipe.sadd(exc, f"deleted:{i}")
    data.phantoms.add("ghost")  # psincrement of an absent key: a priority, no value
    pipe.zadd(s, {"ghost": 5})
    data.values["orphan"], data.priorities["orphan"] = b"orphan", 0.0  # a value, no priority
    data.unprioritised.add("orphan")
    pipe.hset(t, "orphan", "orphan")
    pipe.execute()
    return data


def stream_state(
    r: Any, name: str
) -> tuple[dict[str, bytes], dict[str, float], set[str], dict[str, float]]:
    """The PriorityStream's items, priorities, gates and cool-downs, read raw (no sweep)."""
    keys = stream_keys(name)
    values = {k.decode(): v for k, v in r.hgetall(keys.values).items()}
    priorities = {k.decode(): p for k, p in r.zrange(keys.priorities, 0, -1, withscores=True)}
    gated = {k.decode() for k in r.smembers(keys.gated)}
    cooling = {k.decode(): d for k, d in r.zrange(keys.cooling, 0, -1, withscores=True)}
    return values, priorities, gated, cooling


def left_in_good_redis(r: Any, name: str) -> set[str]:
    s, t, exc, exp = good_redis_keys(name)
    left = {k.decode() for k in [*r.zrange(s, 0, -1), *r.hkeys(t), *r.smembers(exc)]}
    return left | {k.decode() for k in r.zrange(exp, 0, -1)}


def assert_all_moved(
    r: redis.Redis, name: str, data: GoodRedisData, target: str | None = None
) -> None:
    """Every item, gate and cool-down is in the stream exactly as good-redis had it; none left."""
    values, priorities, gated, cooling = stream_state(r, target or name)
    assert values == data.values
    assert priorities == data.priorities
    assert set(values) == set(priorities)
    assert gated == data.gated
    assert cooling == data.cooling
    assert left_in_good_redis(r, name) == set()
    assert not r.exists(*good_redis_keys(name), marker_key(name))
    assert not r.sismember(":ps:keys", name)
    assert not r.sismember(":ps:decay", name)


def assert_counts(report: MigrationReport, data: GoodRedisData) -> None:
    assert report.items == len(data.values)
    assert report.unprioritised == len(data.unprioritised)
    assert report.phantoms == len(data.phantoms)
    assert report.gates == len(data.gated)
    assert report.cool_downs == len(data.cooling)
    assert report.cool_downs_over == 1  # "stale"
    assert report.stream_items == len(data.values)


@pytest.fixture
def gr(plain: redis.Redis, name: str) -> Iterator[redis.Redis]:
    """The standalone server's client; good-redis's keys of ``name`` deleted afterwards."""
    yield plain
    plain.delete(*good_redis_keys(name), marker_key(name))
    plain.srem(":ps:keys", name)
    plain.srem(":ps:decay", name)


def test_every_item_gate_and_cool_down_moves_and_the_shim_reads_them(
    gr: redis.Redis, name: str, server: Server
) -> None:
    data = write_good_redis_stream(gr, name)
    reports: list[int] = []
    report = migrate(gr, name, chunk=100, progress=lambda r: reports.append(r.chunks))
    assert_counts(report, data)
    assert report.merged == 0
    assert not report.resumed
    assert reports == list(range(1, report.chunks + 1))
    assert report.chunks >= LIVE // 100
    assert_all_moved(gr, name, data)

    shim = Redis.from_url(server.url)
    try:
        assert shim.pslen(name) == len(data.values) - 1  # the first call ends "stale"'s cool-down
        assert shim.psget(name, "stale") is None
        _, top = max((p, k.encode()) for k, p in data.priorities.items())  # ties: key bytes
        assert shim.pspull(name) == {top.decode(): data.values[top.decode()]}
        assert shim.psget(name, "binary") == b"\xff\x00\xfe"
        assert shim.psadd(name, "pulled-gated:0", "x") == 0  # gated
        assert shim.psadd(name, "pulled:0", "x") == 0  # cooling down
        assert shim.psadd(name, "deleted:0", "x") == 0  # gated
        assert shim.psadd(name, "deleted:0", "x", 2, readd=True) == 2.0
    finally:
        shim.close()
    typed = PriorityStream(gr, name, serializer=JsonCodec())
    assert typed.get("item:1") == {"n": 1}  # the values written as JSON decode as JSON


def test_an_interrupted_migration_resumes_and_nothing_is_lost_or_doubled(
    gr: redis.Redis, name: str
) -> None:
    data = write_good_redis_stream(gr, name)
    everything = set(data.values) | data.gated | set(data.cooling) | data.phantoms

    def interrupt(report: MigrationReport) -> None:
        if report.chunks == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate(gr, name, chunk=100, progress=interrupt)
    values, priorities, gated, cooling = stream_state(gr, name)
    moved = set(values) | set(priorities) | gated | set(cooling)
    left = left_in_good_redis(gr, name)
    assert len(values) == 300  # three chunks of items, whole
    assert moved & left == set()  # each key in exactly one layout
    assert (moved | left) - {"ghost"} == everything - {"ghost"}  # a phantom moved is dropped
    assert gr.get(marker_key(name)) == name.encode()

    with pytest.raises(MigrationError, match="under way"):
        migrate(gr, name, target=name + "-elsewhere")
    report = migrate(gr, name, chunk=100)  # the same command again: no --merge needed
    assert report.resumed
    assert report.items == len(data.values) - 300
    assert report.merged == 0  # nothing moved twice
    assert_all_moved(gr, name, data)


def test_a_lost_reply_mid_way_then_a_rerun_moves_each_item_once(
    gr: redis.Redis, name: str, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_good_redis_stream(gr, name)
    gr.script_load(migrate_module.MIGRATE.source)  # each chunk is then exactly one EVALSHA
    listed = migrate_module._batches
    with FaultProxy(server.url) as proxy:

        def batches(client: redis.Redis, name: str, chunk: int) -> Iterator[list[Any]]:
            for number, batch in enumerate(listed(client, name, chunk), start=1):
                if number == 3:
                    proxy.cut_next_reply()  # the third chunk moves on the server; its reply is lost
                yield batch

        monkeypatch.setattr(migrate_module, "_batches", batches)
        client = redis.Redis.from_url(proxy.url, retry=Retry(NoBackoff(), 0))
        try:
            with pytest.raises(redis.ConnectionError):
                migrate(client, name, chunk=100)
        finally:
            client.close()
        assert proxy.faults == 1
        assert [c[0] for c in proxy.commands].count(b"EVALSHA") == 3
    assert len(stream_state(gr, name)[0]) == 300  # the lost chunk ran
    report = migrate(gr, name, chunk=100)
    assert report.resumed
    assert report.items == len(data.values) - 300
    assert_all_moved(gr, name, data)


def test_a_stream_that_holds_anything_is_refused_unless_merging(gr: redis.Redis, name: str) -> None:
    data = write_good_redis_stream(gr, name)
    typed = PriorityStream(gr, name, serializer=BytesCodec())
    typed.add("item:1", b"newer", 100)
    typed.add("mine", b"only typedset", 1)
    with pytest.raises(MigrationError, match="already holds"):
        migrate(gr, name)
    assert (
        left_in_good_redis(gr, name)
        == set(data.values) | data.gated | set(data.cooling) | data.phantoms
    )  # nothing moved
    report = migrate(gr, name, merge=True)
    assert report.merged == 1
    assert typed.priority("item:1") == 100 + data.priorities["item:1"]  # priorities add up
    assert typed.get("item:1") == data.values["item:1"]  # good-redis's value, as a re-add
    assert typed.get("mine") == b"only typedset"
    assert report.stream_items == len(data.values) + 1


def test_other_targets_and_refusals(gr: redis.Redis, name: str) -> None:
    with pytest.raises(MigrationError, match="no good-redis stream"):
        migrate(gr, name)
    data = write_good_redis_stream(gr, name)
    SortedSet(gr, name + "-set").add("x")
    try:
        with pytest.raises(NameClashError):
            migrate(gr, name, target=name + "-set")
        with pytest.raises(ValueError, match="chunk"):
            migrate(gr, name, chunk=0)
        assert not gr.exists(marker_key(name))
        report = migrate(gr, name, target=name + "-moved")
        assert report.target == name + "-moved"
        assert_all_moved(gr, name, data, target=name + "-moved")
        assert not gr.exists(name)  # nothing of the target's layout under the old name
    finally:
        delete_collection(gr, name + "-set")
        delete_collection(gr, name + "-moved")


def test_the_cli_moves_reports_and_refuses_with_exit_codes(
    gr: redis.Redis, name: str, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_good_redis_stream(gr, name)
    assert main(["migrate-good-redis", server.url, name, "--chunk", "400"]) == 0
    out = capsys.readouterr().out
    assert f"items       {len(data.values)} (0 merged, 1 given 0)" in out
    assert "cool-downs  13 (1 already over)" in out
    assert "dropped     1 priorities without a value" in out
    assert_all_moved(gr, name, data)
    assert main(["migrate-good-redis", server.url, name]) == 1
    assert "no good-redis stream" in capsys.readouterr().err
    write_good_redis_stream(gr, name)
    assert main(["migrate-good-redis", server.url, name]) == 1
    assert "already holds" in capsys.readouterr().err
    assert main(["migrate-good-redis", server.url, name, "--merge", "--json"]) == 0
    counts: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert counts["merged"] == len(data.values)  # no operation ran in between to end "stale"
    assert counts["items"] == len(data.values)


def test_the_console_command_runs_as_python_m_typedset(
    gr: redis.Redis, name: str, server: Server
) -> None:
    data = write_good_redis_stream(gr, name)
    result = subprocess.run(
        [sys.executable, "-m", "typedset", "migrate-good-redis", server.url, name, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["items"] == len(data.values)
    assert_all_moved(gr, name, data)


def test_a_killed_migration_process_is_finished_by_running_the_command_again(
    gr: redis.Redis, name: str, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_good_redis_stream(gr, name)
    with FaultProxy(server.url) as proxy:
        command = ["migrate-good-redis", proxy.url, name, "--chunk", "1"]
        child = subprocess.Popen([sys.executable, "-m", "typedset", *command])
        try:
            deadline = time.monotonic() + 60
            while [c[0] for c in proxy.commands].count(b"EVALSHA") < 5:
                assert child.poll() is None, "the migration ended before it could be killed"
                assert time.monotonic() < deadline, "the migration never started"
                time.sleep(0.01)
            proxy.stall_next_reply()  # it waits for that reply until it is killed
            while proxy.faults == 0:
                assert time.monotonic() < deadline, "no reply was stalled"
                time.sleep(0.01)
        finally:
            child.kill()
            child.wait(timeout=30)
    values = stream_state(gr, name)[0]
    assert 0 < len(values) < len(data.values)  # killed mid-way
    assert set(values) & left_in_good_redis(gr, name) == set()
    assert main(["migrate-good-redis", server.url, name]) == 0
    assert "(resumed)" in capsys.readouterr().out
    assert_all_moved(gr, name, data)


def test_merging_puts_no_cool_down_on_a_waiting_item(gr: redis.Redis, name: str) -> None:
    """The stream removes a cooling key's item when the cool-down ends: a cool-down merged onto a
    waiting item (one side's pull, the other side's add) would lose an item never handed out."""
    typed = PriorityStream(gr, name, serializer=BytesCodec())
    typed.add("pulled-here", b"typed", 1)
    assert typed.pull(expire_in=timedelta(hours=1)) == {"pulled-here": b"typed"}  # cooling
    typed.add("waiting-here", b"typed waiting", 2)
    s, t, _, exp = good_redis_keys(name)
    gr.sadd(":ps:keys", name)
    gr.hset(t, "pulled-here", b"good-redis waiting")  # psadd in good-redis: a waiting item
    gr.zadd(s, {"pulled-here": 5})
    gr.zadd(exp, {"waiting-here": int(time.time()) - 60})  # pulled in good-redis; cool-down over
    report = migrate(gr, name, merge=True)
    assert (report.items, report.merged, report.cool_downs, report.lifted) == (1, 0, 0, 2)
    assert stream_state(gr, name)[3] == {}  # no cool-down left on a key holding an item
    assert dict(typed.items()) == {
        "pulled-here": b"good-redis waiting",
        "waiting-here": b"typed waiting",
    }  # both still there after the stream's sweep (its operations end cool-downs first)
    assert typed.pull(2) == {"pulled-here": b"good-redis waiting", "waiting-here": b"typed waiting"}


def test_two_runs_started_together_into_two_targets_do_not_split_the_stream(
    gr: redis.Redis, name: str, server: Server
) -> None:
    data = write_good_redis_stream(gr, name)
    elsewhere = name + "-elsewhere"

    class Racing(redis.Redis):
        """A client whose first EXISTS lets another run start first (it moves one chunk)."""

        raced = False

        def exists(self, *names: Any) -> Any:
            if not self.raced:
                self.raced = True

                def interrupt(report: MigrationReport) -> None:
                    raise KeyboardInterrupt

                with pytest.raises(KeyboardInterrupt):
                    migrate(gr, name, target=elsewhere, chunk=100, progress=interrupt)
            return super().exists(*names)

    racing = Racing(connection_pool=redis.ConnectionPool.from_url(server.url))
    try:
        with pytest.raises(MigrationError, match="under way"):
            migrate(racing, name, chunk=100)
    finally:
        racing.close()
    try:
        assert racing.raced
        assert stream_state(gr, name) == ({}, {}, set(), {})  # nothing went into the other target
        report = migrate(gr, name, target=elsewhere, chunk=100)  # the run under way finishes
        assert report.resumed
        assert report.items == len(data.values) - 100
        assert_all_moved(gr, name, data, target=elsewhere)
    finally:
        delete_collection(gr, elsewhere)


def test_a_client_that_decodes_replies_moves_keys_that_are_not_utf8(
    gr: redis.Redis, name: str, server: Server
) -> None:
    s, t, exc, exp = good_redis_keys(name)
    gr.hset(t, mapping={b"\xff\xfe": b"binary key", "text": "text key", b"\xc3(": b"unscored"})
    gr.zadd(s, {b"\xff\xfe": 2, b"text": 1})
    gr.sadd(exc, b"\xfa gated")
    gr.zadd(exp, {b"\xfb cooling": int(time.time()) + 600})
    decoding = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        report = migrate(decoding, name, chunk=1)
    finally:
        decoding.close()
    assert (report.items, report.unprioritised, report.gates, report.cool_downs) == (3, 1, 1, 1)
    keys = stream_keys(name)
    assert gr.hgetall(keys.values) == {
        b"\xff\xfe": b"binary key",
        b"text": b"text key",
        b"\xc3(": b"unscored",
    }
    assert gr.smembers(keys.gated) == {b"\xfa gated"}
    assert gr.zrange(keys.cooling, 0, -1) == [b"\xfb cooling"]
    assert left_in_good_redis(gr, name) == set()


@pytest.mark.parametrize("suffix", [":s", ":t", ":exc", ":exp", ":typedset-migration"])
def test_a_target_whose_keys_are_the_good_redis_streams_is_refused(
    gr: redis.Redis, name: str, suffix: str
) -> None:
    """``--to NAME:s`` would put the stream's priorities in good-redis's ZSET, then remove them."""
    s, t, _, exp = good_redis_keys(name)
    gr.hset(t, mapping={"a": "1", "b": "2"})  # no priorities yet: NAME:s does not exist
    gr.zadd(exp, {"c": int(time.time()) + 600})
    with pytest.raises(MigrationError, match="choose another target"):
        migrate(gr, name, target=name + suffix)
    assert left_in_good_redis(gr, name) == {"a", "b", "c"}
    assert not gr.exists(s, marker_key(name), *stream_keys(name + suffix).script_keys[1:])
    report = migrate(gr, name)
    assert (report.items, report.stream_items) == (2, 2)
