"""Operations of the sorted-set kinds, as calls and flows (see ``_ops.py``).

One :class:`SetOps` per collection holds what every call needs (keys, codec,
scoring rules) and builds the calls; ``SortedSet`` and its async twin only
hand them to a driver.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Generic, Literal, TypeVar, cast

import msgspec

from . import _scripts as scripts
from ._keys import set_keys
from ._ops import (
    PAGE_SIZE,
    Call,
    Flow,
    Sleep,
    as_bytes,
    as_float_or_none,
    as_int,
    as_text,
    check_codec,
    check_count,
    check_score,
    check_timeout,
    encode,
    finish,
    format_score,
    hash_entries,
    ignore,
    pairs,
    run,
    run_batch,
    script_call,
    send,
)
from .errors import DecodeError, EncodeError
from .protocols import Arg, OnDuplicate, Scorer, Serializer

__all__ = ["Cursor", "DeadLetter", "SetOps"]

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("typedset")

#: ZADD flag for each ``on_duplicate`` policy.
_ZADD_FLAG: dict[str, str] = {"replace": "", "keep": "NX", "min": "LT", "max": "GT"}
#: Members per command in ``update``; a pipeline carries up to ``_CHUNKS_PER_TRIP`` of them.
_CHUNK = 1000
_CHUNKS_PER_TRIP = 10
#: Longest sleep between polls of a blocking ScheduledSet pop.
_POLL_MAX = 0.05
#: Longest single BZPOPMIN of a blocking pop; a longer wait is several of them.
_BLOCK_SLICE = 1.0

#: The operation each in-place combination is named after.
_COMBINE_OPS = {
    "or": "union_update",
    "and": "intersection_update",
    "sub": "difference_update",
    "xor": "symmetric_difference_update",
}

#: Where an iteration stands: (score text, member) of the last member yielded.
Cursor = tuple[str, bytes]


class DeadLetter(msgspec.Struct, frozen=True):
    """A stored item that could not be decoded, kept with why and when."""

    raw: bytes
    reason: str
    score: float
    at: float


class _Record(msgspec.Struct):
    reason: str
    score: str
    at: str


_record_decoder = msgspec.json.Decoder(_Record)


class SetOps(Generic[T]):
    """Builds every sorted-set operation for one collection."""

    def __init__(
        self,
        name: str,
        codec: Serializer[T],
        scorer: Scorer[T] | None,
        on_duplicate: OnDuplicate,
        *,
        timed: bool,
        scheduled: bool,
    ) -> None:
        check_codec(codec)
        if scorer is not None and not callable(scorer):
            raise TypeError(f"scorer must be callable, got {scorer!r}")
        if on_duplicate not in _ZADD_FLAG:
            raise ValueError(
                f"on_duplicate must be one of {sorted(_ZADD_FLAG)}, not {on_duplicate!r}"
            )
        self.keys = set_keys(name)
        self.codec = codec
        self.scorer = scorer
        self.on_duplicate = on_duplicate
        self.flag = _ZADD_FLAG[on_duplicate]
        self.timed = timed  # default score is the server's clock, not 0
        self.scheduled = scheduled  # reads see only members whose score <= now

    # --- encoding -----------------------------------------------------------

    def encode(self, item: T) -> bytes:
        return encode(self.codec, item)

    def _default_score(self, item: T, score: float | None) -> str | None:
        """The score text to store, or ``None`` for "the server's clock"."""
        if score is not None:
            return format_score(check_score(score))
        if self.scorer is not None:
            return format_score(check_score(self.scorer(item), "scorer result"))
        return None if self.timed else "0"

    def _decode(self, members: list[tuple[bytes, str]]) -> Flow[list[T]]:
        """Decode members; move undecodable ones to the dead-letter store and raise for them.

        Raises :class:`DecodeError` (for the first bad member) after the good
        ones have been decoded and the bad ones recorded; callers that skip
        bad members use :meth:`_decode_skipping`.
        """
        items, bad = yield from self._decode_skipping(members)
        if bad:
            raise DecodeError(*bad[0])
        return items

    def _decode_skipping(
        self, members: list[tuple[bytes, str]]
    ) -> Flow[tuple[list[T], list[tuple[bytes, str]]]]:
        """Decoded items, and ``(raw, reason)`` of the members moved to the dead-letter store."""
        items: list[T] = []
        bad: list[tuple[bytes, str]] = []
        record: list[Arg] = []
        for raw, score in members:
            try:
                items.append(self.codec.loads(raw))
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "typedset: %s: moving undecodable %r to the dead-letter store (%s)",
                    self.keys.pending,
                    raw[:80],
                    reason,
                )
                bad.append((raw, reason))
                record += [raw, score, reason]
        if record:
            keys = (self.keys.pending, self.keys.dead)
            yield from run(
                script_call("quarantine", scripts.QUARANTINE, keys, tuple(record), as_int)
            )
        return items, bad

    # --- writes ---------------------------------------------------------------

    def add(self, item: T, score: float | None) -> Call[None]:
        member = self.encode(item)
        text = self._default_score(item, score)
        if text is None:
            args = (self.flag, member)
            return script_call("add", scripts.ADD_NOW, (self.keys.pending,), args, ignore)
        flag = (self.flag,) if self.flag else ()
        return Call("add", ("ZADD", self.keys.pending, *flag, text, member), ignore)

    def update(self, items: Iterable[T]) -> Flow[None]:
        """Add many items; everything is encoded and checked before anything is sent."""
        encoded = [(self.encode(item), self._default_score(item, None)) for item in items]
        for batch in self._batches("update", encoded):
            yield from run_batch(batch)

    def update_scored(self, scored: Iterable[tuple[T, float]]) -> Flow[None]:
        encoded: list[tuple[bytes, str | None]] = [
            (self.encode(item), format_score(check_score(score))) for item, score in scored
        ]
        for batch in self._batches("update_scored", encoded):
            yield from run_batch(batch)

    def _batches(self, op: str, encoded: list[tuple[bytes, str | None]]) -> list[list[Call[None]]]:
        """Chunks of ``_CHUNK`` members per command, ``_CHUNKS_PER_TRIP`` commands per trip."""
        flag = (self.flag,) if self.flag else ()
        timed = [member for member, text in encoded if text is None]
        scored = [(text, member) for member, text in encoded if text is not None]
        calls: list[Call[None]] = []
        for i in range(0, len(timed), _CHUNK):
            args: tuple[Arg, ...] = (self.flag, *timed[i : i + _CHUNK])
            calls.append(script_call(op, scripts.ADD_NOW, (self.keys.pending,), args, ignore))
        for i in range(0, len(scored), _CHUNK):
            flat = [part for pair in scored[i : i + _CHUNK] for part in pair]
            calls.append(Call(op, ("ZADD", self.keys.pending, *flag, *flat), ignore))
        return [calls[i : i + _CHUNKS_PER_TRIP] for i in range(0, len(calls), _CHUNKS_PER_TRIP)]

    def increment(self, item: T, by: float) -> Call[float]:
        member = self.encode(item)
        step = format_score(check_score(by, "by"))

        def parse(reply: object) -> float:
            if reply is None:
                raise KeyError(item)
            value = as_float_or_none(reply)
            assert value is not None
            return value

        return script_call(
            "increment", scripts.INCREMENT, (self.keys.pending,), (member, step), parse
        )

    def discard(self, item: T) -> Call[bool]:
        return Call(
            "discard", ("ZREM", self.keys.pending, self.encode(item)), lambda r: as_int(r) > 0
        )

    def remove(self, item: T) -> Call[None]:
        def parse(reply: object) -> None:
            if as_int(reply) == 0:
                raise KeyError(item)

        return Call("remove", ("ZREM", self.keys.pending, self.encode(item)), parse)

    def clear(self) -> Call[None]:
        return Call("clear", ("DEL", self.keys.pending), ignore)

    # --- reads ---------------------------------------------------------------

    def score(self, item: T) -> Call[float | None]:
        return Call("score", ("ZSCORE", self.keys.pending, self.encode(item)), as_float_or_none)

    def contains(self, item: T) -> Call[bool]:
        return Call("contains", ("ZSCORE", self.keys.pending, self.encode(item)), _present)

    def size(self) -> Call[int]:
        return Call("size", ("ZCARD", self.keys.pending), as_int)

    def _members(self, items: Iterable[object]) -> list[bytes]:
        """The encoded ``items``, less those this codec cannot encode (they cannot be members)."""
        members = []
        for item in items:
            try:
                members.append(self.encode(cast("T", item)))
            except EncodeError:
                continue
        return members

    def isdisjoint(self, items: Iterable[object]) -> Flow[bool]:
        """Whether none of ``items`` is present: one ZMSCORE, none for no items."""
        members = self._members(items)
        if not members:
            return True
        scores = yield from run(Call("isdisjoint", ("ZMSCORE", self.keys.pending, *members), _list))
        return all(score is None for score in scores)

    def available(self) -> Call[int]:
        if not self.scheduled:
            return self.size()
        return script_call("available", scripts.COUNT_READY, (self.keys.pending,), (), as_int)

    def _peek_call(self, position: int, op: str, parse: Callable[[object], R]) -> Call[R]:
        ready = "1" if self.scheduled else "0"
        return script_call(op, scripts.PEEK, (self.keys.pending,), (position, ready), parse)

    def peek(self, position: int) -> Flow[T]:
        check_count(position, "position")
        while True:
            found = yield from run(self._peek_call(position, "peek", pairs))
            if not found:
                raise KeyError(f"{self.keys.pending}: no item at position {position}")
            items, _ = yield from self._decode_skipping(found)
            if items:
                return items[0]
            # The member was moved to the dead-letter store; look again at the same position.

    def peek_score(self) -> Call[float | None]:
        return self._peek_call(0, "peek_score", _first_score)

    def page(self, cursor: Cursor | None) -> Flow[tuple[list[T], Cursor | None]]:
        """One page of iteration after ``cursor``; the next cursor is ``None`` at the end."""
        after = ("", b"") if cursor is None else cursor
        found = yield from run(
            script_call("iterate", scripts.PAGE, (self.keys.pending,), (PAGE_SIZE, *after), pairs)
        )
        items, _ = yield from self._decode_skipping(found)
        if len(found) < PAGE_SIZE:
            return items, None
        last_member, last_score = found[-1]
        return items, (last_score, last_member)

    # --- consuming -----------------------------------------------------------

    def _pop_now(self, op: str, n: int) -> Call[list[tuple[bytes, str]]]:
        if self.scheduled:
            return script_call(op, scripts.POP_READY, (self.keys.pending,), (n,), _ready_pairs)
        return Call(op, ("ZPOPMIN", self.keys.pending, n), pairs)

    def take(self, n: int, timeout: float | None) -> Flow[list[T]]:
        n = check_count(n)
        wait = check_timeout(timeout)
        if n <= 0:
            return []
        found = yield from run(self._pop_now("take", n))
        if not found and wait:
            found = yield from self._wait_first("take", wait)
            if found and n > 1:
                found += yield from run(self._pop_now("take", n - 1))
        items, _ = yield from self._decode_skipping(found)
        return items

    def pop(self, timeout: float | None) -> Flow[T]:
        wait = check_timeout(timeout)
        found = yield from run(self._pop_now("pop", 1))
        if not found and wait:
            found = yield from self._wait_first("pop", wait)
        if not found:
            raise KeyError(f"pop from an empty set: {self.keys.pending}")
        items = yield from self._decode(found)
        return items[0]

    def _wait_first(self, op: str, timeout: float) -> Flow[list[tuple[bytes, str]]]:
        """Wait up to ``timeout`` seconds for one member to pop."""
        deadline = time.monotonic() + timeout
        if not self.scheduled:
            # Redis blocks for us; BZPOPMIN pops the lowest score. Each command
            # waits at most _BLOCK_SLICE, so that a caller that first waited
            # for a connection (the driver gives each blocking command one of
            # its own) still returns within about a slice of its deadline.
            while True:
                wait = min(deadline - time.monotonic(), _BLOCK_SLICE)
                if wait < 0.001:  # BZPOPMIN's 0 would mean "forever": sleep out the rest
                    if wait > 0:
                        yield Sleep(wait)
                    return []
                command = ("BZPOPMIN", self.keys.pending, f"{wait:.3f}")
                call = Call(op, command, _blocking_pair)
                [reply] = yield send(call, wait=wait)
                found = finish(call, reply)
                if found:
                    return found
        # A due time is not an event Redis can block on: poll, sleeping until
        # the head is due, but never longer than _POLL_MAX so that new items are seen.
        pause = 0.002
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            reply = yield from run(
                script_call(op, scripts.POP_READY, (self.keys.pending,), (1,), _ready_reply)
            )
            now, head, found = reply
            if found:
                return found
            until_due = float(head) - float(now) if head else _POLL_MAX
            yield Sleep(max(0.0, min(remaining, until_due, pause)))
            pause = min(pause * 2, _POLL_MAX)

    # --- dead letters ----------------------------------------------------------

    def dead_letters(self) -> Call[list[DeadLetter]]:
        return Call("dead_letters", ("HGETALL", self.keys.dead), _dead_letters)

    def requeue_dead(self) -> Call[int]:
        keys = (self.keys.pending, self.keys.dead)
        return script_call("requeue_dead", scripts.REQUEUE_DEAD, keys, (), as_int)

    def clear_dead_letters(self) -> Call[int]:
        return Call("clear_dead_letters", ("DEL", self.keys.dead), as_int)

    # --- in-place algebra ------------------------------------------------------

    def combine_with_key(self, op: Literal["or", "and", "sub", "xor"], other: str) -> Call[int]:
        """``self op= other`` where ``other`` is a ZSET in the same slot."""
        keys = (self.keys.pending, other)
        return script_call(_COMBINE_OPS[op], scripts.COMBINE, keys, (op, self.flag), as_int)

    def combine_with_items(
        self, op: Literal["or", "and", "sub", "xor"], items: Iterable[T]
    ) -> Call[int]:
        """``self op= items`` for any iterable, atomically, in one script call."""
        args: list[Arg] = [op, self.flag]
        if op in ("sub", "and"):  # only membership matters: no scores
            for member in self._members(items):
                args += ["", member]
        else:
            for item in items:
                args += [self._default_score(item, None) or "", self.encode(item)]
        keys = (self.keys.pending,)
        return script_call(_COMBINE_OPS[op], scripts.COMBINE, keys, tuple(args), as_int)


def _present(reply: object) -> bool:
    return reply is not None


def _list(reply: object) -> list[object]:
    assert isinstance(reply, list | tuple), reply
    return list(reply)


def _first_score(reply: object) -> float | None:
    found = pairs(reply)
    return float(found[0][1]) if found else None


def _ready_reply(reply: object) -> tuple[str, str, list[tuple[bytes, str]]]:
    assert isinstance(reply, list | tuple), reply
    assert len(reply) == 3, reply
    now, head, found = reply
    return as_text(now), as_text(head), pairs(found)


def _ready_pairs(reply: object) -> list[tuple[bytes, str]]:
    return _ready_reply(reply)[2]


def _blocking_pair(reply: object) -> list[tuple[bytes, str]]:
    """BZPOPMIN's ``[key, member, score]`` (or nil on timeout)."""
    if not reply:
        return []
    assert isinstance(reply, list | tuple), reply
    assert len(reply) == 3, reply
    return [(as_bytes(reply[1]), as_text(reply[2]))]


def _dead_letters(reply: object) -> list[DeadLetter]:
    letters = []
    for raw, record in hash_entries(reply):
        parsed = _record_decoder.decode(as_bytes(record))
        score = float(parsed.score) if parsed.score else 0.0
        letters.append(DeadLetter(as_bytes(raw), parsed.reason, score, float(parsed.at)))
    return sorted(letters, key=lambda letter: (letter.at, letter.raw))
