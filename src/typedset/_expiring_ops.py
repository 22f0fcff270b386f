"""Operations of ``ExpiringSet``, as calls and flows (see ``_ops.py``).

The set is one ZSET at exactly its name, member -> deadline in whole
milliseconds of the server's clock, the name's kind marker, and a HASH of
dead letters (members that could not be decoded). Every operation is one
script of ``lua/expiring_*.lua`` (they share ``lua/lib/expiring.lua``):
each reads the clock, removes at most 1,000 expired members (or the whole
set when everything has expired), then does its work seeing only unexpired
members; the writes keep each key's TTL at the latest deadline it must
outlive. So no sweeper is needed and an abandoned set frees its memory by
itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Generic, Literal, TypeVar, cast

import msgspec

from . import _scripts as scripts
from ._keys import EXPIRING_KIND, expiring_keys
from ._ops import (
    PAGE_SIZE,
    Call,
    Flow,
    as_array,
    as_bytes,
    as_int,
    check_codec,
    check_score,
    encode,
    hash_entries,
    ignore,
    pairs,
    run,
    run_batch,
    script_call,
)
from ._scripts import Script
from ._set_ops import DeadLetter, check_items
from ._stats import ExpiringStats, expiring_stats
from .errors import DecodeError, EncodeError, NameClashError, TypedsetError
from .protocols import Arg, Serializer

__all__ = [
    "MAX_TTL",
    "Cursor",
    "ExpiringDeadLetter",
    "ExpiringOps",
    "OnRefresh",
    "ttl_milliseconds",
]

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("typedset")

#: What adding a present, unexpired member does to its deadline.
OnRefresh = Literal["keep", "refresh"]

ADD = scripts.load("expiring_add")
CLEAR = scripts.load("expiring_clear")
CLEAR_DEAD = scripts.load("expiring_clear_dead")
COMBINE = scripts.load("expiring_combine")
DEAD_LETTERS = scripts.load("expiring_dead_letters")
DISCARD = scripts.load("expiring_discard")
LOOKUP = scripts.load("expiring_lookup")
PAGE = scripts.load("expiring_page")
POP = scripts.load("expiring_pop")
QUARANTINE = scripts.load("expiring_quarantine")
REQUEUE_DEAD = scripts.load("expiring_requeue_dead")
SIZE = scripts.load("expiring_size")
STATS = scripts.load("expiring_stats")
TOUCH = scripts.load("expiring_touch")

#: Members per script call in ``update`` and ``-=``; a round trip carries ``_CHUNKS_PER_TRIP``.
_CHUNK = 1000
_CHUNKS_PER_TRIP = 10
#: The longest time to live: about 317 years (deadlines stay exact integers of milliseconds).
MAX_TTL = 1e10
_CLASH = re.compile(r"NAMECLASH (.+)$")

#: Where an iteration stands: (deadline text, member) of the last member yielded.
Cursor = tuple[str, bytes]


class ExpiringDeadLetter(DeadLetter, frozen=True):
    """A member an expiring set moved to its dead letters: a :class:`DeadLetter` whose
    ``score`` is the deadline it had.

    ``ExpiringSet.dead_letters()`` returns them; ``requeue_dead()`` adds them
    back with a fresh deadline. A member lands here when it cannot be decoded
    (``pop``, iteration). A plain value: reading its fields is no I/O.

    ``raw``
        The member's bytes, exactly as stored.
    ``reason``
        Why it was moved: the decoder's error.
    ``score``
        The deadline it had, in server time (Unix seconds, millisecond
        precision); also readable as ``deadline``.
    ``at``
        When it was moved, in server time (Unix seconds, millisecond precision).
    """

    @property
    def deadline(self) -> float:
        """The deadline the member had (``score``), in server time. No I/O; O(1)."""
        return self.score


class _Record(msgspec.Struct):
    reason: str
    deadline: str
    at: str


_record_decoder = msgspec.json.Decoder(_Record)


def _dead_letters(reply: object) -> list[ExpiringDeadLetter]:
    letters: list[ExpiringDeadLetter] = []
    for raw, record in hash_entries(reply):
        parsed = _record_decoder.decode(as_bytes(record))
        deadline, at = int(parsed.deadline) / 1000, int(parsed.at) / 1000
        letters.append(ExpiringDeadLetter(as_bytes(raw), parsed.reason, deadline, at))
    return sorted(letters, key=lambda letter: (letter.at, letter.raw))


def ttl_milliseconds(ttl: object) -> int:
    """A time to live (seconds or ``timedelta``) in whole milliseconds, at least 1.

    ``TypeError`` for anything else, ``ValueError`` below a millisecond, above
    :data:`MAX_TTL` seconds, or NaN.
    """
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else check_score(ttl, "ttl")
    if not 0.001 <= seconds <= MAX_TTL:
        raise ValueError(
            f"ttl must be at least 0.001 seconds and at most {MAX_TTL:.0f}, not {ttl!r}"
        )
    return max(1, round(seconds * 1000))


def _deadline(reply: object) -> float | None:
    """The first deadline of a lookup, in ms of server time, as Unix seconds; ``None``: absent."""
    [found] = as_array(reply)
    return None if found is None else as_int(found) / 1000


class ExpiringOps(Generic[T]):
    """Builds every expiring-set operation for one collection."""

    def __init__(self, name: str, codec: Serializer[T], ttl: object, on_duplicate: object) -> None:
        check_codec(codec)
        if on_duplicate not in ("keep", "refresh"):
            raise ValueError(f"on_duplicate must be 'keep' or 'refresh', not {on_duplicate!r}")
        self.keys = expiring_keys(name)
        self.codec = codec
        self.ttl = ttl_milliseconds(ttl)
        self.on_duplicate: OnRefresh = "refresh" if on_duplicate == "refresh" else "keep"

    def _call(
        self, op: str, script: Script, args: tuple[Arg, ...], parse: Callable[[object], R]
    ) -> Call[R]:
        return script_call(op, script, self.keys.script_keys, args, parse)

    def _ttl(self, ttl: object) -> int:
        return self.ttl if ttl is None else ttl_milliseconds(ttl)

    def encode(self, item: T) -> bytes:
        return encode(self.codec, item)

    def guarded(self, flow: Flow[R]) -> Flow[R]:
        """``flow``, its scripts' ``NAMECLASH`` answer raised as :class:`NameClashError`.

        A script answers so when the name's marker is another kind's: this
        set expired, marker and all, and another collection took the name.
        """
        try:
            return (yield from flow)
        except Exception as exc:
            found = _CLASH.search(str(exc))
            if found is None or isinstance(exc, TypedsetError | KeyError):
                raise
            raise NameClashError(self.keys.members, found.group(1), EXPIRING_KIND) from exc

    def one(self, call: Call[R]) -> Flow[R]:
        return self.guarded(run(call))

    # --- writes ---------------------------------------------------------------

    def add(self, item: T, ttl: object) -> Flow[bool]:
        args = (self._ttl(ttl), self.on_duplicate, self.encode(item))
        return self.one(self._call("add", ADD, args, lambda reply: as_int(reply) == 1))

    def update(self, items: Iterable[T], ttl: object) -> Flow[int]:
        """Add many items; everything is encoded and checked before anything is sent."""
        return self.guarded(self._update(items, ttl))

    def _update(self, items: Iterable[T], ttl: object) -> Flow[int]:
        members = [self.encode(item) for item in check_items(items, "update")]
        head = (self._ttl(ttl), self.on_duplicate)
        calls = [
            self._call("update", ADD, (*head, *members[i : i + _CHUNK]), as_int)
            for i in range(0, len(members), _CHUNK)
        ]
        added = 0
        for i in range(0, len(calls), _CHUNKS_PER_TRIP):
            added += sum((yield from run_batch(calls[i : i + _CHUNKS_PER_TRIP])))
        return added

    def touch(self, item: T, ttl: object) -> Flow[bool]:
        args = (ttl_milliseconds(ttl), self.encode(item))
        # A write, never re-sent (see ``_ops.WRITES``): each run counts from the clock then.
        return self.one(self._call("touch", TOUCH, args, lambda reply: as_int(reply) == 1))

    def discard(self, item: T) -> Flow[bool]:
        member = self.encode(item)
        return self.one(self._call("discard", DISCARD, (member,), lambda reply: as_int(reply) == 1))

    def remove(self, item: T) -> Flow[None]:
        def parse(reply: object) -> None:
            if as_int(reply) == 0:
                raise KeyError(item)

        return self.one(self._call("remove", DISCARD, (self.encode(item),), parse))

    def difference_update(self, items: Iterable[object]) -> Flow[None]:
        return self.guarded(self._difference(items))

    def _difference(self, items: Iterable[object]) -> Flow[None]:
        members = self._members(check_items(items, "difference_update"))
        calls = [
            self._call("difference_update", DISCARD, tuple(members[i : i + _CHUNK]), ignore)
            for i in range(0, len(members), _CHUNK)
        ]
        for i in range(0, len(calls), _CHUNKS_PER_TRIP):
            yield from run_batch(calls[i : i + _CHUNKS_PER_TRIP])

    def combine(self, op: Literal["and", "xor"], items: Iterable[object]) -> Flow[None]:
        """``&=`` (items the codec cannot encode are not members) or ``^=`` (every item
        must encode), all of ``items`` in one atomic script call."""
        what = "intersection_update" if op == "and" else "symmetric_difference_update"
        checked = check_items(items, what)
        if op == "and":
            members = self._members(checked)
        else:
            members = [self.encode(cast("T", item)) for item in checked]
        return self.one(self._call(what, COMBINE, (op, self.ttl, *members), ignore))

    def _members(self, items: Iterable[object]) -> list[bytes]:
        """The encoded ``items``, less those this codec cannot encode (they cannot be members)."""
        members: list[bytes] = []
        for item in items:
            try:
                members.append(encode(self.codec, cast("T", item)))
            except EncodeError:
                continue
        return members

    def clear(self) -> Flow[None]:
        """Delete the set and its marker: a script, so a stale handle gets ``NameClashError``."""
        return self.one(self._call("clear", CLEAR, (), ignore))

    # --- reads ---------------------------------------------------------------

    def expires_at(self, item: T) -> Flow[float | None]:
        return self.one(self._call("score", LOOKUP, (self.encode(item),), _deadline))

    def contains(self, item: T) -> Flow[bool]:
        parse: Callable[[object], bool] = lambda reply: _deadline(reply) is not None  # noqa: E731
        return self.one(self._call("contains", LOOKUP, (self.encode(item),), parse))

    def isdisjoint(self, items: Iterable[object]) -> Flow[bool]:
        """Whether none of ``items`` is present: one script call, none for no items."""
        members = self._members(check_items(items, "isdisjoint"))
        if not members:
            return True
        parse: Callable[[object], bool] = lambda reply: all(  # noqa: E731
            found is None for found in as_array(reply)
        )
        return (yield from self.one(self._call("isdisjoint", LOOKUP, tuple(members), parse)))

    def pop(self) -> Flow[T]:
        """Remove and return the member with the soonest deadline; ``KeyError`` if none.

        A member the codec cannot decode is recorded as a dead letter (one more
        round trip) and :class:`DecodeError` is raised: it is never dropped.
        """
        found = yield from self.one(self._call("pop", POP, (), pairs))
        if not found:
            raise KeyError(f"{self.keys.members}: pop from an empty set")
        items, bad = yield from self._decode(found, "taken")
        if bad:
            raise DecodeError(*bad[0])
        return items[0]

    def size(self) -> Flow[int]:
        return self.one(self._call("size", SIZE, (), as_int))

    def stats(self) -> Flow[ExpiringStats]:
        return self.one(self._call("stats", STATS, (), expiring_stats))

    def page(self, cursor: Cursor | None) -> Flow[tuple[list[T], Cursor | None]]:
        """One page of iteration after ``cursor``; the next cursor is ``None`` at the end.

        A member the codec cannot decode is moved to the dead letters and skipped.
        """
        after = ("", b"") if cursor is None else cursor
        found = yield from self.one(self._call("iterate", PAGE, (PAGE_SIZE, *after), pairs))
        items, _ = yield from self._decode(found, "seen")
        if len(found) < PAGE_SIZE:
            return items, None
        last_member, last_deadline = found[-1]
        return items, (last_deadline, last_member)

    def _decode(
        self, found: list[tuple[bytes, str]], mode: Literal["seen", "taken"]
    ) -> Flow[tuple[list[T], list[tuple[bytes, str]]]]:
        """Decoded members, and ``(raw, reason)`` of those moved to the dead letters.

        ``mode`` tells ``expiring_quarantine.lua`` whether the members are
        still in the set (iteration) or were removed (``pop``).
        """
        items: list[T] = []
        bad: list[tuple[bytes, str]] = []
        record: list[Arg] = []
        for raw, deadline in found:
            try:
                items.append(self.codec.loads(raw))
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "typedset: %s: moving undecodable %r to the dead letters (%s)",
                    self.keys.members,
                    raw[:80],
                    reason,
                )
                bad.append((raw, reason))
                record += [raw, reason, deadline, mode]
        if record:
            call = self._call("quarantine", QUARANTINE, tuple(record), as_int)
            if mode == "taken":
                # Bytes pop removed are held by this caller alone: a task cancelled
                # now must not lose them. One step, run to its end: EVAL, which
                # needs no second step after a NOSCRIPT (a rare path: bytes are cheap).
                call = replace(call, command=call.eval_command(), script=None, shield=True)
            yield from self.one(call)
        return items, bad

    # --- dead letters ----------------------------------------------------------

    def dead_letters(self) -> Flow[list[ExpiringDeadLetter]]:
        return self.one(self._call("dead_letters", DEAD_LETTERS, (), _dead_letters))

    def requeue_dead(self) -> Flow[int]:
        args = (self.ttl, self.on_duplicate)
        return self.one(self._call("requeue_dead", REQUEUE_DEAD, args, as_int))

    def clear_dead_letters(self) -> Flow[int]:
        return self.one(self._call("clear_dead_letters", CLEAR_DEAD, (), as_int))
