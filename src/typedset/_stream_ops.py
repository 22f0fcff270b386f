"""Operations of ``PriorityStream``, as calls and flows (see ``_ops.py``).

Every operation that reads and then writes is one script in ``lua/stream_*.lua``.
Each of those scripts first ends the cool-downs that are over (with the
items ``pull(purge=False)`` kept until then), using the server's clock, so
correctness never depends on anyone calling ``expire()``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Generic, TypeVar, cast

from . import _scripts as scripts
from ._keys import stream_keys
from ._ops import (
    PAGE_SIZE,
    Call,
    Flow,
    as_array,
    as_bytes,
    as_float_or_none,
    as_int,
    as_text,
    check_codec,
    check_count,
    check_finite,
    check_score,
    encode,
    format_score,
    hash_entries,
    ignore,
    run,
    script_call,
)
from ._scripts import Script
from .errors import DecodeError
from .protocols import Arg, Serializer

__all__ = ["StreamCursor", "StreamOps"]

V = TypeVar("V")
R = TypeVar("R")
log = logging.getLogger("typedset")

#: Where an iteration stands: (priority text, key bytes) of the last key yielded.
StreamCursor = tuple[str, bytes]


def check_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"stream keys must be str, not {type(key).__name__}")
    return key


def _flag(value: bool) -> str:
    return "1" if value else "0"


class StreamOps(Generic[V]):
    """Builds every priority-stream operation for one stream."""

    def __init__(self, name: str, codec: Serializer[V], decay: float) -> None:
        check_codec(codec)
        decay = check_finite(decay, "decay")
        if decay < 0:
            raise ValueError(f"decay must be >= 0, not {decay!r}")
        self.keys = stream_keys(name)
        self.codec = codec
        self.decay = decay

    def _script(
        self, op: str, script: Script, args: tuple[Arg, ...], parse: Callable[[object], R]
    ) -> Call[R]:
        return script_call(op, script, self.keys.script_keys, args, parse)

    def decode(self, key: str, raw: bytes) -> V:
        try:
            return self.codec.loads(raw)
        except Exception as exc:
            raise DecodeError(raw, f"{key!r}: {type(exc).__name__}: {exc}") from exc

    # --- writes ---------------------------------------------------------------

    def add_many(
        self, items: Iterable[tuple[str, V, float]], readd: bool
    ) -> Call[list[float | None]]:
        args = self._add_args(items, readd)
        return self._script("add_many", scripts.STREAM_ADD, args, _new_priorities)

    def add(self, key: str, value: V, score: float, readd: bool) -> Call[float | None]:
        args = self._add_args([(key, value, score)], readd)
        return self._script("add", scripts.STREAM_ADD, args, _first_priority)

    def _add_args(self, items: Iterable[tuple[str, V, float]], readd: bool) -> tuple[Arg, ...]:
        """Everything is checked and encoded before anything is sent."""
        args: list[Arg] = [_flag(readd)]
        for entry in items:
            given = cast(object, entry)  # a caller without type checking may pass anything
            if not isinstance(given, tuple) or len(cast("tuple[object, ...]", given)) != 3:
                raise TypeError(f"add_many takes (key, value, score) tuples, not {entry!r}")
            key, value, score = entry
            args += [check_key(key), encode(self.codec, value), _priority_text(score, "score")]
        return tuple(args)

    def increment(self, key: str, by: float) -> Call[float]:
        def parse(reply: object) -> float:
            if reply is None:
                raise KeyError(key)
            return float(as_text(reply))

        args = (check_key(key), _priority_text(by, "by"))
        return self._script("increment", scripts.STREAM_INCREMENT, args, parse)

    def decrement_all(self, by: float) -> Call[int]:
        args = (_priority_text(-by, "by"),)
        return self._script("decrement_all", scripts.STREAM_DECREMENT_ALL, args, as_int)

    def delete_below(self, threshold: float, gate: bool) -> Call[list[str]]:
        args = (_priority_text(threshold, "threshold"), _flag(gate))
        return self._script("delete_below", scripts.STREAM_DELETE_BELOW, args, _keys)

    def clear(self) -> Call[None]:
        return Call("clear", ("DEL", *self.keys.script_keys), ignore)

    def expire(self) -> Call[int]:
        return self._script("expire", scripts.STREAM_EXPIRE, (), as_int)

    # --- pulling ---------------------------------------------------------------

    def pull(
        self,
        count: int,
        purge: bool,
        gate: bool,
        expire_in: timedelta | float,
        expire_at: datetime | None,
    ) -> Flow[dict[str, V]]:
        count = check_count(count, "count")
        if count < 1:
            raise ValueError(f"count must be >= 1, not {count}")
        when = _cool_down(expire_in, expire_at)
        args = (count, _flag(purge), _flag(gate), format_score(-self.decay), *when)
        found = yield from run(self._script("pull", scripts.STREAM_PULL, args, _key_values))
        pulled: dict[str, V] = {}
        bad: list[Arg] = []
        for raw_key, raw in found:
            try:
                key = _key_text(raw_key)
                pulled[key] = self.decode(key, raw)
            except DecodeError as exc:
                log.warning(
                    "typedset: %s: %s; kept in %s", self.keys.priorities, exc, self.keys.dead
                )
                bad += [raw_key, raw]
        if bad:
            # The value has left the stream (or will, when its cool-down ends): keep it.
            yield from run(Call("keep_dead_letters", ("HSET", self.keys.dead, *bad), ignore))
        return pulled

    # --- reads ---------------------------------------------------------------

    def get(self, key: object) -> Flow[V]:
        """The value of ``key``; ``KeyError`` if it holds no item (or is not a ``str``)."""
        if not isinstance(key, str):
            raise KeyError(key)
        call = self._script("get", scripts.STREAM_LOOKUP, (key,), _lookup_reply)
        value, _ = yield from run(call)
        if value is None:
            raise KeyError(key)
        return self.decode(key, value)

    def priority(self, key: str) -> Call[float | None]:
        args = (check_key(key),)
        return self._script("priority", scripts.STREAM_LOOKUP, args, _lookup_priority)

    def contains(self, key: object) -> Flow[bool]:
        if not isinstance(key, str):
            return False  # no str, no item: nothing to ask the server
        call = self._script("contains", scripts.STREAM_LOOKUP, (key,), _lookup_reply)
        value, _ = yield from run(call)
        return value is not None

    def size(self) -> Call[int]:
        return self._script("size", scripts.STREAM_SIZE, (), as_int)

    def page(
        self, cursor: StreamCursor | None, with_values: bool
    ) -> Flow[tuple[list[tuple[str, V | None]], StreamCursor | None]]:
        """One page in priority order after ``cursor``; the next cursor is ``None`` at the end.

        Values come back only ``with_values``; one that cannot be decoded is
        logged and its item skipped.
        """
        after = ("", "") if cursor is None else cursor
        args = (PAGE_SIZE, *after, _flag(with_values))
        found = yield from run(self._script("iterate", scripts.STREAM_PAGE, args, _triples))
        entries: list[tuple[str, V | None]] = []
        for raw_key, _, raw in found:
            try:
                key = _key_text(raw_key)
                entries.append((key, None if raw is None else self.decode(key, raw)))
            except DecodeError as exc:
                log.warning("typedset: %s: skipped while iterating: %s", self.keys.priorities, exc)
        if len(found) < PAGE_SIZE:
            return entries, None
        last_key, last_priority, _ = found[-1]
        return entries, (last_priority, last_key)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> Call[dict[str, bytes]]:
        return Call("dead_letters", ("HGETALL", self.keys.dead), _dead_letters)

    def clear_dead_letters(self) -> Call[int]:
        return Call("clear_dead_letters", ("DEL", self.keys.dead), as_int)


def _priority_text(value: object, what: str) -> str:
    return format_score(check_finite(value, what))


def _cool_down(expire_in: timedelta | float, expire_at: datetime | None) -> tuple[str, str]:
    """``("at", unix time)`` or ``("in", seconds)`` for stream_pull.lua."""
    if expire_at is not None:
        if not isinstance(cast(object, expire_at), datetime):  # an untyped caller's
            raise TypeError(f"expire_at must be a datetime, not {type(expire_at).__name__}")
        if expire_at.tzinfo is None:
            raise ValueError("expire_at must be timezone-aware (naive times are ambiguous)")
        return "at", format_score(expire_at.timestamp())
    seconds = (
        expire_in.total_seconds()
        if isinstance(expire_in, timedelta)
        else check_score(expire_in, "expire_in")
    )
    if seconds < 0 or math.isinf(seconds):
        raise ValueError(f"expire_in must be >= 0 and finite, not {expire_in!r}")
    return "in", format_score(seconds)


def _key_text(raw: bytes) -> str:
    """A stored key as ``str``; ``DecodeError`` (with the raw bytes) when it is not UTF-8."""
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise DecodeError(raw, f"the key is not UTF-8: {exc}") from exc


def _lenient_text(value: object) -> str:
    """A stored key as ``str``, never failing: bytes that are not UTF-8 are kept as
    surrogates (``.encode("utf-8", "surrogateescape")`` gives them back)."""
    return as_bytes(value).decode("utf-8", "surrogateescape")


def _new_priorities(reply: object) -> list[float | None]:
    return [as_float_or_none(priority) for priority in as_array(reply)]


def _first_priority(reply: object) -> float | None:
    return _new_priorities(reply)[0]


def _keys(reply: object) -> list[str]:
    return [_lenient_text(key) for key in as_array(reply)]


def _key_values(reply: object) -> list[tuple[bytes, bytes]]:
    items = as_array(reply)
    return [(as_bytes(items[i]), as_bytes(items[i + 1])) for i in range(0, len(items), 2)]


def _triples(reply: object) -> list[tuple[bytes, str, bytes | None]]:
    items = as_array(reply)
    return [
        (
            as_bytes(items[i]),
            as_text(items[i + 1]),
            None if items[i + 2] is None else as_bytes(items[i + 2]),
        )
        for i in range(0, len(items), 3)
    ]


def _lookup_reply(reply: object) -> tuple[bytes | None, float | None]:
    value, priority = as_array(reply)
    return (None if value is None else as_bytes(value)), as_float_or_none(priority)


def _lookup_priority(reply: object) -> float | None:
    return _lookup_reply(reply)[1]


def _dead_letters(reply: object) -> dict[str, bytes]:
    return {_lenient_text(key): as_bytes(value) for key, value in hash_entries(reply)}
