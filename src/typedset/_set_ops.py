"""Operations of the sorted-set kinds, as calls and flows (see ``_ops.py``).

One :class:`SetOps` per collection holds what every call needs (keys, codec,
scoring rules) and builds the calls; ``SortedSet`` and its async twin only
hand them to a driver.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Generic, Literal, TypeVar, cast

import msgspec

from . import _scripts as scripts
from ._keys import set_keys
from ._ops import (
    PAGE_SIZE,
    Call,
    Command,
    Flow,
    Send,
    ServerError,
    Sleep,
    as_array,
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
from ._scripts import Script
from ._stats import SetStats, set_stats
from .errors import DecodeError, EncodeError
from .protocols import Anchor, Arg, OnDuplicate, Reschedule, Scorer, Serializer

__all__ = ["Cursor", "DeadLetter", "Lease", "SetOps"]

T = TypeVar("T")
R = TypeVar("R")
Items = TypeVar("Items", bound=Iterable[object])
log = logging.getLogger("typedset")

#: ZADD flag for each ``on_duplicate`` policy.
_ZADD_FLAG: dict[str, str] = {"replace": "", "keep": "NX", "min": "LT", "max": "GT"}
#: Members per command in ``update``; a pipeline carries up to ``_CHUNKS_PER_TRIP`` of them.
_CHUNK = 1000
_CHUNKS_PER_TRIP = 10
#: Shortest and longest sleep between polls of a waiting ScheduledSet pop or claim.
_POLL_MIN = 0.002
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
    """An item a sorted set moved to its dead-letter store, kept with why and when.

    ``SortedSet.dead_letters()`` returns them; ``requeue_dead()`` puts them
    back. An item lands here when it cannot be decoded (``pop``, ``take``,
    ``peek``, ``claim``, iteration) or was claimed ``max_deliveries`` times
    without an ack. A plain value: reading its fields is no I/O.

    ``raw``
        The member's bytes, exactly as stored.
    ``reason``
        Why it was moved: the decoder's error, or the delivery count.
    ``score``
        The score it had (``0.0`` if unknown); ``requeue_dead`` restores it.
    ``at``
        When it was moved, in server time (Unix seconds).
    """

    raw: bytes
    reason: str
    score: float
    at: float


class Lease(msgspec.Struct, Generic[T], frozen=True):
    """A claimed item, held until ``deadline`` (server time) unless acked, released or extended.

    What ``SortedSet.claim`` and ``leased`` return; hand it back to ``ack``,
    ``release`` or ``extend`` (or their ``_many`` forms) of the same set. A
    lease is an immutable value: reading it is no I/O, and ``extend`` moves
    the deadline on the server, not in this object.

    >>> [lease] = s.claim(ttl=30)                           # doctest: +SKIP
    >>> lease.item, lease.deliveries                        # doctest: +SKIP
    ('a', 1)
    >>> s.ack(lease)                                        # doctest: +SKIP
    True

    ``item``
        The claimed item, decoded.
    ``deadline``
        When the lease ends unless extended, in server time (Unix seconds).
    ``deliveries``
        The claims of this item without an ack, this one included (1 on the
        first claim).
    ``token``
        Opaque: it names this lease of this set and no other, so acting on a
        lease that ended (it expired and the item was claimed again) changes
        nothing, and a lease of another set is refused with ``ValueError``.
    ``score``
        The item's score when it was claimed: in a ``ScheduledSet``, the due
        time of the run handed out (a periodic item's next run is due later);
        ``release`` restores it.
    """

    item: T
    deadline: float
    deliveries: int
    token: bytes
    score: float = 0.0

    def __repr__(self) -> str:
        """``Lease('a', deadline=..., deliveries=1)``: the opaque token is left out."""
        return f"Lease({self.item!r}, deadline={self.deadline!r}, deliveries={self.deliveries})"


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
        max_deliveries: int | None = None,
        poll: bool = False,
        unique_for: float | timedelta | None = None,
    ) -> None:
        check_codec(codec)
        self.unique = check_seconds(unique_for, "unique_for") if unique_for is not None else 0.0
        if max_deliveries is not None:
            max_deliveries = check_count(max_deliveries, "max_deliveries")
            if max_deliveries < 1:
                raise ValueError(f"max_deliveries must be >= 1 or None, not {max_deliveries}")
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
        self.max_deliveries = max_deliveries or 0  # 0: no limit
        # Waiting pops poll the pop script instead of blocking in BZPOPMIN: for a
        # durable set, whose WAIT does not count a BZPOPMIN the server served
        # later (the popping client's write offset is not moved by it). And for
        # a unique set: a BZPOPMIN cannot record the member as done.
        self.poll = poll or scheduled or self.unique > 0

    @property
    def _window(self) -> str:
        """The scripts' ``unique_for`` argument: seconds, "0" for none."""
        return format_score(self.unique) if self.unique else "0"

    def _script(
        self, op: str, script: Script, args: tuple[Arg, ...], parse: Callable[[object], R]
    ) -> Call[R]:
        """A call of a lease-aware script, which takes the eight keys of ``lua/lib/leases.lua``."""
        return script_call(op, script, self.keys.script_keys, args, parse)

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
        self, members: list[tuple[bytes, str]], token: str = ""
    ) -> Flow[tuple[list[T], list[tuple[bytes, str]]]]:
        """Decoded items, and ``(raw, reason)`` of the members moved to the dead-letter store.

        Members claimed under ``token`` lose their lease when they move.
        """
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
                record += [raw, score, reason, token]
        if record:
            yield from run(self._script("quarantine", scripts.QUARANTINE, tuple(record), as_int))
        return items, bad

    # --- writes ---------------------------------------------------------------

    def add(self, item: T, score: float | None) -> Call[bool]:
        member = self.encode(item)
        text = self._default_score(item, score)
        if self.unique:
            args: tuple[Arg, ...] = (self._window, text or "", member)
            return self._script("add", scripts.ADD_UNIQUE, args, lambda r: _count(r) == 1)
        if text is None:
            args = (self.flag, member)
            return script_call("add", scripts.ADD_NOW, (self.keys.pending,), args, _added)
        flag = (self.flag,) if self.flag else ()
        return Call("add", ("ZADD", self.keys.pending, *flag, text, member), _added)

    def update(self, items: Iterable[T]) -> Flow[int]:
        """Add many items; everything is encoded and checked before anything is sent."""
        checked = check_items(items, "update")
        encoded = [(self.encode(item), self._default_score(item, None)) for item in checked]
        added = 0
        for batch in self._batches("update", encoded):
            added += sum((yield from run_batch(batch)))
        return added

    def update_scored(self, scored: Iterable[tuple[T, float]]) -> Flow[int]:
        encoded: list[tuple[bytes, str | None]] = [
            (self.encode(item), format_score(check_score(score)))
            for item, score in check_items(scored, "update_scored")
        ]
        added = 0
        for batch in self._batches("update_scored", encoded):
            added += sum((yield from run_batch(batch)))
        return added

    def _batches(self, op: str, encoded: list[tuple[bytes, str | None]]) -> list[list[Call[int]]]:
        """Chunks of ``_CHUNK`` members per command, ``_CHUNKS_PER_TRIP`` commands per trip.

        Each call's reply counts the members it added.
        """
        calls: list[Call[int]] = []
        if self.unique:  # one script checks and adds, whatever the score
            for i in range(0, len(encoded), _CHUNK):
                flat = [
                    part
                    for member, text in encoded[i : i + _CHUNK]
                    for part in (text or "", member)
                ]
                args: tuple[Arg, ...] = (self._window, *flat)
                calls.append(self._script(op, scripts.ADD_UNIQUE, args, _count))
            return [calls[i : i + _CHUNKS_PER_TRIP] for i in range(0, len(calls), _CHUNKS_PER_TRIP)]
        flag = (self.flag,) if self.flag else ()
        timed = [member for member, text in encoded if text is None]
        scored = [(text, member) for member, text in encoded if text is not None]
        for i in range(0, len(timed), _CHUNK):
            args = (self.flag, *timed[i : i + _CHUNK])
            calls.append(script_call(op, scripts.ADD_NOW, (self.keys.pending,), args, as_int))
        for i in range(0, len(scored), _CHUNK):
            flat = [part for pair in scored[i : i + _CHUNK] for part in pair]
            calls.append(Call(op, ("ZADD", self.keys.pending, *flag, *flat), as_int))
        return [calls[i : i + _CHUNKS_PER_TRIP] for i in range(0, len(calls), _CHUNKS_PER_TRIP)]

    def add_periodic(
        self,
        item: T,
        every: float | timedelta,
        first_due: float | None,
        anchor: Anchor,
        reschedule: Reschedule,
    ) -> Call[bool]:
        """Add ``item`` due at ``first_due`` (default: now) and every ``every`` seconds after."""
        if not self.scheduled:
            raise TypeError("add_periodic is a ScheduledSet's")
        member = self.encode(item)
        seconds = check_seconds(every, "every")
        if anchor not in ("due", "now"):
            raise ValueError(f"anchor must be 'due' or 'now', not {anchor!r}")
        if reschedule not in ("claim", "ack"):
            raise ValueError(f"reschedule must be 'claim' or 'ack', not {reschedule!r}")
        first = "" if first_due is None else format_score(check_finite(first_due, "first_due"))
        schedule = f"{format_score(seconds)} {anchor} {reschedule}"
        args = (member, schedule, first, self.flag)
        return self._script("add_periodic", scripts.ADD_PERIODIC, args, _added)

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
        member = self.encode(item)
        return self._script("discard", scripts.DISCARD, (member,), lambda r: as_int(r) > 0)

    def remove(self, item: T) -> Call[None]:
        def parse(reply: object) -> None:
            if as_int(reply) == 0:
                raise KeyError(item)

        return self._script("remove", scripts.DISCARD, (self.encode(item),), parse)

    def clear(self) -> Call[None]:
        keys = self.keys
        doomed = (keys.pending, keys.leased, keys.held, keys.deliveries, keys.done, keys.periodic)
        return Call("clear", ("DEL", *doomed), ignore)

    # --- reads ---------------------------------------------------------------

    def score(self, item: T) -> Call[float | None]:
        return Call("score", ("ZSCORE", self.keys.pending, self.encode(item)), as_float_or_none)

    def contains(self, item: T) -> Call[bool]:
        return Call("contains", ("ZSCORE", self.keys.pending, self.encode(item)), _present)

    def size(self) -> Call[int]:
        return Call("size", ("ZCARD", self.keys.pending), as_int)

    def _members(self, items: Iterable[object]) -> list[bytes]:
        """The encoded ``items``, less those this codec cannot encode (they cannot be members)."""
        members: list[bytes] = []
        for item in items:
            try:
                members.append(self.encode(cast("T", item)))
            except EncodeError:
                continue
        return members

    def isdisjoint(self, items: Iterable[object]) -> Flow[bool]:
        """Whether none of ``items`` is present: one ZMSCORE, none for no items."""
        members = self._members(check_items(items, "isdisjoint"))
        if not members:
            return True
        scores = yield from run(Call("isdisjoint", ("ZMSCORE", self.keys.pending, *members), _list))
        return all(score is None for score in scores)

    def available(self) -> Call[int]:
        if not self.scheduled:
            return self.size()
        return self._script("available", scripts.COUNT_READY, (), as_int)

    def _peek_call(self, position: int, op: str, parse: Callable[[object], R]) -> Call[R]:
        return self._script(op, scripts.PEEK, (position, self._ready), parse)

    @property
    def _ready(self) -> str:
        """The scripts' flag for "due members only"."""
        return "1" if self.scheduled else "0"

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

    # --- consuming ---------------------------------------------------------

    def _pop_call(self, op: str, n: int, popped: Iterable[bytes] = ()) -> Call[_Head]:
        call = self._script(op, scripts.POP, (n, self._ready, self._window, *popped), _head)
        return replace(call, undo=partial(_put_back_head, self.keys.pending))

    def take(self, n: int, timeout: float | None) -> Flow[list[T]]:
        n = check_count(n)
        wait = check_timeout(timeout)
        if n <= 0:
            return []
        found = yield from self._pop_or_wait("take", n, wait)
        items, _ = yield from self._decode_skipping(found)
        return items

    def pop(self, timeout: float | None) -> Flow[T]:
        wait = check_timeout(timeout)
        found = yield from self._pop_or_wait("pop", 1, wait)
        if not found:
            raise KeyError(f"pop from an empty set: {self.keys.pending}")
        items = yield from self._decode(found)
        return items[0]

    def _pop_or_wait(self, op: str, n: int, timeout: float | None) -> Flow[list[tuple[bytes, str]]]:
        """Pop up to ``n`` members; with ``timeout``, wait up to that long for the first."""
        deadline = time.monotonic() + (timeout or 0.0)
        pause = _POLL_MIN
        while True:
            head = yield from run(self._pop_call(op, n))
            remaining = deadline - time.monotonic()
            if head.found or remaining <= 0:
                return head.found
            until = head.until_next()
            if self.poll:
                # A due time is not an event Redis can block on: poll, sleeping
                # until the head is due or a lease ends, but never longer than
                # _POLL_MAX, so that new items are seen.
                yield Sleep(max(0.0, min(remaining, until, pause)))
                pause = min(pause * 2, _POLL_MAX)
                continue
            # Redis blocks for us; BZPOPMIN pops the lowest score. Each command
            # waits at most _BLOCK_SLICE (and no longer than until the next
            # lease ends, which only a script returns to pending), so that a
            # caller that first waited for a connection (the driver gives each
            # blocking command one of its own) still returns within about a
            # slice of its deadline.
            wait = min(remaining, _BLOCK_SLICE, until)
            if wait < 0.001:  # BZPOPMIN's 0 would mean "forever": sleep out the rest
                if wait > 0:
                    yield Sleep(wait)
                continue
            call = Call(
                op,
                ("BZPOPMIN", self.keys.pending, f"{wait:.3f}"),
                _blocking_pair,
                undo=_put_back_popped,
            )
            [reply] = yield send(call, wait=wait)
            found = finish(call, reply)
            if found:
                # BZPOPMIN cannot forget the member's delivery count: the
                # script that pops the rest does, or a call of its own whose
                # failure must not cost the caller the member it already has.
                popped = [member for member, _ in found]
                if n > 1:
                    more = yield from run(self._pop_call(op, n - 1, popped))
                    found += more.found
                else:
                    tidy = self._pop_call(op, 0, popped)
                    yield Send((tidy.command,), op, resend=False, optional=True)
                return found

    # --- leases (at least once) ----------------------------------------------

    def claim(self, n: int, ttl: float, timeout: float | None) -> Flow[list[Lease[T]]]:
        """Lease up to ``n`` items; undecodable ones go to the dead-letter store and are skipped."""
        leases, _ = yield from self._claim("claim", check_count(n), ttl, timeout)
        return leases

    def claim_one(self, ttl: float, timeout: float | None) -> Flow[Lease[T]]:
        """Lease one item (``processing``): ``KeyError`` if none, ``DecodeError`` if undecodable."""
        leases, bad = yield from self._claim("processing", 1, ttl, timeout)
        if bad:
            raise DecodeError(*bad[0])
        if not leases:
            raise KeyError(f"nothing to claim in {self.keys.pending}")
        return leases[0]

    def _claim(
        self, op: str, n: int, ttl: float, timeout: float | None
    ) -> Flow[tuple[list[Lease[T]], list[tuple[bytes, str]]]]:
        seconds = check_ttl(ttl)
        wait = check_timeout(timeout)
        if n <= 0:
            return [], []
        deadline = time.monotonic() + (wait or 0.0)
        pause = _POLL_MIN
        args = (n, format_score(seconds), self._ready, self.max_deliveries)
        while True:
            claimed = yield from run(self._script(op, scripts.CLAIM, args, _claimed))
            if claimed.buried:
                log.warning(
                    "typedset: %s: %d item(s) delivered max_deliveries=%d times without an ack "
                    "moved to the dead-letter store",
                    self.keys.pending,
                    claimed.buried,
                    self.max_deliveries,
                )
            remaining = deadline - time.monotonic()
            if claimed.members or remaining <= 0:
                break
            # Nothing ready: no server event to block on without taking the
            # item out of reach of a crash, so poll, never past the next
            # due time or lease deadline, and at most every _POLL_MAX.
            yield Sleep(max(0.0, min(remaining, claimed.head.until_next(), pause)))
            pause = min(pause * 2, _POLL_MAX)
        counts = {member: (count, score) for member, count, score in claimed.members}
        found = [(member, "") for member, _, _ in claimed.members]
        items, bad = yield from self._decode_skipping(found, claimed.token)
        bad_members = {raw for raw, _ in bad}
        good = [member for member, _, _ in claimed.members if member not in bad_members]
        leases = [
            Lease(
                item,
                claimed.deadline,
                counts[member][0],
                self._token(claimed.token, member),
                counts[member][1],
            )
            for item, member in zip(items, good, strict=True)
        ]
        return leases, bad

    def _token(self, fence: str, member: bytes) -> bytes:
        return lease_token(self.keys.pending, fence, member)

    def _lease_args(self, op: str, leases: Iterable[object]) -> tuple[Arg, ...]:
        """``fence, member`` pairs for the lease scripts; all checked before anything is sent."""
        return tuple(part for pair in lease_parts(op, self.keys.pending, leases) for part in pair)

    def ack(self, leases: Iterable[Lease[T]], op: str) -> Call[int]:
        """Finish the leases that are still held; the reply counts them."""
        return self._script(op, scripts.ACK, (self._window, *self._lease_args(op, leases)), as_int)

    def release(self, leases: Iterable[Lease[T]], delay: float | None, op: str) -> Call[int]:
        """Put back the items of the leases that are still held; the reply counts them."""
        when = "" if delay is None else format_score(check_delay(delay))
        args = (when, self.max_deliveries, *self._lease_args(op, leases))
        return self._script(op, scripts.RELEASE, args, as_int)

    def extend(self, leases: Iterable[Lease[T]], ttl: float, op: str) -> Call[int]:
        """Move the deadlines of the leases that are still held; the reply counts them."""
        args = (format_score(check_ttl(ttl)), *self._lease_args(op, leases))
        return self._script(op, scripts.EXTEND, args, as_int)

    def leased(self) -> Flow[list[Lease[T]]]:
        """Every lease still held, earliest deadline first; undecodable items are skipped."""
        rows = yield from run(self._script("leased", scripts.LEASED, (), _lease_rows))
        leases: list[Lease[T]] = []
        for member, deadline, token, deliveries, score in rows:
            try:
                item = self.codec.loads(member)
            except Exception:  # claim moves what it cannot decode; a rare late codec change
                continue
            leases.append(Lease(item, deadline, deliveries, self._token(token, member), score))
        return leases

    def stats(self) -> Call[SetStats]:
        return self._script("stats", scripts.STATS, (self._ready,), set_stats(self.timed))

    # --- dead letters ----------------------------------------------------------

    def dead_letters(self) -> Call[list[DeadLetter]]:
        return Call("dead_letters", ("HGETALL", self.keys.dead), _dead_letters)

    def requeue_dead(self) -> Call[int]:
        return self._script("requeue_dead", scripts.REQUEUE_DEAD, (self._window,), as_int)

    def clear_dead_letters(self) -> Call[int]:
        return Call("clear_dead_letters", ("DEL", self.keys.dead), as_int)

    # --- in-place algebra ------------------------------------------------------

    def combine_with_key(self, op: Literal["or", "and", "sub", "xor"], other: str) -> Call[int]:
        """``self op= other`` where ``other`` is a ZSET in the same slot."""
        keys = (*self._combine_keys, other)
        args = (op, self.flag, self._window)
        return script_call(_COMBINE_OPS[op], scripts.COMBINE, keys, args, as_int)

    @property
    def _combine_keys(self) -> tuple[str, str, str, str, str]:
        keys = self.keys
        return (keys.pending, keys.held, keys.deliveries, keys.done, keys.periodic)

    def combine_with_items(
        self, op: Literal["or", "and", "sub", "xor"], items: Iterable[T]
    ) -> Call[int]:
        """``self op= items`` for any iterable, atomically, in one script call."""
        items = check_items(items, _COMBINE_OPS[op])
        args: list[Arg] = [op, self.flag, self._window]
        if op in ("sub", "and"):  # only membership matters: no scores
            for member in self._members(items):
                args += ["", member]
        else:
            for item in items:
                args += [self._default_score(item, None) or "", self.encode(item)]
        return script_call(
            _COMBINE_OPS[op], scripts.COMBINE, self._combine_keys, tuple(args), as_int
        )


