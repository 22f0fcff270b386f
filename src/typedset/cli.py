"""``python -m typedset demo``: producers and consumers sharing a ScheduledSet.

Several producer processes submit jobs, every job twice on purpose (by two
different producers at about the same time); several consumer processes
``take`` them as they fall due. The set deduplicates pending jobs, so each
job must be delivered exactly once. The run ends with a tally and exits
non-zero if any job was delivered twice or not at all.

``typedset migrate-good-redis URL NAME`` converts a good-redis prioritized
stream into a PriorityStream (see :mod:`typedset.compat.good_redis.migrate`):
it prints what it moved and exits 0, or says why it refused and exits 1.

``typedset stats NAME`` prints one collection's ``stats()`` (``--json`` for
scripts), its kind read from the name's marker key; a sorted set's marker
does not say which of the three set kinds it is, so ``--scheduled`` asks
for what is due (exit 0; 1 when the name holds no collection). ``--url``
defaults to ``REDIS_URL``. ``typedset --version`` prints the version.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import time
from collections import Counter
from collections.abc import Sequence
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType

import msgspec

from ._redispy import default_client
from .codecs import MsgspecCodec
from .sorted_set import ScheduledSet

__all__ = ["main"]

NAME = "typedset-demo:jobs"
#: Jobs fall due this long after submission; both copies arrive well within it.
DELAY = 1.0
BATCH = 500


class Job(msgspec.Struct, frozen=True):
    id: int
    payload: str


def _jobs(url: str) -> ScheduledSet[Job]:
    client = default_client(url)
    # "keep": a duplicate submission must not push a job back.
    return ScheduledSet(client, NAME, serializer=MsgspecCodec(Job), on_duplicate="keep")


def produce(url: str, me: int, producers: int, jobs: int, sent: Synchronized[int]) -> None:
    """Submit my share of jobs and, alongside, the next producer's share again."""
    s = _jobs(url)
    share = jobs // producers
    mine = range(me * share, (me + 1) * share if me < producers - 1 else jobs)
    nxt = (me + 1) % producers
    theirs = range(nxt * share, (nxt + 1) * share if nxt < producers - 1 else jobs)
    for start in range(0, max(len(mine), len(theirs)), BATCH):
        ids = [*mine[start : start + BATCH], *theirs[start : start + BATCH]]
        due = time.time() + DELAY
        s.update_scored([(Job(i, f"job {i}"), due) for i in ids])
        with sent.get_lock():
            sent.value += len(ids)


def consume(
    url: str, done: Synchronized[int], produced: EventType, results: Queue[Counter[int]]
) -> None:
    """Take due jobs until producers are done and the set is empty; report what I got."""
    s = _jobs(url)
    got: Counter[int] = Counter()
    while True:
        batch = s.take(100, timeout=0.2)
        got.update(job.id for job in batch)
        with done.get_lock():
            done.value += len(batch)
        if not batch and produced.is_set() and len(s) == 0:
            break
    results.put(got)


def run_demo(url: str, producers: int, consumers: int, jobs: int) -> int:
    ctx = multiprocessing.get_context("spawn")
    sent = ctx.Value("q", 0)
    done = ctx.Value("q", 0)
    produced = ctx.Event()
    results: Queue[Counter[int]] = ctx.Queue()
    s = _jobs(url)
    s.clear()
    print(f"demo: {producers} producers, {consumers} consumers, {jobs} jobs, each submitted twice")
    started = time.monotonic()
    makers = [
        ctx.Process(target=produce, args=(url, p, producers, jobs, sent)) for p in range(producers)
    ]
    takers = [
        ctx.Process(target=consume, args=(url, done, produced, results)) for _ in range(consumers)
    ]
    for process in makers + takers:
        process.start()
    delivered: Counter[int] = Counter()
    reported = 0
    while reported < consumers:
        if not produced.is_set() and not any(p.is_alive() for p in makers):
            produced.set()
        try:
            delivered.update(results.get(timeout=0.5))
            reported += 1
        except queue.Empty:
            if not any(p.is_alive() for p in takers):
                break  # a consumer died without reporting: counted as missing below
            print(f"  submitted {sent.value:>7}  pending {len(s):>7}  consumed {done.value:>7}")
    for process in makers + takers:
        process.join(timeout=10)
    elapsed = time.monotonic() - started
    duplicates = sum(count - 1 for count in delivered.values() if count > 1)
    missing = jobs - len(delivered)
    consumed = sum(delivered.values())
    print(f"produced   {sent.value} submissions")
    print(f"unique     {jobs}")
    print(f"consumed   {consumed}")
    print(f"duplicates delivered {duplicates}")
    print(f"missing    {missing}")
    # Every job waits DELAY seconds before it falls due: time nobody could
    # consume in, so it is not counted against the rate.
    working = max(elapsed - DELAY, 1e-3)
    print(
        f"throughput {consumed / working:,.0f} items/s over {working:.1f} s "
        f"({elapsed:.1f} s in all, {DELAY:.0f} s of it waiting for the first jobs to fall due)"
    )
    s.clear()
    return 0 if duplicates == 0 and missing == 0 else 1


