"""typedset's sorted sets vs raw redis-py on the same client: same server, same run, interleaved.

The raw side is what a user would write by hand with the same redis-py
client: ``zadd``, ``zpopmin``, a registered script for the due pop. Each
typedset call is one round trip too, but typedset packs, sends and reads
on the client's pooled connection itself, without redis-py's per-command
wrapper. Targets: single add and pop 1.5x the raw client; batch paths at
least as fast.

The two lease rows time at-least-once consumption: ``claim(1)`` then
``ack`` per item, and ``claim(100)`` then ``ack_many`` per batch (its ops
are batches, as take(100)'s are calls). Their raw side is a lower bound,
not an equivalent: a registered script, one EVALSHA, that does ``ZPOPMIN
pending n`` and ``ZADD leases <client time + ttl> member...``, then one
``ZREM leases member...`` as the ack, so two round trips like typedset's.
(A pipeline cannot send the ZPOPMIN and the ZADD together: the ZADD needs
the members the ZPOPMIN returns; sending them one after the other would
add a round trip and lose the items if the client died in between.) The
raw side has no fencing token (a late ack of an expired lease would remove
a newer lease of the same item), never returns expired leases to pending
and keeps no delivery counts; typedset's claim and ack do all three.

The two "floor" rows put a bare socket in typedset's column: hand-packed
commands, one ``recv`` each, no library at all. Their speed-up is the most
any Python client could gain over redis-py on this machine, since the rest
of each round trip is the server and the kernel.

    python benchmarks/bench_sorted_set.py [--url redis://...] [--rounds 7]

Without --url it starts a private server (unix socket) and stops it afterwards.
"""

from __future__ import annotations

import socket
import time
from typing import cast
from urllib.parse import urlparse

import redis

from harness import Case, main_with
from typedset import Lease, ScheduledSet, SortedSet

OPS = 5_000
UPDATE = 20_000
TAKE_BATCHES = 200
NAME = "bench:typedset"
#: Every key a sorted set named NAME uses (see typedset/_keys.py), and the raw side's leases.
LEASE_KEYS = tuple(f"{{{NAME}}}:{suffix}" for suffix in ("leased", "held", "deliveries", "fence"))
ALL_KEYS = (NAME, *LEASE_KEYS, f"{{{NAME}}}:dead", f"{{{NAME}}}:kind")
RAW_LEASES = f"{{{NAME}}}:raw-leases"
TTL = 30.0

Popped = list[tuple[bytes, float]]

POP_DUE_LUA = """
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
if #found > 0 then redis.call('ZREM', KEYS[1], found[1]) end
return found
"""

#: The raw side of a claim: pop up to ARGV[1] members and lease them in one ZSET until
#: ARGV[2] (the client's clock + ttl). No token, no delivery count, no return of expired leases.
CLAIM_LUA = """
local found = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
if #found == 0 then return {} end
local args, members = {}, {}
for i = 1, #found, 2 do
  args[#args + 1] = ARGV[2]
  args[#args + 1] = found[i]
  members[#members + 1] = found[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
return members
"""


def members(n: int) -> list[str]:
    return [f"item-{i:06}" for i in range(n)]


def cases(url: str) -> list[Case]:
    r = redis.Redis.from_url(url)
    ts, due = SortedSet(r, NAME), ScheduledSet(r, NAME)
    pop_due = r.register_script(POP_DUE_LUA)
    raw_claim = r.register_script(CLAIM_LUA)

    def empty() -> None:
        r.delete(NAME)

    def filled(n: int) -> None:
        r.delete(NAME)
        for start in range(0, n, 5000):
            r.zadd(NAME, dict.fromkeys(members(n)[start : start + 5000], 0))

    def filled_unleased(n: int) -> None:
        r.delete(*LEASE_KEYS, RAW_LEASES)
        filled(n)

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

    def ts_claim_ack(context: object) -> None:
        for _ in range(OPS):
            [lease] = ts.claim(1, ttl=TTL)
            ts.ack(lease)

    def raw_claim_ack(context: object) -> None:
        # One EVALSHA (ZPOPMIN 1 + ZADD leases), then ZREM leases: two round trips, as typedset's.
        for _ in range(OPS):
            [member] = cast(
                list[bytes], raw_claim(keys=[NAME, RAW_LEASES], args=[1, time.time() + TTL])
            )
            member.decode()
            r.zrem(RAW_LEASES, member)

    def ts_claim_ack_many(context: object) -> None:
        for _ in range(TAKE_BATCHES):
            leases: list[Lease[str]] = ts.claim(100, ttl=TTL)
            ts.ack_many(leases)

    def raw_claim_ack_many(context: object) -> None:
        # One EVALSHA (ZPOPMIN 100 + one ZADD of the 100), then one ZREM of the 100.
        for _ in range(TAKE_BATCHES):
            found = cast(
                list[bytes], raw_claim(keys=[NAME, RAW_LEASES], args=[100, time.time() + TTL])
            )
            [member.decode() for member in found]
            r.zrem(RAW_LEASES, *found)

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
        Case("claim(1)+ack", OPS, lambda: filled_unleased(OPS), ts_claim_ack, raw_claim_ack),
        Case(
            "claim(100)+ack_many",
            TAKE_BATCHES,
            lambda: filled_unleased(TAKE_BATCHES * 100),
            ts_claim_ack_many,
            raw_claim_ack_many,
        ),
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
    r.delete(*ALL_KEYS, RAW_LEASES)
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
