"""PriorityStream vs the raw redis-py equivalent: same server, same run, interleaved.

The raw side is what a careful hand-written version does: good-redis's
``psadd`` and ``pspull`` scripts with every key passed in ``KEYS`` and no
global registry. typedset does a little more on the server per call (it
reads the clock and ends the cool-downs that are over), which the ratio
includes. Target: at least as fast as the raw side.

    python benchmarks/bench_stream.py [--url redis://...] [--rounds 7]
"""

from __future__ import annotations

import time
from typing import cast

import redis

from harness import Case, main_with
from typedset import PriorityStream

OPS = 5_000
PULLS = 100
BATCH = 100

RAW_ADD = """
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 or redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  return false
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return redis.call('ZINCRBY', KEYS[1], ARGV[3], ARGV[1])
"""

RAW_PULL = """
local out = {}
for _, key in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGET', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZADD', KEYS[3], ARGV[2], key)
end
return out
"""


NAME = "bench:typedset:stream"


def keys_of(name: str) -> list[str]:
    return [name, f"{{{name}}}:values", f"{{{name}}}:cooling", f"{{{name}}}:gated"]


def cases(url: str) -> list[Case]:
    r = redis.Redis.from_url(url)
    s = PriorityStream(r, NAME)
    add, pull = r.register_script(RAW_ADD), r.register_script(RAW_PULL)
    keys = keys_of(NAME)

    def empty() -> None:
        r.delete(*keys)

    def filled() -> None:
        empty()
        s.add_many((f"key-{i:06}", f"value-{i}", float(i % 1000)) for i in range(PULLS * BATCH))

    def ts_add(context: object) -> None:
        for i in range(OPS):
            s.add(f"key-{i:06}", f"value-{i}", 1.0)

    def raw_add(context: object) -> None:
        for i in range(OPS):
            result = add(keys=keys, args=[f"key-{i:06}", f"value-{i}", 1.0])
            None if result is None else float(cast(bytes, result))

    def ts_pull(context: object) -> None:
        for _ in range(PULLS):
            s.pull(BATCH, expire_in=3600)

    def raw_pull(context: object) -> None:
        for _ in range(PULLS):
            # good-redis computes the deadline on the client
            found = cast(list[bytes], pull(keys=keys, args=[BATCH, time.time() + 3600]))
            {found[i].decode(): found[i + 1].decode() for i in range(0, len(found), 2)}

    return [
        Case("stream add", OPS, empty, ts_add, raw_add),
        Case(f"stream pull({BATCH})", PULLS, filled, ts_pull, raw_pull),
    ]


def cleanup(url: str) -> None:
    r = redis.Redis.from_url(url)
    r.delete(*keys_of(NAME))
    r.close()


if __name__ == "__main__":
    main_with(__doc__, cases, cleanup)
