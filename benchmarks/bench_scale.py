"""Scale figures (issue 12 item 7): throughput over 1 vs 3 masters, memory per item, cost vs N.

Three measurements, each against the raw redis-py equivalent in the same run:

1. **Throughput over masters.** A private cluster of 1 master and one of 3
   masters run side by side; each is driven by ``2 x masters`` processes
   (2 and 6), each with a ``RedisCluster`` client of its own and
   ``COLLECTIONS`` collections whose names hash to every master of the
   3-master cluster (all to the one master of the other). A process cycles
   through its collections doing ``add`` + ``pop`` (2 ops per item), or
   ``add`` + ``claim(1)`` + ``ack`` (3 ops per item), for ``--duration``
   seconds after a barrier; the raw side does ``ZADD`` + ``ZPOPMIN``, or
   ``ZADD`` + ``bench_sorted_set.CLAIM_LUA`` (one EVALSHA) + ``ZREM``. Rounds
   alternate the clusters and the sides; each figure is the median of the
   rounds. Reported: total ops/s, the ratio 3 masters / 1 master, client
   CPU per op, and the CPU cores the clients and the servers used (out of
   ``os.cpu_count()``): when they add up to every core, more masters cannot
   go faster on this machine.
2. **Memory per item.** One fresh private server per measurement: connect,
   read ``INFO memory`` ``used_memory``, load ``--items`` items, wait for
   the server to shrink the client's buffers, read it again; bytes per item
   is the difference over the items. ``MEMORY USAGE <key> SAMPLES 0`` of
   each key gives the same from the keys alone. typedset's kinds (the
   default ``StrCodec`` payloads ``item-000000``, stored as they are)
   against a raw ZSET of the same members and scores (and, for
   ``PriorityStream``, a raw ZSET of priorities + a HASH of the values);
   the leased row has every item under a ``claim`` lease, against the raw
   lower bound of ``bench_sorted_set`` (members moved to a ZSET scored by
   deadline by ``CLAIM_LUA``).
3. **take/claim cost vs N.** One private server (unix socket); a
   SortedSet and a raw ZSET are grown to 10^3 ... 10^6 items. At each size,
   ``--batches`` timed ``take(100)`` (raw: ``ZPOPMIN key 100``) and
   ``claim(100)`` + ``ack_many`` (raw: ``CLAIM_LUA`` + ``ZREM``), each
   followed by an untimed re-add of the same 100 items at the tail, so the
   collection holds N items at every timed call. Time and client CPU per
   item; it stays flat when the server work is O(log N) per item.

    python benchmarks/bench_scale.py [--quick] [--items 1000000] [--rounds 5]
        [--duration 3] [--batches 100] [--max-size 6] [--only throughput memory cost]

``--quick`` is a sub-minute smoke run (20,000 items, one short round, sizes to
10^5). Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from typing import Any, cast

import redis
from redis.cluster import RedisCluster

from bench_sorted_set import CLAIM_LUA, TTL, Popped, members
from bench_stream import keys_of as stream_keys_of
from harness import _progress as progress
from typedset import Lease, PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.testing import ClusterNode, PrivateCluster, PrivateServer

#: Collections per worker process and per workload: two on each master of the 3-master cluster.
COLLECTIONS = 6
WORKLOADS = ("add+pop", "add+claim+ack")
SIDES = ("typedset", "raw")
BATCH = 100
#: Items per round trip when loading (typedset's update sends 10,000 per script call too).
CHUNK = 10_000
LEASE_TTL = 3600.0  # the memory measurement's leases must not expire while it runs


# --- 1. throughput over 1 and 3 masters -------------------------------------------


@dataclass
class Run:
    """One timed run: every worker's ops, wall and CPU seconds; the servers' and machine's."""

    ops: list[int]
    wall: list[float]
    cpu: list[float]
    server_cpu: float
    #: Cores the whole machine kept busy meanwhile (everyone's processes), from /proc/stat.
    busy_cores: float

    @property
    def ops_per_s(self) -> float:
        return sum(ops / wall for ops, wall in zip(self.ops, self.wall, strict=True))

    @property
    def cpu_per_op(self) -> float:
        return sum(self.cpu) / sum(self.ops)

    @property
    def client_cores(self) -> float:
        return sum(self.cpu) / statistics.mean(self.wall)

    @property
    def server_cores(self) -> float:
        return self.server_cpu / statistics.mean(self.wall)