def _added(reply: object) -> bool:
    """ZADD's (or a script's) count of new members, for one member."""
    return as_int(reply) == 1


def _count(reply: object) -> int:
    """``add_unique.lua``'s flags (1: added) summed."""
    return sum(as_int(flag) for flag in as_array(reply))


def _present(reply: object) -> bool:
    return reply is not None


def _list(reply: object) -> list[object]:
    return list(as_array(reply))


def _first_score(reply: object) -> float | None:
    found = pairs(reply)
    return float(found[0][1]) if found else None


@dataclass(slots=True)
class _Head:
    """What ``pop.lua`` saw: the server time, when to look again, what it took."""

    now: str
    next: str
    found: list[tuple[bytes, str]]

    def until_next(self) -> float:
        """Seconds until something may become takeable; infinite when nothing will."""
        if not self.next:
            return math.inf
        return max(0.0, float(self.next) - float(self.now))


def _head(reply: object) -> _Head:
    items = as_array(reply)
    assert len(items) == 3, reply
    now, upcoming, found = items
    return _Head(as_text(now), as_text(upcoming), pairs(found))


@dataclass(slots=True)
class _Claimed:
    """What ``claim.lua`` did."""

    head: _Head
    token: str
    deadline: float
    members: list[tuple[bytes, int, float]]
    buried: int


