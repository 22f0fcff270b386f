"""Operations of ``PriorityStream``, as calls and flows (see ``_ops.py``).

Every operation that reads and then writes is one script in ``lua/stream_*.lua``.
Each of those scripts first ends the cool-downs that are over (with the
items ``pull(purge=False)`` kept until then), using the server's clock, so
correctness never depends on anyone calling ``expire()``.

A value that cannot be decoded (or a stored key that is not UTF-8) is never
dropped: the flow that met it moves it, raw bytes, reason and priority, to
the dead-letter HASH (``stream_quarantine.lua``) and logs it; ``get`` then
raises :class:`DecodeError`, the others skip it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Generic, Literal, TypeVar, cast

import msgspec

from . import _scripts as scripts
from ._keys import stream_keys
from ._ops import (
    PAGE_SIZE,
    Call,
    Flow,
    Sleep,
    as_array,
    as_bytes,
    as_float_or_none,
    as_int,
    as_text,
    check_codec,
    check_count,
    check_finite,
    check_score,
    check_timeout,
    encode,
    format_score,
    hash_entries,
    ignore,
    pairs,
    run,
    script_call,
)
from ._scripts import Script
from ._set_ops import DeadLetter
from ._stats import StreamStats, stream_stats
from .errors import DecodeError
from .protocols import Arg, Serializer

__all__ = ["StreamCursor", "StreamDeadLetter", "StreamOps"]

V = TypeVar("V")
R = TypeVar("R")
log = logging.getLogger("typedset")

#: Where an iteration stands: (priority text, key bytes) of the last key yielded.
StreamCursor = tuple[str, bytes]
#: Shortest and longest sleep between the polls of a waiting ``pull(timeout=)``.
_POLL_MIN = 0.002
_POLL_MAX = 0.05
#: How ``stream_quarantine.lua`` treats an entry (see its header).
_Mode = Literal["taken", "seen", "key"]


class StreamDeadLetter(DeadLetter, frozen=True):
    """A value a priority stream moved to its dead-letter store: a :class:`DeadLetter` with its key.

    ``PriorityStream.dead_letters()`` returns them; ``requeue_dead()`` puts
    them back. A value lands here when it cannot be decoded (``s[key]``,
    ``get``, ``pull``, ``values``, ``items``), or with its key when that key
    is not UTF-8; every such value a key held keeps its own letter (the same
    bytes under the same key are one letter). A plain value: reading its
    fields is no I/O.

    ``key``
        The key that held it (a key that is not UTF-8 keeps its bytes as
        surrogates: ``key.encode("utf-8", "surrogateescape")``).
    ``raw``
        The value's bytes, exactly as stored.
    ``reason``
        Why it was moved: the decoder's error.
    ``score``
        The key's priority when the value was moved (``0.0`` if unknown);
        ``requeue_dead`` restores it.
    ``at``
        When it was moved, in server time (Unix seconds).
    """

    key: str


class _Record(msgspec.Struct):
    reason: str
    priority: str
    at: str


_record_decoder = msgspec.json.Decoder(_Record)


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

    def _load(self, raw: bytes) -> V | DecodeError:
        """The decoded value, or the :class:`DecodeError` that says why it is not one."""
        try:
            return self.codec.loads(raw)
        except Exception as exc:
            error = DecodeError(raw, f"{type(exc).__name__}: {exc}")
            error.__cause__ = exc
            return error

    def _bury(
        self, key: bytes | str, raw: bytes, reason: str, priority: str, mode: _Mode
    ) -> list[Arg]:
        """The ``stream_quarantine.lua`` arguments for one entry, logged as it goes."""
        log.warning(
            "typedset: %s: moving the undecodable value of %r to the dead-letter store %s (%s)",
            self.keys.priorities,
            key if isinstance(key, str) else _lenient_text(key),
            self.keys.dead,
            reason,
        )
        return [key, raw, reason, priority, mode]

    def _quarantine(self, buried: list[Arg]) -> Flow[None]:
        """Move what :meth:`_bury` collected, in one script call (none for nothing)."""
        if buried:
            call = script_call(
                "quarantine",
                scripts.STREAM_QUARANTINE,
                self.keys.dead_letter_keys,
                tuple(buried),
                as_int,
            )
            yield from run(call)

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
        timeout: float | None = None,
    ) -> Flow[dict[str, V]]:
        """Pull up to ``count`` items; with ``timeout``, wait up to that long for the first.

        Undecodable values go to the dead-letter store and are skipped: the
        result is not topped up to ``count``, as ``take`` is not.
        """
        count = check_count(count, "count")
        if count < 1:
            raise ValueError(f"count must be >= 1, not {count}")
        when = _cool_down(expire_in, expire_at)
        wait = check_timeout(timeout)
        deadline = time.monotonic() + (wait or 0.0)
        args = (count, _flag(purge), _flag(gate), format_score(-self.decay), *when)
        call = self._script("pull", scripts.STREAM_PULL, args, _pulled)
        found = yield from run(call)
        if not found and wait:
            found = yield from self._wait_then_pull(call, deadline)
        pulled: dict[str, V] = {}
        buried: list[Arg] = []
        for raw_key, raw, priority in found:
            key, value = _key_text(raw_key), self._load(raw)
            if key is None:
                buried += self._bury(raw_key, raw, _NOT_TEXT, priority, "taken")
            elif isinstance(value, DecodeError):
                buried += self._bury(raw_key, raw, value.reason, priority, "taken")
            else:
                pulled[key] = value
        # Those values have left the stream (or leave it when their cool-down ends): keep them.
        yield from self._quarantine(buried)
        return pulled

    def _wait_then_pull(self, call: Call[list[_Pulled]], deadline: float) -> Flow[list[_Pulled]]:
        """Poll until the stream holds an item, then pull; ``[]`` at ``deadline`` (monotonic).

        A poll is ``size`` (a read that takes nothing, sent again after a lost
        reply): a caller cancelled, or a connection lost, while waiting loses
        no item. Only the pull itself, once there is something to pull, is
        at most once, as every pull is. No server command waits for an item
        without taking it, hence the polls: every 2 ms at first, then at most
        every 50 ms.
        """
        pause = _POLL_MIN
        while (remaining := deadline - time.monotonic()) > 0:
            yield Sleep(min(remaining, pause))
            pause = min(pause * 2, _POLL_MAX)
            if (yield from run(self.size())) == 0:
                continue
            found = yield from run(call)
            if found:
                return found
        return []

    # --- reads ---------------------------------------------------------------

    def get(self, key: object) -> Flow[V]:
        """The value of ``key``; ``KeyError`` if it holds no item (or is not a ``str``)."""
        if not isinstance(key, str):
            raise KeyError(key)
        call = self._script("get", scripts.STREAM_LOOKUP, (key,), _lookup_reply)
        raw, _ = yield from run(call)
        if raw is None:
            raise KeyError(key)
        value = self._load(raw)
        if isinstance(value, DecodeError):
            yield from self._quarantine(self._bury(key, raw, value.reason, "", "seen"))
            raise value
        return value

    def priority(self, key: str) -> Call[float | None]:
        args = (check_key(key),)
        return self._script("priority", scripts.STREAM_LOOKUP, args, _lookup_priority)

    def contains(self, key: str) -> Call[bool]:
        """Whether ``key`` holds an item; ``TypeError`` for a key that is not a ``str``."""
        args = (check_key(key),)
        return self._script("contains", scripts.STREAM_LOOKUP, args, _lookup_present)

    def size(self) -> Call[int]:
        return self._script("size", scripts.STREAM_SIZE, (), as_int)

    def stats(self) -> Call[StreamStats]:
        keys = self.keys.dead_letter_keys
        return script_call("stats", scripts.STREAM_STATS, keys, (), stream_stats)

    def page(
        self, cursor: StreamCursor | None, with_values: bool
    ) -> Flow[tuple[list[tuple[str, V | None]], StreamCursor | None]]:
        """One page in priority order after ``cursor``; the next cursor is ``None`` at the end.

        Values come back only ``with_values``; an item whose value cannot be
        decoded, or whose key is not UTF-8, moves to the dead-letter store and
        is skipped.
        """
        after = ("", "") if cursor is None else cursor
        args = (PAGE_SIZE, *after, _flag(with_values))
        found = yield from run(self._script("iterate", scripts.STREAM_PAGE, args, _triples))
        entries: list[tuple[str, V | None]] = []
        buried: list[Arg] = []
        for raw_key, _, raw in found:
            key = _key_text(raw_key)
            if key is None:
                buried += self._bury(raw_key, raw or b"", _NOT_TEXT, "", "key")
                continue
            value = None if raw is None else self._load(raw)
            if isinstance(value, DecodeError):
                buried += self._bury(raw_key, cast(bytes, raw), value.reason, "", "seen")
            else:
                entries.append((key, value))
        yield from self._quarantine(buried)
        if len(found) < PAGE_SIZE:
            return entries, None
        last_key, last_priority, _ = found[-1]
        return entries, (last_priority, last_key)

    # --- dead letters ------------------------------------------------------------

    def dead_letters(self) -> Call[list[StreamDeadLetter]]:
        return Call("dead_letters", ("HGETALL", self.keys.dead), _dead_letters)

    def requeue_dead(self) -> Call[int]:
        keys = self.keys.dead_letter_keys
        return script_call("requeue_dead", scripts.STREAM_REQUEUE_DEAD, keys, (), as_int)

    def clear_dead_letters(self) -> Call[int]:
        return Call("clear_dead_letters", ("DEL", self.keys.dead), as_int)

    # --- cool-downs and gates ------------------------------------------------------

    def cooling(self) -> Call[dict[str, datetime]]:
        return self._script("cooling", scripts.STREAM_COOLING, (), _deadlines)

    def gated(self) -> Call[set[str]]:
        return Call("gated", ("SMEMBERS", self.keys.gated), _key_set)

    def ungate(self, key: str) -> Call[bool]:
        return Call("ungate", ("SREM", self.keys.gated, check_key(key)), _one)

    def cool_down(self, key: str, until: datetime | timedelta | float) -> Call[datetime]:
        checked = check_key(key)
        if isinstance(until, datetime):
            when = _cool_down(0.0, until, "until")
        else:
            when = _cool_down(until, None, "until")

        def parse(reply: object) -> datetime:
            if reply is None:
                raise ValueError(_HOLDS_AN_ITEM.format(key=checked))
            return _datetime(reply)

        return self._script("cool_down", scripts.STREAM_COOL_DOWN, (checked, *when), parse)


#: Why ``cool_down`` refuses a key that holds an item no pull kept (its end would drop it).
_HOLDS_AN_ITEM = (
    "cool_down: {key!r} holds an item that is not cooling down (not pulled, or re-added"
    " since): the cool-down's end would remove it undelivered; pull it first"
)


def _priority_text(value: object, what: str) -> str:
    return format_score(check_finite(value, what))


#: Every cool-down ends before this: ``cooling()`` and ``cool_down`` answer with
#: datetimes, which end in the year 9999. A later deadline is refused before
#: anything is sent (stored, it would make every ``cooling()`` fail).
LATEST_COOL_DOWN = datetime(9999, 12, 31, tzinfo=timezone.utc)
#: How far the server's clock may be ahead of ours when ``expire_in`` is checked.
_CLOCK_SLACK = 86400.0


def _cool_down(
    expire_in: timedelta | float, expire_at: datetime | None, what: str = ""
) -> tuple[str, str]:
    """``("at", unix time)`` or ``("in", seconds)`` for stream_pull.lua and stream_cool_down.lua.

    Errors name ``what`` (``until``), or ``expire_at``/``expire_in``.
    """
    if expire_at is not None:
        name = what or "expire_at"
        if not isinstance(cast(object, expire_at), datetime):  # an untyped caller's
            raise TypeError(f"{name} must be a datetime, not {type(expire_at).__name__}")
        if expire_at.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (naive times are ambiguous)")
        if expire_at >= LATEST_COOL_DOWN:
            raise ValueError(f"{name} must be before {LATEST_COOL_DOWN}, not {expire_at!r}")
        return "at", format_score(expire_at.timestamp())
    name = what or "expire_in"
    seconds = (
        expire_in.total_seconds()
        if isinstance(expire_in, timedelta)
        else check_score(expire_in, name)
    )
    if seconds < 0 or math.isinf(seconds):
        raise ValueError(f"{name} must be >= 0 and finite, not {expire_in!r}")
    if seconds >= LATEST_COOL_DOWN.timestamp() - time.time() - _CLOCK_SLACK:
        raise ValueError(f"{name} must end before {LATEST_COOL_DOWN}, not {expire_in!r}")
    return "in", format_score(seconds)


#: Why an item whose key is not UTF-8 moves to the dead-letter store.
_NOT_TEXT = "the key is not UTF-8 text"


def _key_text(raw: bytes) -> str | None:
    """A stored key as ``str``; ``None`` when it is not UTF-8 (its item is a dead letter)."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


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