def names_over(masters: list[ClusterNode], prefix: str, count: int) -> list[str]:
    """``count`` names starting with ``prefix``, the i-th served by ``masters[i % len]``."""
    slots = [master.slots for master in masters]
    names = []
    for index in range(count):
        wanted = slots[index % len(slots)]
        name = next(
            candidate
            for candidate in (f"{prefix}:{index}:{n}" for n in itertools.count())
            if PrivateCluster.slot_of(candidate) in wanted
        )
        names.append(name)
    return names


def _step(client: RedisCluster, side: str, workload: str, names: list[str]) -> Callable[[], int]:
    """A function doing one item's work on the next collection; it returns its op count."""
    counter = itertools.count()
    if side == "typedset":
        sets = itertools.cycle([SortedSet(client, name) for name in names])
        if workload == "add+pop":

            def ts_pop() -> int:
                s = next(sets)
                s.add(f"item-{next(counter)}")
                s.pop()
                return 2

            return ts_pop

        def ts_claim() -> int:
            s = next(sets)
            s.add(f"item-{next(counter)}")
            [lease] = s.claim(1, ttl=TTL)
            s.ack(lease)
            return 3

        return ts_claim
    cycle = itertools.cycle(names)
    if workload == "add+pop":

        def raw_pop() -> int:
            name = next(cycle)
            client.zadd(name, {f"item-{next(counter)}".encode(): 0})
            [(member, _score)] = cast(Popped, client.zpopmin(name))
            member.decode()
            return 2

        return raw_pop
    raw_claim = client.register_script(CLAIM_LUA)

    def raw_claim_ack() -> int:
        name = next(cycle)
        leases = f"{{{name}}}:raw-leases"
        client.zadd(name, {f"item-{next(counter)}".encode(): 0})
        found = raw_claim(keys=[name, leases], args=[1, time.time() + TTL])
        [member] = cast(list[bytes], found)
        member.decode()
        client.zrem(leases, member)
        return 3

    return raw_claim_ack


def _worker(
    url: str,
    side: str,
    workload: str,
    names: list[str],
    duration: float,
    barrier: Barrier,
    results: Any,
) -> None:
    """A worker process: connect, warm up every collection, wait for the others, run, report."""
    try:
        client = RedisCluster.from_url(url)
        step = _step(client, side, workload, names)
        for _ in names:  # connections to every master, scripts, kind checks
            step()
        barrier.wait(timeout=120)
        wall, cpu = time.perf_counter(), time.process_time()
        deadline, ops = wall + duration, 0
        while time.perf_counter() < deadline:
            ops += step()
        results.put((ops, time.perf_counter() - wall, time.process_time() - cpu))
        client.close()
    except BaseException as error:
        barrier.abort()
        results.put(repr(error))
        raise