def _claimed(reply: object) -> _Claimed:
    items = as_array(reply)
    assert len(items) == 6, reply
    now, upcoming, token, deadline, found, buried = items
    flat = as_array(found)
    members = [
        (as_bytes(flat[i]), as_int(flat[i + 1]), float(as_text(flat[i + 2])))
        for i in range(0, len(flat), 3)
    ]
    head = _Head(as_text(now), as_text(upcoming), [])
    return _Claimed(head, as_text(token), float(as_text(deadline)), members, as_int(buried))


def _lease_rows(reply: object) -> list[tuple[bytes, float, str, int, float]]:
    items = as_array(reply)
    return [
        (
            as_bytes(items[i]),
            float(as_text(items[i + 1])),
            as_text(items[i + 2]),
            as_int(items[i + 3]),
            float(as_text(items[i + 4])),
        )
        for i in range(0, len(items), 5)
    ]


def lease_token(name: str, fence: str | int, member: bytes) -> bytes:
    """A lease's token: its claim's fence value, the set's name and the member.

    ``b"<fence>:<len(name)>:<name><member>"``. The name makes a lease of one
    set useless on another (whose fence counter may well reach the same value).
    """
    encoded = name.encode("utf-8", "surrogateescape")
    return b"%s:%d:%s%s" % (str(fence).encode(), len(encoded), encoded, member)


