"""typedset vs raw redis-py: same server, same payload, same run, interleaved.

Each case runs in rounds. Every round times typedset and the hand-written
redis-py equivalent back to back, alternating which goes first. The report
gives ops/s for each and the typedset/raw time ratio (the target is <= 1.25).

    python benchmarks/bench_sorted_set.py [--url redis://...] [--rounds 7]

Without --url it starts a private server (unix socket) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import redis

from typedset import ScheduledSet, SortedSet
from typedset.testing import PrivateServer

OPS = 5_000
UPDATE = 20_000
TAKE_BATCHES = 200

Popped = list[tuple[bytes, float]]

POP_DUE_LUA = """
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
if #found > 0 then redis.call('ZREM', KEYS[1], found[1]) end
return found
"""


@dataclass
class Case:
    """One benchmark: set-up (untimed) and the timed body, for each side."""

    name: str
    ops: int
    setup: Callable[[redis.Redis, str], None]
    typedset: Callable[[redis.Redis, str], None]
    raw: Callable[[redis.Redis, str], None]


def members(n: int) -> list[str]:
    return [f"item-{i:06}" for i in range(n)]


def fill(n: int) -> Callable[[redis.Redis, str], None]:
    def setup(r: redis.Redis, name: str) -> None:
        r.delete(name)
        for start in range(0, n, 5000):
            r.zadd(name, dict.fromkeys(members(n)[start : start + 5000], 0))

    return setup


def empty(r: redis.Redis, name: str) -> None:
    r.delete(name)


def ts_add(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    for i, member in enumerate(members(OPS)):
        s.add(member, i)


def raw_add(r: redis.Redis, name: str) -> None:
    for i, member in enumerate(members(OPS)):
        r.zadd(name, {member.encode(): i})


def ts_update(r: redis.Redis, name: str) -> None:
    SortedSet(r, name).update(members(UPDATE))


def raw_update(r: redis.Redis, name: str) -> None:
    r.zadd(name, {member.encode(): 0 for member in members(UPDATE)})


def ts_pop(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    for _ in range(OPS):
        s.pop()


def raw_pop(r: redis.Redis, name: str) -> None:
    for _ in range(OPS):
        [(member, _score)] = cast(Popped, r.zpopmin(name))
        member.decode()


def ts_take(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    for _ in range(TAKE_BATCHES):
        s.take(100)


def raw_take(r: redis.Redis, name: str) -> None:
    for _ in range(TAKE_BATCHES):
        [member.decode() for member, _score in cast(Popped, r.zpopmin(name, 100))]


def ts_due_pop(r: redis.Redis, name: str) -> None:
    s = ScheduledSet(r, name)
    for _ in range(OPS):
        s.pop()


def raw_due_pop(r: redis.Redis, name: str) -> None:
    pop_due = r.register_script(POP_DUE_LUA)
    for _ in range(OPS):
        found = cast(list[bytes], pop_due(keys=[name]))
        found[0].decode()


CASES = [
    Case("add", OPS, empty, ts_add, raw_add),
    Case(f"update {UPDATE:,}", 1, empty, ts_update, raw_update),
    Case("pop", OPS, fill(OPS), ts_pop, raw_pop),
    Case("take(100)", TAKE_BATCHES, fill(TAKE_BATCHES * 100), ts_take, raw_take),
    Case("ScheduledSet due pop", OPS, fill(OPS), ts_due_pop, raw_due_pop),
]


def timed(body: Callable[[redis.Redis, str], None], r: redis.Redis, name: str) -> float:
    started = time.perf_counter()
    body(r, name)
    return time.perf_counter() - started


def run(r: redis.Redis, rounds: int, cases: list[Case] = CASES) -> Results:
    name = "bench:typedset"
    results = []
    for case in cases:
        # one untimed warm-up per side: opens connections, loads scripts
        for body in (case.typedset, case.raw):
            case.setup(r, name)
            body(r, name)
        ts_times: list[float] = []
        raw_times: list[float] = []
        for round_ in range(rounds):
            order = [(case.typedset, ts_times), (case.raw, raw_times)]
            for body, into in order if round_ % 2 == 0 else reversed(order):
                case.setup(r, name)
                into.append(timed(body, r, name))
        ts, raw = statistics.median(ts_times), statistics.median(raw_times)
        results.append((case.name, case.ops / ts, case.ops / raw, ts / raw))
    r.delete(name, f"{{{name}}}:values", f"{{{name}}}:cooling", f"{{{name}}}:gated")
    return results


def report(results: Results) -> None:
    print(f"{'case':<24}{'typedset ops/s':>16}{'redis-py ops/s':>16}{'ratio':>8}")
    for name, ts, raw, ratio in results:
        flag = "" if ratio <= 1.25 else "  over 1.25x"
        print(f"{name:<24}{ts:>16,.0f}{raw:>16,.0f}{ratio:>8.2f}{flag}")
    print("ratio = typedset time / raw redis-py time (median of rounds; lower is better)")


Results = list[tuple[str, float, float, float]]


def main_with(doc: str | None, bench: Callable[[str, int], Results]) -> None:
    """Parse the command line, run ``bench(url, rounds)`` and print its report."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--url", help="benchmark this server instead of a private one")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.url:
        report(bench(args.url, args.rounds))
        return
    with PrivateServer() as server:
        print(f"server: {server.binary} ({server.url})")
        report(bench(server.url, args.rounds))


def main() -> None:
    main_with(__doc__, lambda url, rounds: run(redis.Redis.from_url(url), rounds))


if __name__ == "__main__":
    main()