def _busy_and_total() -> tuple[int, int]:
    """Busy and total jiffies of all cores since boot (``/proc/stat``; zeros elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _server_cpu(masters: list[ClusterNode]) -> float:
    """CPU seconds (user + system) the masters have used so far, from ``INFO cpu``."""
    total = 0.0
    for master in masters:
        text = cast(bytes, master.command("INFO", "cpu")).decode()
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        total += float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"])
    return total


def run_workers(
    cluster: PrivateCluster, side: str, workload: str, names: list[list[str]], duration: float
) -> Run:
    """One worker process per list of ``names`` on ``cluster``; time one run of theirs."""
    masters = cluster.masters
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(names) + 1)
    results = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(cluster.url, side, workload, mine, duration, barrier, results),
            daemon=True,
        )
        for mine in names
    ]
    for worker in workers:
        worker.start()
    try:
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            raise RuntimeError(f"a worker failed: {results.get(timeout=10)}") from None
        server_cpu, (busy, total) = _server_cpu(masters), _busy_and_total()
        outcomes = [results.get(timeout=duration + 120) for _ in workers]
        busy_after, total_after = _busy_and_total()
        server_cpu = _server_cpu(masters) - server_cpu
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
                worker.join()
    failed = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failed:
        raise RuntimeError(f"a worker failed: {failed[0]}")
    ops, wall, cpu = zip(*outcomes, strict=True)
    cores = os.cpu_count() or 1
    busy_cores = (busy_after - busy) / max(total_after - total, 1) * cores
    return Run(list(ops), list(wall), list(cpu), server_cpu, busy_cores)


def throughput(rounds: int, duration: float) -> list[str]:
    """Run the throughput rounds; the report's lines."""
    progress(f"throughput: {rounds} round(s) of {duration:g} s per run")
    with PrivateCluster(masters=1) as one, PrivateCluster(masters=3) as three:
        clusters = {1: one, 3: three}
        progress(f"  clusters: 1 master {one.url}, 3 masters {three.url}")
        # Every worker's names are spread over the 3 masters (and all on the 1 master).
        spread_over = three.masters
        names = {
            (workload, side, p): names_over(
                spread_over, f"scale:{side}:{workload}:{p}", COLLECTIONS
            )
            for workload in WORKLOADS
            for side in SIDES
            for p in range(6)
        }
        for m, cluster in clusters.items():
            progress(
                f"  {m} master(s): a worker's collections per master "
                f"{_spread(cluster, names[WORKLOADS[0], SIDES[0], 0])}"
            )
        runs: dict[tuple[str, str, int], list[Run]] = {}
        for round_ in range(rounds):
            order = [1, 3] if round_ % 2 == 0 else [3, 1]
            for workload in WORKLOADS:
                for m in order:
                    sides = SIDES if (round_ + m) % 2 else tuple(reversed(SIDES))
                    for side in sides:
                        mine = [names[workload, side, p] for p in range(2 * m)]
                        run = run_workers(clusters[m], side, workload, mine, duration)
                        runs.setdefault((workload, side, m), []).append(run)
                        progress(
                            f"  round {round_ + 1}/{rounds}: {workload:<14} {m} master(s), "
                            f"{2 * m} processes, {side:<8}: {run.ops_per_s:>8,.0f} ops/s, "
                            f"client CPU {run.cpu_per_op * 1e6:.0f} us/op, cores used: "
                            f"clients {run.client_cores:.2f}, servers {run.server_cores:.2f}, "
                            f"whole machine {run.busy_cores:.2f}"
                        )
    return _throughput_report(runs)


def _spread(cluster: PrivateCluster, names: list[str]) -> list[int]:
    ports = [master.port for master in cluster.masters]
    owners = [cluster.node_for(name).port for name in names]
    return [owners.count(port) for port in ports]


def _cores(run: Run) -> str:
    return f"{run.client_cores:.2f} + {run.server_cores:.2f} ({run.busy_cores:.2f})"


