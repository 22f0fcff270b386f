"""ExpiringSet and unique-until-done vs a hand-written raw equivalent: same server, same run.

The raw sides are what a careful user would write with redis-py for the
same guarantee, one registered script per call (a check then a write needs
one to be atomic):

* seen-set add: ``TIME``, ``ZSCORE`` to see whether the member is present
  and unexpired, ``ZADD`` of its deadline and ``PEXPIREAT`` of the key. It
  prunes nothing and keeps no kind marker; typedset's add also drops up to
  a few expired members and keeps the marker's expiry with the set's.
* seen-set ``in``: one ``ZSCORE``, compared with the client's clock.
  typedset's ``in`` is a script on the server's clock.
* unique add: ``ZSCORE`` of the pending set, ``HGET`` of the leases,
  ``ZSCORE`` of the done set against the window, then ``ZADD``. typedset's
  add also returns expired leases to pending and trims old done records.

Target: at least 0.8 of the raw side (typedset does more per call).

    python benchmarks/bench_new_kinds.py [--url redis://...] [--rounds 7]

Without --url it starts a private server (unix socket) and stops it afterwards.
"""

from __future__ import annotations

import time

import redis

from harness import Case, main_with
from typedset import ExpiringSet, SortedSet

OPS = 5_000
SEEN = "bench:typedset:seen"
UNIQUE = "bench:typedset:unique"
TTL = 3600.0
WINDOW = 3600.0

RAW_SEEN_ADD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if deadline and tonumber(deadline) > now then return 0 end
local until_ = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], until_, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], until_, 'GT')
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIREAT', KEYS[1], until_) end
return 1
"""

RAW_UNIQUE_ADD = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[1]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local done = redis.call('ZSCORE', KEYS[3], ARGV[1])
if done and tonumber(done) > now - tonumber(ARGV[2]) then return 0 end
return redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[1])
"""


def _keys(name: str) -> list[str]:
    suffixes = ("kind", "dead", "leased", "held", "deliveries", "fence", "done", "periodic")
    return [name, *(f"{{{name}}}:{suffix}" for suffix in suffixes)]


def cases(url: str) -> list[Case]:
    r = redis.Redis.from_url(url)
    seen = ExpiringSet(r, SEEN, ttl=TTL)
    unique = SortedSet(r, UNIQUE, unique_for=WINDOW)
    seen_add = r.register_script(RAW_SEEN_ADD)
    unique_add = r.register_script(RAW_UNIQUE_ADD)
    raw_seen, raw_unique = f"{SEEN}:raw", f"{UNIQUE}:raw"
    raw_unique_keys = [raw_unique, f"{{{raw_unique}}}:held", f"{{{raw_unique}}}:done"]

    def empty() -> None:
        r.delete(*_keys(SEEN), *_keys(UNIQUE), raw_seen, *raw_unique_keys)

    def filled() -> None:
        empty()
        seen.update(f"url-{i}" for i in range(OPS))
        seen_add_all()

    def seen_add_all() -> None:
        with r.pipeline(transaction=False) as pipe:
            for i in range(OPS):
                seen_add(keys=[raw_seen], args=[f"url-{i}", int(TTL * 1000)], client=pipe)
            pipe.execute()

    def ts_seen_add(context: object) -> None:
        for i in range(OPS):
            seen.add(f"url-{i}")

    def raw_seen_add(context: object) -> None:
        for i in range(OPS):
            bool(seen_add(keys=[raw_seen], args=[f"url-{i}", int(TTL * 1000)]))

    def ts_seen_in(context: object) -> None:
        for i in range(OPS):
            _ = f"url-{i}" in seen

    def raw_seen_in(context: object) -> None:
        for i in range(OPS):
            deadline = r.zscore(raw_seen, f"url-{i}")
            _ = deadline is not None and deadline > time.time() * 1000

    def ts_unique_add(context: object) -> None:
        for i in range(OPS):
            unique.add(f"job-{i}")

    def raw_unique_add(context: object) -> None:
        for i in range(OPS):
            bool(unique_add(keys=raw_unique_keys, args=[f"job-{i}", WINDOW]))

    return [
        Case("ExpiringSet.add (new)", OPS, empty, ts_seen_add, raw_seen_add, target=0.8),
        Case("x in ExpiringSet", OPS, filled, ts_seen_in, raw_seen_in, target=0.8),
        Case("unique_for add (new)", OPS, empty, ts_unique_add, raw_unique_add, target=0.8),
    ]


def cleanup(url: str) -> None:
    r = redis.Redis.from_url(url)
    raw = f"{UNIQUE}:raw"
    r.delete(*_keys(SEEN), *_keys(UNIQUE), f"{SEEN}:raw", raw, f"{{{raw}}}:held", f"{{{raw}}}:done")
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
