"""What ``stats()`` returns: one snapshot of a collection, read in one round trip.

Each kind has its own value (:class:`SetStats`, :class:`StreamStats`,
:class:`ExpiringStats`); they share :class:`Stats`, the fields any
collection has (the server time of the snapshot and the dead letters), so
a dashboard or a metrics exporter can handle every kind alike. The values
are immutable ``msgspec`` structs: reading a field is no I/O, and
``msgspec.json.encode(stats)`` or ``msgspec.structs.asdict(stats)`` gives
plain data.

The parsers turn the reply of ``lua/stats.lua``, ``lua/stream_stats.lua``
and ``lua/expiring_stats.lua`` into these values.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from ._ops import as_array, as_int, as_text

__all__ = ["ExpiringStats", "SetStats", "Stats", "StreamStats"]


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    """What every collection's ``stats()`` reports: when, and how many dead letters.

    The base of :class:`SetStats`, :class:`StreamStats` and :class:`ExpiringStats`.
    An immutable value: reading its fields is no I/O.

    ``at``
        The server time the snapshot was taken (Unix seconds): every count
        and age in it is as of this instant.
    ``dead_letters``
        Entries in the dead-letter store (``dead_letters()`` lists them).
    """

    at: float
    dead_letters: int


class SetStats(Stats, frozen=True, kw_only=True):
    """A snapshot of a ``SortedSet``, ``TimeSortedSet`` or ``ScheduledSet`` (``stats()``).

    ``pending``
        Items waiting (``len(s)`` after expired leases went back).
    ``due``
        Pending items that are due: those with a score ``<= at`` for a
        ``ScheduledSet`` (what ``available()`` counts), ``pending`` for the other kinds.
    ``leased``
        Leases held (claimed, not yet acked, released or expired).
    ``periodic``
        Schedules of ``add_periodic`` items (``0`` but for a ``ScheduledSet``).
    ``oldest_score``
        The lowest pending score, ``None`` when nothing is pending.
    ``oldest_age``
        For the time sets, how long the oldest pending item has waited, in seconds
        (``at - oldest_score``; for a ``ScheduledSet``, since it fell due: ``0.0``
        when nothing is due yet), ``None`` for a ``SortedSet`` or when nothing is
        pending: the queue's lag.
    ``next_due``
        For a ``ScheduledSet``, the lowest score after ``at`` (when the next item
        not yet due falls due), else ``None``.
    ``at``, ``dead_letters``
        As for every kind (:class:`Stats`): the snapshot's server time, the dead letters.
    """

    pending: int
    due: int
    leased: int
    periodic: int
    oldest_score: float | None
    oldest_age: float | None
    next_due: float | None


class StreamStats(Stats, frozen=True, kw_only=True):
    """A snapshot of a ``PriorityStream`` (``stats()``).

    ``items``
        Items held (``len(stream)``), counting those kept until their cool-down ends.
    ``gated``
        Gated keys (``gated()``): ``add`` refuses them until ``ungate``.
    ``cooling``
        Keys cooling down (``cooling()``).
    ``highest_priority``
        The priority of the next item ``pull`` hands out, ``None`` when empty.
    ``at``, ``dead_letters``
        As for every kind (:class:`Stats`): the snapshot's server time, the dead letters.
    """

    items: int
    gated: int
    cooling: int
    highest_priority: float | None


class ExpiringStats(Stats, frozen=True, kw_only=True):
    """A snapshot of an ``ExpiringSet`` (``stats()``); times are Unix seconds, server time.

    ``live``
        Members not expired (``len(s)``).
    ``expired``
        Members past their deadline still stored: a call prunes them lazily (up to
        1000 per call); they are never counted, returned or kept by any operation.
    ``next_expiry``
        The soonest deadline of a live member, ``None`` when none is live.
    ``latest_expiry``
        The latest deadline of a live member (when the whole set goes), ``None``
        when none is live.
    ``at``, ``dead_letters``
        As for every kind (:class:`Stats`): the snapshot's server time, the dead letters.
    """

    live: int
    expired: int
    next_expiry: float | None
    latest_expiry: float | None


def _number(value: object) -> float | None:
    """A score or time the script sent as text; ``""`` is "none"."""
    text = as_text(value)
    return float(text) if text else None


def set_stats(timed: bool) -> Callable[[object], SetStats]:
    """The parser of ``lua/stats.lua``'s reply, for a time set when ``timed``."""

    def parse(reply: object) -> SetStats:
        pending, due, leased, dead, periodic, oldest, next_due, now = as_array(reply)
        at = float(as_text(now))
        oldest_score = _number(oldest)
        age = None
        if timed and oldest_score is not None:
            age = max(0.0, at - oldest_score)
        return SetStats(
            at=at,
            dead_letters=as_int(dead),
            pending=as_int(pending),
            due=as_int(due),
            leased=as_int(leased),
            periodic=as_int(periodic),
            oldest_score=oldest_score,
            oldest_age=age,
            next_due=_number(next_due),
        )

    return parse


def stream_stats(reply: object) -> StreamStats:
    """The parser of ``lua/stream_stats.lua``'s reply."""
    items, gated, cooling, dead, top, now = as_array(reply)
    return StreamStats(
        at=float(as_text(now)),
        dead_letters=as_int(dead),
        items=as_int(items),
        gated=as_int(gated),
        cooling=as_int(cooling),
        highest_priority=_number(top),
    )


def expiring_stats(reply: object) -> ExpiringStats:
    """The parser of ``lua/expiring_stats.lua``'s reply (times in ms there)."""
    live, expired, dead, soonest, latest, now = as_array(reply)
    first = _number(soonest)
    last = _number(latest)
    return ExpiringStats(
        at=int(as_text(now)) / 1000,
        dead_letters=as_int(dead),
        live=as_int(live),
        expired=as_int(expired),
        next_expiry=None if first is None else first / 1000,
        latest_expiry=None if last is None else last / 1000,
    )