def _median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.ops_per_s)[len(runs) // 2]


def _throughput_report(runs: dict[tuple[str, str, int], list[Run]]) -> list[str]:
    lines = [
        f"Throughput, 1 vs 3 masters (processes = 2 x masters, {COLLECTIONS} collections "
        f"each), os.cpu_count() = {os.cpu_count()}",
        "",
        "| workload | side | 1 master ops/s | 3 masters ops/s | 3/1 | client CPU/op 1 / 3 "
        "| cores busy 1 / 3: clients + servers (whole machine) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload in WORKLOADS:
        medians = {}
        for side in SIDES:
            one, three = _median_run(runs[workload, side, 1]), _median_run(runs[workload, side, 3])
            medians[side] = (one, three)
            lines.append(
                f"| {workload} | {side} | {one.ops_per_s:,.0f} | {three.ops_per_s:,.0f} "
                f"| {three.ops_per_s / one.ops_per_s:.2f}x "
                f"| {one.cpu_per_op * 1e6:.0f} / {three.cpu_per_op * 1e6:.0f} us "
                f"| {_cores(one)} / {_cores(three)} |"
            )
        (ts1, ts3), (raw1, raw3) = medians["typedset"], medians["raw"]
        lines.append(
            f"| {workload} | typedset / raw | {ts1.ops_per_s / raw1.ops_per_s:.2f}x "
            f"| {ts3.ops_per_s / raw3.ops_per_s:.2f}x | | | |"
        )
    lines += [
        "",
        "ops/s: all processes together (medians of the rounds); an item is 2 ops (add, pop) or",
        "3 (add, claim, ack). cores busy: CPU seconds per second of the run of the clients,",
        "of the masters, and (in brackets) of the whole machine, everyone's processes included.",
    ]
    return lines


# --- 2. memory per item -----------------------------------------------------------


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _settled_memory(client: redis.Redis) -> int:
    """``used_memory`` once the server has shrunk this client's query buffer (clientsCron).

    Each ``INFO`` itself adds a few bytes, so "settled" is: under 1 KiB of change in 0.2 s.
    """
    readings = [_used_memory(client)]
    for _ in range(30):
        time.sleep(0.2)
        readings.append(_used_memory(client))
        if abs(readings[-1] - readings[-2]) < 1024:
            break
    return readings[-1]


def _key_bytes(client: redis.Redis, prefix: str) -> dict[str, int]:
    """``MEMORY USAGE`` (all elements sampled) of every key of a collection named ``prefix``."""
    keys = [cast(bytes, key).decode() for key in client.scan_iter(match=f"*{prefix}*")]
    return {key: client.memory_usage(key, samples=0) or 0 for key in sorted(keys)}


def _chunks(n: int) -> Iterator[list[str]]:
    every = members(n)
    for start in range(0, n, CHUNK):
        yield every[start : start + CHUNK]


NAME = "scale"


def _load_sorted(kind: type[SortedSet[str]]) -> Callable[[redis.Redis, int], None]:
    def load(client: redis.Redis, n: int) -> None:
        s = kind(client, NAME)
        for chunk in _chunks(n):
            s.update(chunk)

    return load


def _load_leased(client: redis.Redis, n: int) -> None:
    s = SortedSet(client, NAME)
    for chunk in _chunks(n):
        s.update(chunk)
    while s.claim(1000, ttl=LEASE_TTL):
        pass


def _load_stream(client: redis.Redis, n: int) -> None:
    s = PriorityStream(client, NAME)
    for start in range(0, n, CHUNK):
        s.add_many((f"key-{i:06}", f"value-{i}", float(i % 1000)) for i in range(start, n)[:CHUNK])


def _raw_sorted(timed: bool) -> Callable[[redis.Redis, int], None]:
    """ZADD of the same members: score 0, or the client's clock per 1,000 (as ``update``)."""

    def load(client: redis.Redis, n: int) -> None:
        pipe = client.pipeline(transaction=False)
        for chunk in _chunks(n):
            for start in range(0, len(chunk), 1000):
                score = time.time() if timed else 0.0
                pipe.zadd(NAME, dict.fromkeys(chunk[start : start + 1000], score))
            pipe.execute()

    return load


def _raw_leased(client: redis.Redis, n: int) -> None:
    _raw_sorted(False)(client, n)
    raw_claim = client.register_script(CLAIM_LUA)
    leases = f"{{{NAME}}}:raw-leases"
    while raw_claim(keys=[NAME, leases], args=[1000, time.time() + LEASE_TTL]):
        pass


def _raw_stream(client: redis.Redis, n: int) -> None:
    zset, values = stream_keys_of(NAME)[:2]
    pipe = client.pipeline(transaction=False)
    for start in range(0, n, CHUNK):
        block = range(start, min(start + CHUNK, n))
        pipe.zadd(zset, {f"key-{i:06}": float(i % 1000) for i in block})
        pipe.hset(values, mapping={f"key-{i:06}": f"value-{i}" for i in block})
        pipe.execute()


#: kind, its loader, the raw layout it is compared with, and that layout's loader.
MEMORY_CASES: list[tuple[str, Callable[[redis.Redis, int], None], str]] = [
    ("SortedSet", _load_sorted(SortedSet), "ZSET, score 0"),
    ("TimeSortedSet", _load_sorted(TimeSortedSet), "ZSET, timestamps"),
    ("ScheduledSet", _load_sorted(ScheduledSet), "ZSET, timestamps"),
    ("SortedSet, all leased", _load_leased, "ZSET of leases (CLAIM_LUA)"),
    ("PriorityStream", _load_stream, "ZSET + HASH"),
]
RAW_LAYOUTS: dict[str, Callable[[redis.Redis, int], None]] = {
    "ZSET, score 0": _raw_sorted(False),
    "ZSET, timestamps": _raw_sorted(True),
    "ZSET of leases (CLAIM_LUA)": _raw_leased,
    "ZSET + HASH": _raw_stream,
}


@dataclass
class Footprint:
    used: int  # used_memory after - before
    keys: dict[str, int]  # MEMORY USAGE per key


def footprint(load: Callable[[redis.Redis, int], None], n: int, label: str) -> Footprint:
    """Load ``n`` items with ``load`` into a fresh private server; what it took."""
    with PrivateServer() as server:
        client = server.client()
        client.ping()
        before = _settled_memory(client)
        began = time.perf_counter()
        load(client, n)
        loaded = time.perf_counter() - began
        used = _settled_memory(client) - before
        keys = _key_bytes(client, NAME)
        client.close()
    progress(
        f"  {label:<28} {n:,} items in {loaded:.1f} s: {used / n:.1f} B/item "
        f"(keys: {', '.join(f'{key} {size / n:.1f}' for key, size in keys.items())})"
    )
    return Footprint(used, keys)


def memory(n: int) -> list[str]:
    progress(f"memory: {n:,} items per measurement, a fresh server each")
    raw = {layout: footprint(load, n, f"raw {layout}") for layout, load in RAW_LAYOUTS.items()}
    lines = [
        f"Memory per item, {n:,} items (used_memory after - before, over the items; "
        "MEMORY USAGE of the keys in brackets)",
        "",
        "| kind | typedset B/item | raw layout | raw B/item | typedset / raw |",
        "|---|---:|---|---:|---:|",
    ]
    marker = 0
    for kind, load, layout in MEMORY_CASES:
        mine = footprint(load, n, kind)
        marker = mine.keys.get(f"{{{NAME}}}:kind", marker)
        theirs = raw[layout]
        lines.append(
            f"| {kind} | {mine.used / n:.1f} ({sum(mine.keys.values()) / n:.1f}) | {layout} "
            f"| {theirs.used / n:.1f} ({sum(theirs.keys.values()) / n:.1f}) "
            f"| {mine.used / theirs.used:.2f}x |"
        )
    lines += [
        "",
        f"The kind marker {{{NAME}}}:kind takes {marker} bytes per collection, whatever its size.",
    ]
    return lines


# --- 3. take/claim cost vs N ------------------------------------------------------


@dataclass
class Cost:
    wall: float = 0.0
    cpu: float = 0.0


def _rotate(
    timed: Callable[[], list[str]], readd: Callable[[list[str], float], None], batches: int
) -> Cost:
    """``batches`` timed calls of ``timed``; each one's items re-added (untimed) at the tail."""
    cost = Cost()
    for _ in range(batches):
        wall, cpu = time.perf_counter(), time.process_time()
        items = timed()
        cost.wall += time.perf_counter() - wall
        cost.cpu += time.process_time() - cpu
        assert len(items) == BATCH, f"took {len(items)} items, not {BATCH}"
        readd(items, time.time())
    return cost


def cost(sizes: list[int], batches: int, rounds: int) -> list[str]:
    progress(f"take/claim cost: sizes {sizes}, {rounds} round(s) of {batches} batches of {BATCH}")
    ts_name, raw_name = "scale:typedset", "scale:raw"
    raw_leases = f"{{{raw_name}}}:raw-leases"
    results: dict[tuple[int, str, str], list[Cost]] = {}
    with PrivateServer() as server:
        progress(f"  server: {server.binary} ({server.url})")
        client = server.client()
        s = SortedSet(client, ts_name)
        raw_claim = client.register_script(CLAIM_LUA)
        pipe = client.pipeline(transaction=False)

        def ts_take() -> list[str]:
            return s.take(BATCH)

        def ts_claim() -> list[str]:
            leases: list[Lease[str]] = s.claim(BATCH, ttl=TTL)
            s.ack_many(leases)
            return [lease.item for lease in leases]

        def raw_take() -> list[str]:
            return [member.decode() for member, _ in cast(Popped, client.zpopmin(raw_name, BATCH))]

        def raw_claim_ack() -> list[str]:
            found = cast(
                list[bytes], raw_claim(keys=[raw_name, raw_leases], args=[BATCH, time.time() + TTL])
            )
            client.zrem(raw_leases, *found)
            return [member.decode() for member in found]

        def ts_readd(items: list[str], score: float) -> None:
            s.update_scored((item, score) for item in items)

        def raw_readd(items: list[str], score: float) -> None:
            client.zadd(raw_name, dict.fromkeys(items, score))

        bodies = {
            ("take(100)", "typedset"): (ts_take, ts_readd),
            ("take(100)", "raw"): (raw_take, raw_readd),
            ("claim(100)+ack_many", "typedset"): (ts_claim, ts_readd),
            ("claim(100)+ack_many", "raw"): (raw_claim_ack, raw_readd),
        }
        filled = 0
        for size in sizes:
            # grow both to ``size`` items, scored below every re-add (those use the clock)
            for start in range(filled, size, CHUNK):
                chunk = [f"item-{i:07}" for i in range(start, min(start + CHUNK, size))]
                pipe.zadd(ts_name, dict.fromkeys(chunk, start))
                pipe.zadd(raw_name, dict.fromkeys(chunk, start))
                pipe.execute()
            filled = size
            assert client.zcard(ts_name) == client.zcard(raw_name) == size
            for timed, readd in bodies.values():  # warm-up: scripts, kind check
                _rotate(timed, readd, 1)
            for round_ in range(rounds):
                for op in ("take(100)", "claim(100)+ack_many"):
                    sides = SIDES if round_ % 2 == 0 else tuple(reversed(SIDES))
                    for side in sides:
                        timed, readd = bodies[op, side]
                        results.setdefault((size, op, side), []).append(
                            _rotate(timed, readd, batches)
                        )
                    per_item = {
                        side: results[size, op, side][-1].wall / (batches * BATCH) * 1e6
                        for side in SIDES
                    }
                    progress(
                        f"  N={size:>9,}: round {round_ + 1}/{rounds}: {op:<20} typedset "
                        f"{per_item['typedset']:.2f} us/item, raw {per_item['raw']:.2f} us/item"
                    )
        client.close()
    return _cost_report(results, sizes, batches)


def _cost_report(
    results: dict[tuple[int, str, str], list[Cost]], sizes: list[int], batches: int
) -> list[str]:
    items = batches * BATCH

    def us(size: int, op: str, side: str, field: str) -> float:
        seconds: list[float] = [getattr(c, field) for c in results[size, op, side]]
        return statistics.median(seconds) / items * 1e6

    lines = [
        "take/claim cost vs items in the collection (microseconds per item; medians of the "
        "rounds; client CPU in brackets)",
        "",
        "| N | take(100) typedset | take(100) raw | claim(100)+ack_many typedset "
        "| claim(100)+ack_many raw |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        cells = [
            f"{us(size, op, side, 'wall'):.2f} ({us(size, op, side, 'cpu'):.2f})"
            for op in ("take(100)", "claim(100)+ack_many")
            for side in SIDES
        ]
        lines.append(f"| {size:,} | {' | '.join(cells)} |")
    first, last = sizes[0], sizes[-1]
    growth = [
        f"{us(last, op, side, 'wall') / us(first, op, side, 'wall'):.2f}x"
        for op in ("take(100)", "claim(100)+ack_many")
        for side in SIDES
    ]
    lines.append(f"| {last:,} / {first:,} | {' | '.join(growth)} |")
    return lines


# --- main -------------------------------------------------------------------------


def _server_version() -> str:
    with PrivateServer() as server:
        client = server.client()
        info = client.info("server")
        client.close()
        name = "Valkey" if "valkey_version" in info else "Redis"
        return f"{name} {info.get('valkey_version', info['redis_version'])} ({server.binary})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a sub-minute smoke run")
    parser.add_argument("--items", type=int, help="items per memory measurement (1,000,000)")
    parser.add_argument("--rounds", type=int, help="rounds of throughput and cost (5)")
    parser.add_argument("--duration", type=float, help="seconds per throughput run (3)")
    parser.add_argument("--batches", type=int, help="timed batches per cost round (100)")
    parser.add_argument("--max-size", type=int, help="largest N of the cost table, 10^x (6)")
    parser.add_argument(
        "--only", nargs="+", choices=("throughput", "memory", "cost"), help="run only these"
    )
    args = parser.parse_args()
    quick = args.quick

    def pick(given: Any, full: Any, smoke: Any) -> Any:
        return given if given is not None else smoke if quick else full

    items: int = pick(args.items, 1_000_000, 20_000)
    rounds: int = pick(args.rounds, 5, 1)
    duration: float = pick(args.duration, 3.0, 1.0)
    batches: int = pick(args.batches, 100, 20)
    max_size: int = pick(args.max_size, 6, 5)
    only = set(args.only or ("throughput", "memory", "cost"))
    machine = (
        f"machine: os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, redis-py {redis.__version__}, "
        f"server {_server_version()}"
    )
    progress(machine)
    began = time.monotonic()
    sections = [machine]
    if "throughput" in only:
        sections.append("\n".join(throughput(rounds, duration)))
    if "memory" in only:
        sections.append("\n".join(memory(items)))
    if "cost" in only:
        sizes = [10**exponent for exponent in range(3, max_size + 1)]
        sections.append("\n".join(cost(sizes, batches, rounds)))
    progress(f"done in {time.monotonic() - began:.0f} s")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
