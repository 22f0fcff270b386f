"""typedset's sorted sets vs raw redis-py on the same client: same server, same run, interleaved.

The raw side is what a user would write by hand with the same redis-py
client: ``zadd``, ``zpopmin``, a registered script for the due pop. Each
typedset call is one round trip too, but typedset packs, sends and reads
on the client's pooled connection itself, without redis-py's per-command
wrapper. Targets: single add and pop 1.5x the raw client; batch paths at
least as fast.

The two "floor" rows put a bare socket in typedset's column: hand-packed
commands, one ``recv`` each, no library at all. Their speed-up is the most
any Python client could gain over redis-py on this machine, since the rest
of each round trip is the server and the kernel.

    python benchmarks/bench_sorted_set.py [--url redis://...] [--rounds 7]

Without --url it starts a private server (unix socket) and stops it afterwards.
"""

from __future__ import annotations

import socket
from typing import cast
from urllib.parse import urlparse

import redis

from harness import Case, main_with
from typedset import ScheduledSet, SortedSet

OPS = 5_000
UPDATE = 20_000
TAKE_BATCHES = 200
NAME = "bench:typedset"

Popped = list[tuple[bytes, float]]

POP_DUE_LUA = """
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
if #found > 0 then redis.call('ZREM', KEYS[1], found[1]) end
return found
"""


def members(n: int) -> list[str]:
    return [f"item-{i:06}" for i in range(n)]


def cases(url: str) -> list[Case]:
    r = redis.Redis.from_url(url)
    ts, due = SortedSet(r, NAME), ScheduledSet(r, NAME)
    pop_due = r.register_script(POP_DUE_LUA)

    def empty() -> None:
        r.delete(NAME)

    def filled(n: int) -> None:
        r.delete(NAME)
        for start in range(0, n, 5000):
            r.zadd(NAME, dict.fromkeys(members(n)[start : start + 5000], 0))

    def ts_add(context: object) -> None:
        for i, member in enumerate(members(OPS)):
            ts.add(member, i)

    def raw_add(context: object) -> None:
        for i, member in enumerate(members(OPS)):
            r.zadd(NAME, {member.encode(): i})

    def ts_pop(context: object) -> None:
        for _ in range(OPS):
            ts.pop()

    def raw_pop(context: object) -> None:
        for _ in range(OPS):
            [(member, _score)] = cast(Popped, r.zpopmin(NAME))
            member.decode()

    def ts_update(context: object) -> None:
        ts.update(members(UPDATE))

    def raw_update(context: object) -> None:
        r.zadd(NAME, {member.encode(): 0 for member in members(UPDATE)})

    def ts_take(context: object) -> None:
        for _ in range(TAKE_BATCHES):
            ts.take(100)

    def raw_take(context: object) -> None:
        for _ in range(TAKE_BATCHES):
            [member.decode() for member, _score in cast(Popped, r.zpopmin(NAME, 100))]

    def ts_due_pop(context: object) -> None:
        for _ in range(OPS):
            due.pop()

    def raw_due_pop(context: object) -> None:
        for _ in range(OPS):
            found = cast(list[bytes], pop_due(keys=[NAME]))
            found[0].decode()

    bare = _bare_socket(url)

    def floor_add(context: object) -> None:
        for i, member in enumerate(members(OPS)):
            score, data = b"%d" % i, member.encode()
            bare.sendall(
                b"*4\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                % (len(NAME), NAME.encode(), len(score), score, len(data), data)
            )
            bare.recv(1 << 16)

    def floor_pop(context: object) -> None:
        command = b"*2\r\n$7\r\nZPOPMIN\r\n$%d\r\n%s\r\n" % (len(NAME), NAME.encode())
        for _ in range(OPS):
            bare.sendall(command)
            bare.recv(1 << 16)

    return [
        Case("add", OPS, empty, ts_add, raw_add, target=1.5),
        Case("pop", OPS, lambda: filled(OPS), ts_pop, raw_pop, target=1.5),
        Case(f"update {UPDATE:,}", 1, empty, ts_update, raw_update),
        Case("take(100)", TAKE_BATCHES, lambda: filled(TAKE_BATCHES * 100), ts_take, raw_take),
        Case("ScheduledSet due pop", OPS, lambda: filled(OPS), ts_due_pop, raw_due_pop),
        Case("floor: bare socket add", OPS, empty, floor_add, raw_add, target=0.0),
        Case("floor: bare socket pop", OPS, lambda: filled(OPS), floor_pop, raw_pop, target=0.0),
    ]


def _bare_socket(url: str) -> socket.socket:
    """A socket to the server with no client library on it (RESP2 by default)."""
    parsed = urlparse(url)
    if parsed.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(parsed.path)
        return sock
    return socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379))


def cleanup(url: str) -> None:
    r = redis.Redis.from_url(url)
    r.delete(NAME)
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