def lease_parts(op: str, name: str, leases: Iterable[object]) -> list[tuple[bytes, bytes]]:
    """``(fence, member)`` of each of ``name``'s leases; every lease is checked first.

    ``TypeError`` for what is not a lease, ``ValueError`` for a token that is
    not one or names another set (see :func:`lease_token`).
    """
    encoded = name.encode("utf-8", "surrogateescape")
    found: list[tuple[bytes, bytes]] = []
    for lease in leases:
        if not isinstance(lease, Lease):
            raise TypeError(f"{op} takes leases returned by claim, not {type(lease).__name__}")
        fence, _, rest = cast("Lease[object]", lease).token.partition(b":")
        size, _, rest = rest.partition(b":")
        if not fence.isdigit() or not size.isdigit():
            raise ValueError(f"{op}: {lease!r} has no valid lease token")
        if len(encoded) != int(size) or rest[: len(encoded)] != encoded:
            raise ValueError(f"{op}: {lease!r} is a lease of another collection, not {encoded!r}")
        found.append((fence, rest[len(encoded) :]))
    return found


def check_ttl(ttl: object) -> float:
    """A lease's time to live: at least a millisecond (a shorter one would end before it began:
    ``now + ttl`` rounds to ``now`` at today's Unix times), finite."""
    seconds = check_score(ttl, "ttl")
    if not 0.001 <= seconds < math.inf:
        raise ValueError(f"ttl must be > 0 (at least 0.001 seconds) and finite, not {ttl!r}")
    return seconds