#: What ``stream_pull.lua`` returns per item: key, value, priority text before the pull.
_Pulled = tuple[bytes, bytes, str]


def _pulled(reply: object) -> list[_Pulled]:
    items = as_array(reply)
    return [
        (as_bytes(items[i]), as_bytes(items[i + 1]), as_text(items[i + 2]))
        for i in range(0, len(items), 3)
    ]


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


def _lookup_present(reply: object) -> bool:
    return _lookup_reply(reply)[0] is not None


def _one(reply: object) -> bool:
    return as_int(reply) > 0


def _datetime(reply: object) -> datetime:
    """A stored deadline; one past what a datetime can say (written by hand, or before
    ``LATEST_COOL_DOWN`` was checked) reads as ``datetime.max``, never as an error."""
    when = float(as_text(reply))
    if when >= LATEST_COOL_DOWN.timestamp():
        return datetime.max.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(when, tz=timezone.utc)


def _deadlines(reply: object) -> dict[str, datetime]:
    return {_lenient_text(key): _datetime(when) for key, when in pairs(reply)}


def _key_set(reply: object) -> set[str]:
    found = cast("Iterable[object]", reply)  # a list (RESP2) or a set (RESP3)
    return {_lenient_text(key) for key in found}


#: The end of a dead-letter field after its key: a newline and 40 hex digits.
_HASHED = 41


def _dead_letters(reply: object) -> list[StreamDeadLetter]:
    letters: list[StreamDeadLetter] = []
    for field, record in hash_entries(reply):
        key = as_bytes(field)[:-_HASHED]  # the key, a newline, the SHA-1 of raw (bury_value)
        header, _, raw = as_bytes(record).partition(b"\n")
        parsed = _record_decoder.decode(header)
        letters.append(
            StreamDeadLetter(
                raw=raw,
                reason=parsed.reason,
                score=float(parsed.priority) if parsed.priority else 0.0,
                at=float(parsed.at),
                key=_lenient_text(key),
            )
        )
    return sorted(letters, key=_letter_order)


def _letter_order(letter: StreamDeadLetter) -> tuple[float, bytes, bytes]:
    """Oldest first, then by key bytes, then by value bytes (a key may have several)."""
    return letter.at, letter.key.encode("utf-8", "surrogateescape"), letter.raw