def run_migration(
    url: str, name: str, target: str | None, merge: bool, chunk: int, as_json: bool
) -> int:
    """``typedset migrate-good-redis``: 0 when every key moved, 1 (and why) when refused."""
    from .compat.good_redis.migrate import MigrationError, migrate
    from .errors import NameClashError

    client = default_client(url)
    try:
        report = migrate(client, name, target=target, merge=merge, chunk=chunk)
    except (MigrationError, NameClashError, ValueError) as exc:
        print(f"typedset migrate-good-redis: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    if as_json:
        print(json.dumps(report.as_dict()))
        return 0
    print(
        f"moved {name!r} into the PriorityStream {report.target!r}"
        + (" (resumed)" * report.resumed)
    )
    print(f"  items       {report.items} ({report.merged} merged, {report.unprioritised} given 0)")
    print(f"  gates       {report.gates}")
    print(f"  cool-downs  {report.cool_downs} ({report.cool_downs_over} already over)")
    if report.lifted:
        print(f"  lifted      {report.lifted} cool-downs from keys holding a waiting item")
    print(f"  dropped     {report.phantoms} priorities without a value")
    print(f"  the stream holds {report.stream_items} items")
    return 0


def run_stats(url: str, name: str, scheduled: bool, as_json: bool) -> int:
    """``typedset stats``: 0 and the snapshot, or 1 when ``name`` holds no collection."""
    from . import _keys
    from .codecs import BytesCodec
    from .expiring_set import ExpiringSet
    from .priority_stream import PriorityStream
    from .sorted_set import SortedSet

    client = default_client(url)
    try:
        marker = client.get(_keys.set_keys(name).kind)
        kind = marker.decode() if isinstance(marker, bytes) else marker
        # The values are never decoded: stats() counts, so any codec reads any collection.
        collection: SortedSet[bytes] | PriorityStream[bytes] | ExpiringSet[bytes]
        if kind == _keys.STREAM_KIND:
            collection = PriorityStream(client, name, serializer=BytesCodec())
        elif kind == _keys.EXPIRING_KIND:
            collection = ExpiringSet(client, name, serializer=BytesCodec(), ttl=1)
        elif kind == _keys.SET_KIND:
            codec = BytesCodec()
            if scheduled:
                collection = ScheduledSet(client, name, serializer=codec)
            else:
                collection = SortedSet(client, name, serializer=codec)
        else:
            print(f"typedset: no collection named {name!r} on {url}", file=sys.stderr)
            return 1
        stats = collection.stats()
    finally:
        client.close()
    if as_json:
        print(json.dumps({"name": name, "kind": kind, **msgspec.to_builtins(stats)}))
    else:
        print(f"{name} ({kind})")
        for field, value in msgspec.structs.asdict(stats).items():
            print(f"  {field:<17} {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="typedset", description=__doc__)
    parser.add_argument("--version", action="version", version=f"typedset {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="producers and consumers sharing a ScheduledSet")
    demo.add_argument("--producers", type=int, default=2)
    demo.add_argument("--consumers", type=int, default=4)
    demo.add_argument("--jobs", type=int, default=20_000)
    demo.add_argument(
        "--url", help="use this server instead of starting a private one (keys typedset-demo:*)"
    )
    migrate = commands.add_parser(
        "migrate-good-redis",
        help="convert a good-redis prioritized stream into a PriorityStream, losing no item",
        description="Move the good-redis stream NAME (NAME:s, :t, :exc, :exp) into the "
        "PriorityStream NAME, in atomic chunks: safe to run again after an interruption.",
    )
    migrate.add_argument("url", help="the server, e.g. redis://localhost:6379/0")
    migrate.add_argument("name", help="the good-redis stream's name")
    migrate.add_argument("--to", dest="target", help="the PriorityStream's name (default: NAME)")
    migrate.add_argument(
        "--merge", action="store_true", help="write into a stream that already holds items"
    )
    migrate.add_argument("--chunk", type=int, default=500, help="keys per atomic step")
    migrate.add_argument("--json", action="store_true", help="print the counts as JSON")
    stats = commands.add_parser(
        "stats",
        help="one collection's stats(): backlog, due, leased, dead letters, lag",
        description="Print the stats() of the collection NAME, read in one round trip.",
    )
    stats.add_argument("name", help="the collection's name")
    stats.add_argument("--url", default=os.environ.get("REDIS_URL"), help="default: $REDIS_URL")
    stats.add_argument(
        "--scheduled", action="store_true", help="a ScheduledSet: count only the due items as due"
    )
    stats.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    args = parser.parse_args(argv)
    if args.command == "stats":
        if not args.url:
            parser.error("stats needs --url or REDIS_URL")
        return run_stats(args.url, args.name, args.scheduled, args.json)
    if args.command == "migrate-good-redis":
        if args.chunk < 1:
            parser.error("--chunk must be at least 1")
        return run_migration(args.url, args.name, args.target, args.merge, args.chunk, args.json)
    if args.producers < 1 or args.consumers < 1 or args.jobs < args.producers:
        parser.error("need at least one producer and consumer, and a job per producer")
    if args.url:
        return run_demo(args.url, args.producers, args.consumers, args.jobs)
    from .testing.server import PrivateServer

    with PrivateServer() as server:
        print(f"demo: private server {server.binary} at {server.url}")
        return run_demo(server.url, args.producers, args.consumers, args.jobs)
