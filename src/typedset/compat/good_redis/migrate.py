"""Convert a good-redis prioritized stream's keys into a :class:`~typedset.PriorityStream`.

good-redis keeps a stream ``NAME`` in ``NAME:s`` (ZSET key -> priority),
``NAME:t`` (HASH key -> value), ``NAME:exc`` (SET of gated keys),
``NAME:exp`` (ZSET key -> end of cool-down, Unix seconds on the clock of the
client that pulled) and lists ``NAME`` in the SETs ``:ps:keys`` (and
``:ps:decay``, for its asyncio client's ``with_decay``). A
``PriorityStream`` of the same name keeps its own keys (``NAME`` and
``{NAME}:...``; see :func:`typedset._keys.stream_keys`), so the two never
overlap and the shim (:mod:`typedset.compat.good_redis`) reads the stream
once it is moved.

Theory of operation: keys move in chunks, each by one script
(``lua/good_redis_migrate.lua``) that takes a key's value, priority, gate
and cool-down out of good-redis's keys and puts them into typedset's
atomically. A crash, a lost reply or an interrupt between chunks leaves
every key in exactly one layout; running the migration again moves what is
left, and a chunk sent twice finds its keys gone and moves nothing: no item
is lost or doubled; that also makes a chunk safe to send again after a
connection error (redis-py's own retries may). A marker key
``NAME:typedset-migration`` (good-redis's side, holding the target's
name) says a migration is under way, so a
re-run may write into the stream it already started to fill; without it a
stream that holds anything is refused unless ``merge=True``.

What moves, and how:

* values are copied as the bytes good-redis stored (redis-py's encoding of
  the ``str``/``bytes``/number it was given): read them with
  :class:`~typedset.BytesCodec` (the shim does), with the default
  :class:`~typedset.StrCodec` if they are text, or with the codec that
  matches what the producers wrote; a value the codec cannot decode goes to
  the stream's dead letters when pulled, never lost;
* priorities as they are (good-redis's ``pspull(purge=False)`` left -1); a
  value without a priority (never pulled by good-redis) gets 0; a priority
  without a value (``psincrement`` of an absent key; ``pspull`` drops it) is
  dropped and counted;
* gates as they are; cool-downs keep their end time, read as Unix seconds on
  the server's clock (a skew between good-redis's clients and the server
  shifts them by that skew). A cool-down already over ends at the stream's
  next operation, with the item ``pspull(purge=False)`` kept until then, as
  good-redis's ``psexpire`` would have removed it;
* with ``merge=True``, a key the stream already holds keeps one value (the
  good-redis one) and the sum of both priorities, as a re-add would; gates
  join, and the later cool-down wins, except on a key where either side
  holds a waiting item (one not cooling down): a cool-down there is lifted
  (counted in ``lifted``), since the stream removes a cooling key's item
  when the cool-down ends and that item was never handed out.

good-redis runs on one server (its scripts touch undeclared keys), so the
migration takes a standalone client. Stop good-redis's writers first: what
they add meanwhile is moved too (the migration goes over the keys until
they are empty), but one that keeps adding keeps it from finishing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import redis
from redis.client import NEVER_DECODE

from ..._keys import STREAM_KIND, stream_keys
from ..._scripts import load
from ...errors import NameClashError

__all__ = ["MigrationError", "MigrationReport", "good_redis_keys", "marker_key", "migrate"]

MIGRATE = load("good_redis_migrate")
#: good-redis's SETs of stream names (``:ps:decay``: its asyncio client's ``with_decay``).
REGISTRIES = (":ps:keys", ":ps:decay")
#: Passes over good-redis's keys before the migration gives up on writers still adding.
PASSES = 5


class MigrationError(Exception):
    """The migration refused to start or could not finish; nothing it had not moved was touched."""


@dataclass
class MigrationReport:
    """What a migration moved: every item of the good-redis stream is counted once.

    ``items`` values moved (``unprioritised`` of them without a priority,
    given 0; ``merged`` into a key the stream held), ``phantoms``
    priorities without a value (dropped), ``gates`` and ``cool_downs`` moved,
    ``lifted`` cool-downs of either side lifted from a key holding a waiting
    item (only when merging), ``cool_downs_over`` of the stream's cool-downs
    already ended at the end (their kept items go at its next operation),
    ``chunks`` scripts run, ``resumed`` whether an earlier, interrupted run had started it, and
    ``stream_items`` the items the stream holds at the end.
    """

    name: str
    target: str
    items: int = 0
    unprioritised: int = 0
    merged: int = 0
    phantoms: int = 0
    gates: int = 0
    cool_downs: int = 0
    lifted: int = 0
    cool_downs_over: int = 0
    chunks: int = 0
    resumed: bool = False
    stream_items: int = 0

    def add(self, counts: Sequence[int]) -> None:
        """Count one chunk's reply (``lua/good_redis_migrate.lua``). No I/O."""
        items, unprioritised, merged, phantoms, gates, cool_downs, lifted = counts
        self.items += items
        self.unprioritised += unprioritised
        self.merged += merged
        self.phantoms += phantoms
        self.gates += gates
        self.cool_downs += cool_downs
        self.lifted += lifted
        self.chunks += 1

    def as_dict(self) -> dict[str, Any]:
        """The counts as a ``dict`` (``--json``). No I/O."""
        return asdict(self)


def good_redis_keys(name: str) -> tuple[str, str, str, str]:
    """good-redis's keys of the stream ``name``: priorities, values, gated, cool-downs."""
    return f"{name}:s", f"{name}:t", f"{name}:exc", f"{name}:exp"


def marker_key(name: str) -> str:
    """The key that says a migration of ``name`` is under way (it holds the target's name)."""
    return f"{name}:typedset-migration"