def check_seconds(value: object, what: str) -> float:
    """A positive duration: seconds (a number) or a ``timedelta``; at least a millisecond
    (the scripts' clock counts microseconds, and ``now + d`` must differ from ``now``),
    finite."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else check_score(value, what)
    if not 0.001 <= seconds < math.inf:
        raise ValueError(f"{what} must be at least 0.001 seconds and finite, not {value!r}")
    return seconds


def check_finite(value: object, what: str) -> float:
    """A finite number (a time)."""
    seconds = check_score(value, what)
    if math.isinf(seconds):
        raise ValueError(f"{what} must be finite, not {value!r}")
    return seconds


def check_items(items: Items, what: str) -> Items:
    """``items`` for a method that takes many items, unless it is one ``str``/``bytes`` or a
    mapping: those iterate as characters or keys, so ``names.update("alice")`` would add
    five one-letter items and ``update({item: score})`` would drop every score.

    Refused with ``TypeError`` at the call, before anything is sent (a ``set``
    would take them; a queue of work should not).
    """
    given = cast(object, items)
    kind = type(given).__name__
    if isinstance(given, str | bytes | bytearray | memoryview):
        raise TypeError(
            f"{what} takes an iterable of items, not one {kind}: wrap a single item in a list"
        )
    if isinstance(given, Mapping):
        raise TypeError(
            f"{what} takes an iterable of items, not a mapping: "
            f"use update_scored(m.items()) for items with scores, or list(m) for its keys"
        )
    return items


def check_delay(delay: object) -> float:
    """A release delay: seconds >= 0, finite."""
    seconds = check_score(delay, "delay")
    if not 0 <= seconds < math.inf:
        raise ValueError(f"delay must be >= 0 seconds and finite, not {delay!r}")
    return seconds


def _put_back_head(pending: str, reply: object) -> Command | None:
    """The ``ZADD`` that returns what a pop script popped for a caller that was cancelled."""
    if isinstance(reply, ServerError):
        return None
    found = _head(reply).found
    if not found:
        return None
    return ("ZADD", pending, "LT", *(part for member, score in found for part in (score, member)))


def _put_back_popped(reply: object) -> Command | None:
    """The ``ZADD`` that returns what a ``BZPOPMIN`` popped for a caller that was cancelled.

    ``LT``: a copy added meanwhile keeps the lower score, as a lease's return does.
    """
    if not reply:
        return None
    key, member, score = as_array(reply)
    return ("ZADD", as_bytes(key), "LT", as_text(score), as_bytes(member))


def _blocking_pair(reply: object) -> list[tuple[bytes, str]]:
    """BZPOPMIN's ``[key, member, score]`` (or nil on timeout)."""
    if not reply:
        return []
    items = as_array(reply)
    assert len(items) == 3, reply
    return [(as_bytes(items[1]), as_text(items[2]))]


def _dead_letters(reply: object) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    for raw, record in hash_entries(reply):
        parsed = _record_decoder.decode(as_bytes(record))
        score = float(parsed.score) if parsed.score else 0.0
        letters.append(DeadLetter(as_bytes(raw), parsed.reason, score, float(parsed.at)))
    return sorted(letters, key=lambda letter: (letter.at, letter.raw))