def migrate(
    client: redis.Redis,
    name: str,
    *,
    target: str | None = None,
    merge: bool = False,
    chunk: int = 500,
    progress: Callable[[MigrationReport], None] | None = None,
) -> MigrationReport:
    """Move the good-redis stream ``name`` into the ``PriorityStream`` ``target`` (``name``).

    Refused (:class:`MigrationError`, nothing written) when there is no such
    good-redis stream, when ``target``'s keys would be good-redis's, when
    ``target`` is another kind's (:class:`~typedset.NameClashError`) or holds
    anything and ``merge`` is false, unless an interrupted migration into ``target`` is resumed.
    ``progress`` is called with the running counts after each chunk.

    One round trip to read each chunk and one script to move it (atomic),
    ``chunk`` keys at a time; O(N log N) for N keys, in all.
    """
    if hasattr(client, "nodes_manager"):
        raise MigrationError("good-redis streams live on one server: give a standalone client")
    if isinstance(chunk, bool) or not isinstance(cast(object, chunk), int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, not {chunk!r}")
    target = name if target is None else target
    keys = stream_keys(target)
    good_redis = {*good_redis_keys(name), marker_key(name), *REGISTRIES}
    if shared := sorted(good_redis & {*keys.script_keys, keys.kind, keys.dead}):
        # the script would write the stream's items into good-redis's keys, then remove them
        raise MigrationError(
            f"the stream {target!r} would keep its items in {', '.join(shared)}, a key of the "
            f"good-redis stream {name!r}: choose another target (--to)"
        )
    report = MigrationReport(name, target)
    report.resumed = _check_start(client, name, target, merge)
    move = client.register_script(MIGRATE.source)
    script_keys = [*good_redis_keys(name), *keys.script_keys, keys.kind]
    for _ in range(PASSES):
        for batch in _batches(client, name, chunk):
            report.add(_counts(move(keys=script_keys, args=[STREAM_KIND, *batch])))
            if progress is not None:
                progress(report)
        if not client.exists(*good_redis_keys(name)):
            break
    else:
        raise MigrationError(
            f"{name!r} is still being written to after {PASSES} passes: stop good-redis's "
            "writers and run the migration again (what it moved stays moved)"
        )
    for registry in REGISTRIES:
        client.srem(registry, name)
    client.delete(marker_key(name))
    now = client.time()  # pyright: ignore[reportUnknownMemberType]  (redis-py: **kwargs untyped)
    report.cool_downs_over = int(client.zcount(keys.cooling, "-inf", f"{now[0]}.{now[1]:06d}"))
    report.stream_items = int(client.zcard(keys.priorities))
    return report


def _check_start(client: redis.Redis, name: str, target: str, merge: bool) -> bool:
    """Refuse what must not start; mark the migration under way. Whether it resumes one."""
    keys = stream_keys(target)
    kind = client.get(keys.kind)
    if kind is not None and _text(kind) != STREAM_KIND:
        raise NameClashError(target, _text(kind), STREAM_KIND)
    if client.get(marker_key(name)) is not None:
        return _join(client, name, target)
    if not client.exists(*good_redis_keys(name)):
        raise MigrationError(
            f"no good-redis stream {name!r} here (none of {name}:s, :t, :exc, :exp)"
        )
    if client.exists(*keys.script_keys) and not merge:
        raise MigrationError(
            f"the stream {target!r} already holds items, gates or cool-downs: "
            "merge into it (--merge), or choose another target (--to)"
        )
    # NX: of two runs started together, into two targets, one must not overwrite the other's
    # marker and split the stream between them
    if not client.set(marker_key(name), target, nx=True):
        return _join(client, name, target)
    return False


def _join(client: redis.Redis, name: str, target: str) -> bool:
    """Resume the migration under way, if into ``target``; :class:`MigrationError` else."""
    under_way = client.get(marker_key(name))
    if under_way is not None and _text(under_way) != target:
        raise MigrationError(
            f"a migration of {name!r} into {_text(under_way)!r} is under way: "
            f"finish it (target {_text(under_way)!r}) first"
        )
    return True


def _batches(client: redis.Redis, name: str, chunk: int) -> Iterator[list[Any]]:
    """The keys of good-redis's stream, ``chunk`` at a time, while the chunks move them.

    Keys with a priority first, then values, gates and cool-downs left over.
    A key listed twice (a scan may repeat one) moves once: it is gone the second time.
    """
    priorities, values, gated, cooling = good_redis_keys(name)
    for ranked in (priorities, cooling):
        while batch := list(_raw_reply(client, "ZRANGE", ranked, 0, chunk - 1)):
            yield batch
        if ranked == priorities:
            yield from _scanned(
                lambda cursor: _raw_reply(client, "HSCAN", values, cursor, "COUNT", chunk)
            )
            yield from _scanned(
                lambda cursor: _raw_reply(client, "SSCAN", gated, cursor, "COUNT", chunk)
            )


def _raw_reply(client: redis.Redis, *command: str | int) -> Any:
    """``command``'s reply with its keys as the stored bytes, even from a ``decode_responses``
    client: a key that is not UTF-8 moves too (the stream keeps it; its item goes to the dead
    letters when read)."""
    execute: Callable[..., Any] = client.execute_command  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return execute(*command, **{NEVER_DECODE: True})


def _scanned(scan: Callable[[int], Any]) -> Iterator[list[Any]]:
    cursor = 0
    while True:
        cursor, found = scan(cursor)
        if found:
            yield list(found)
        if int(cursor) == 0:
            return


def _counts(reply: Any) -> list[int]:
    return [int(count) for count in reply]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
