"""Hypothesis state machines: a real collection and its model get the same operations.

Every result is compared: returned items, raised ``KeyError``, scores,
lengths, membership, the full iteration order, leases (claimed, acked,
released, extended, expired, listed, held by ``processing``) and dead
letters (``max_deliveries``), ``stats()`` (counts exactly, times within the
tolerance), what ``add`` and ``update`` report (with and
without ``unique_for``) and periodic items (``add_periodic``, handed out and
rescheduled by ``pop``, ``take``, ``claim`` and ``ack``). Point them at your own
server to check it::

    from typedset.testing.machine import sorted_set_machine
    TestMyServer = sorted_set_machine("scheduled", lambda: redis.Redis(...)).TestCase

Pass ``async_client_factory`` (say ``lambda: redis.asyncio.Redis(...)``) to
drive the asyncio twin instead, through the same rules, on one event loop.

Scores the library picks from the server's clock cannot equal the model's
clock to the microsecond, so for the time-scored kinds scores are compared
within a tolerance, and explicit scores and increments are drawn far (10^3 s
and more) from "now" so that the order never depends on that difference.

Time and leases: the model's clock *is* the server's clock (each reading is
a ``TIME`` call), so the two sides read times that differ only by the
moments of their calls, and every reading of one rule comes before every
reading of the next. Leases are claimed and extended for an hour or two,
so none expires by itself during a run; lease deadlines (and scores made
from "now + delay") are compared within the same tolerance, their order
exactly. Expiry is made on purpose by the ``expire`` rules: both sides
``extend`` a lease by a millisecond, then the rule waits until the
server's clock has passed both deadlines. From then on both sides agree
that the lease is not held, and each returns it to pending at the same
step, in the first operation that returns expired leases (``claim``,
``pop``, ``peek``, ``ack``, ``leased``, ...); ``len`` and iteration never
do, on either side, so the invariant sees the same sets. No rule depends on
a deadline near "now", so the comparison stays exact without a fake clock
on the server. Every lease ever returned (held, acked, released, expired)
stays in the ``leases`` bundle: acting on a stale lease is checked too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, cast

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from .. import Lease
from .._keys import set_keys
from ..protocols import AsyncClient, SyncClient
from ..sorted_set import (
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)
from .blocking import BlockingView
from .model import MemoryScheduledSet, MemorySortedSet, MemoryTimeSortedSet

__all__ = ["Kind", "priority_stream_machine", "sorted_set_machine"]

Kind = Literal["sorted", "time", "scheduled"]

_KINDS: dict[
    str, tuple[type[SortedSet[Any]], type[AsyncSortedSet[Any]], type[MemorySortedSet[Any]]]
] = {
    "sorted": (SortedSet, AsyncSortedSet, MemorySortedSet),
    "time": (TimeSortedSet, AsyncTimeSortedSet, MemoryTimeSortedSet),
    "scheduled": (ScheduledSet, AsyncScheduledSet, MemoryScheduledSet),
}

items = st.sampled_from(["a", "b", "c", "d", "e", "f", "é", "a b", ""]) | st.text(max_size=3)
policies = st.sampled_from(["replace", "keep", "min", "max"])
#: Lease lifetimes no run outlives: a lease ends by ack, release or an ``expire`` rule.
ttls = st.sampled_from([3600.0, 7200.0])
#: Release delays: due at once, or long after the run.
delays = st.none() | st.sampled_from([0.0, 1e5])
#: ``unique_for`` windows no run outlives: what is done stays done for the whole run.
unique_windows = st.none() | st.just(3600.0)
#: How an ``expire`` rule ends a lease: extended by this much, then waited out.
_EXPIRE_TTL = 0.001
#: How far apart the two sides' readings of "now" may be, in seconds.
_SLACK = 60.0


def _server_time(client: SyncClient) -> Callable[[], float]:
    def clock() -> float:
        reply = client.execute_command("TIME")
        assert isinstance(reply, list | tuple), reply
        seconds, micros = cast("Sequence[bytes | str]", reply)  # two bulk strings
        return int(seconds) + int(micros) / 1_000_000

    return clock


def _close(client: object) -> None:
    close = getattr(client, "close", None)
    if callable(close):
        close()


async def _aclose(client: object) -> None:
    close = getattr(client, "aclose", None)
    if callable(close):
        await cast("Callable[[], Awaitable[object]]", close)()  # aclose() is a coroutine


class Comparison(RuleBasedStateMachine):
    """A real collection and its model, on a server of the user's choosing.

    The real one is the blocking class, or, when an asyncio client factory is
    given, its async twin behind a :class:`BlockingView` on one event loop.
    """

    #: (blocking client factory, asyncio client factory or None); a tuple, so not a method.
    factories: tuple[Callable[[], SyncClient], Callable[[], AsyncClient] | None]
    real: Any
    model: Any

    def __init__(self) -> None:
        super().__init__()
        self.client = self.factories[0]()
        self.clock = _server_time(self.client)

    def _real(
        self, blocking: Callable[[SyncClient], Any], twin: Callable[[AsyncClient], Any]
    ) -> Any:
        """The collection under test, built by ``blocking`` or by ``twin``."""
        async_factory = self.factories[1]
        if async_factory is None:
            return blocking(self.client)
        self.loop = asyncio.new_event_loop()
        self.async_client = async_factory()
        return BlockingView(twin(self.async_client), self.loop)

    #: Keys the collection leaves behind after ``clear`` (its kind marker, its lease fence).
    leftovers: tuple[str, ...] = ()

    def teardown(self) -> None:
        if hasattr(self, "real"):
            self.real.clear()
            self.real.clear_dead_letters()
            for key in self.leftovers:
                self.client.execute_command("DEL", key)
        if hasattr(self, "loop"):
            self.loop.run_until_complete(_aclose(self.async_client))
            self.loop.close()
        _close(self.client)

    def both(self, call: Callable[[Any], Any]) -> tuple[Any, Any] | None:
        """``(expected, got)`` from model and real, or ``None`` if both raised KeyError."""
        try:
            expected: Any = call(self.model)
        except KeyError:
            try:
                got = call(self.real)
            except KeyError:
                return None
            raise AssertionError(f"model raised KeyError, real returned {got!r}") from None
        return expected, call(self.real)

    def results(self, call: Callable[[Any], Any]) -> tuple[Any, Any]:
        """``(expected, got)`` of a call that raises KeyError on neither."""
        result = self.both(call)
        assert result is not None, "both raised KeyError"
        return result

    def wait_past(self, seconds: float) -> None:
        """Sleep until the server's clock is more than ``seconds`` past its reading now."""
        until = self.clock() + seconds
        while self.clock() <= until:
            time.sleep(seconds)


class _Failed(Exception):
    """Raised inside a ``processing`` block on purpose."""


def _process(target: Any, how: str, wait_past: Callable[[float], None]) -> tuple[Any, Lease[Any]]:
    """Run one ``processing`` block on ``target``: the item it yielded and its lease.

    ``how``: "ack" (a normal exit), "fail" (an exception: released),
    "extend" (``job.extend()`` inside, then a normal exit) or "lose" (the
    lease expires inside the block, so the ack at its end finds it lost).
    ``KeyError`` when there is nothing to claim, as from the block itself.
    """
    seen: list[tuple[Any, Lease[Any], bool]] = []
    if isinstance(target, BlockingView):
        job = target.target.processing(ttl=3600.0)

        async def block() -> None:
            try:
                async with job as item:
                    extended = False
                    if how in ("extend", "lose"):
                        extended = await job.extend(_EXPIRE_TTL if how == "lose" else None)
                    seen.append((item, job.lease, extended))
                    if how == "lose":
                        wait_past(_EXPIRE_TTL)
                    if how == "fail":
                        raise _Failed
            except _Failed:
                pass

        target.run(block())
    else:
        job = target.processing(ttl=3600.0)
        try:
            with job as item:
                extended = False
                if how in ("extend", "lose"):
                    extended = job.extend(_EXPIRE_TTL if how == "lose" else None)
                seen.append((item, job.lease, extended))
                if how == "lose":
                    wait_past(_EXPIRE_TTL)
                if how == "fail":
                    raise _Failed
        except _Failed:
            pass
    [(item, lease, extended)] = seen
    assert extended == (how in ("extend", "lose")), (how, extended)
    assert item == lease.item, (item, lease)
    return item, lease


def sorted_set_machine(
    kind: Kind,
    client_factory: Callable[[], SyncClient],
    *,
    async_client_factory: Callable[[], AsyncClient] | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class comparing one sorted-set kind with its model.

    With ``async_client_factory`` the collection under test is the asyncio
    twin; ``client_factory`` still reads the server's clock.
    """
    real_cls, async_cls, model_cls = _KINDS[kind]
    timed = kind != "sorted"
    if timed:
        # far from "now" in both directions: past items are due, future ones are not
        offsets = st.sampled_from([-2e5, -1e5, 1e5, 2e5])
        steps = st.sampled_from([-1000.0, 0.0, 1000.0])
    else:
        offsets = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
        steps = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0])

    class SortedSetMachine(Comparison):
        factories = (client_factory, async_client_factory)
        #: (model lease, real lease) pairs: every lease either side ever returned.
        leases = Bundle("leases")

        def __init__(self) -> None:
            super().__init__()
            self.base = self.clock() if timed else 0.0
            # Leases in the bundle: Hypothesis does not skip a rule that draws a
            # list from an empty bundle, the rules' precondition does.
            self.issued = 0

        @initialize(
            policy=policies,
            max_deliveries=st.none() | st.integers(1, 3),
            unique_for=unique_windows,
            seed=st.lists(st.tuples(items, st.none() | offsets), max_size=5),
        )
        def create(
            self,
            policy: Any,
            max_deliveries: int | None,
            unique_for: float | None,
            seed: list[tuple[str, float | None]],
        ) -> None:
            name = f"machine:{uuid.uuid4().hex[:12]}"
            options: dict[str, Any] = {
                "on_duplicate": policy,
                "max_deliveries": max_deliveries,
                "unique_for": unique_for,
            }
            self.real = self._real(
                lambda client: real_cls(client, name, **options),
                lambda client: async_cls(client, name, **options),
            )
            self.model = model_cls(name, clock=self.clock, **options)
            keys = set_keys(name)
            self.leftovers = (keys.fence, keys.kind)
            # a few items to start with, so that claims find some in a short run
            for item, offset in seed:
                self.add(item, offset)

        def same_score(self, a: float | None, b: float | None) -> bool:
            if a is None or b is None:
                return a is b
            if timed or abs(a) > 1e8:  # a time-based score (a release delay): "now" differs
                return abs(a - b) < _SLACK
            return a == b

        def same_leases(self, expected: list[Lease[Any]], got: list[Lease[Any]]) -> None:
            """The same items, delivery counts and order; deadlines within the slack."""
            assert [(x.item, x.deliveries) for x in expected] == [
                (x.item, x.deliveries) for x in got
            ], (expected, got)
            for x, y in zip(expected, got, strict=True):
                assert abs(x.deadline - y.deadline) < _SLACK, (x, y)
                assert self.same_score(x.score, y.score), (x, y)
                assert isinstance(y.token, bytes), y

        @rule(item=items, offset=st.none() | offsets)
        def add(self, item: str, offset: float | None) -> None:
            score = None if offset is None else self.base + offset
            assert self.model.add(item, score) == self.real.add(item, score)

        @rule(batch=st.lists(items, max_size=6))
        def update(self, batch: list[str]) -> None:
            assert self.model.update(batch) == self.real.update(batch)

        @rule(batch=st.lists(st.tuples(items, offsets), max_size=6))
        def update_scored(self, batch: list[tuple[str, float]]) -> None:
            scored = [(item, self.base + offset) for item, offset in batch]
            assert self.model.update_scored(scored) == self.real.update_scored(scored)

        @precondition(lambda self: kind == "scheduled")
        @rule(
            item=items,
            every=st.sampled_from([5e4, 3e5]),
            offset=st.none() | offsets,
            anchor=st.sampled_from(["due", "now"]),
            reschedule=st.sampled_from(["claim", "ack"]),
        )
        def add_periodic(
            self, item: str, every: float, offset: float | None, anchor: str, reschedule: str
        ) -> None:
            """A periodic item: due now or far from now, then every 14 hours or 3.5 days."""
            first = None if offset is None else self.base + offset
            options = {"first_due": first, "anchor": anchor, "reschedule": reschedule}
            expected = self.model.add_periodic(item, every, **options)
            assert expected == self.real.add_periodic(item, every, **options)

        @precondition(lambda self: kind == "scheduled" and self.issued > 0)
        @rule(
            pair=leases,
            every=st.sampled_from([5e4, 3e5]),
            reschedule=st.sampled_from(["claim", "ack"]),
        )
        def add_periodic_leased(
            self, pair: tuple[Lease[Any], Lease[Any]], every: float, reschedule: str
        ) -> None:
            """add_periodic of an item that was claimed (its lease may still be held)."""
            item = pair[0].item
            options = {"reschedule": reschedule}
            expected = self.model.add_periodic(item, every, **options)
            assert expected == self.real.add_periodic(item, every, **options)

        @rule()
        def pop(self) -> None:
            result = self.both(lambda s: s.pop())
            if result is not None:
                assert result[0] == result[1]

        @rule(n=st.integers(-1, 5))
        def take(self, n: int) -> None:
            expected, got = self.results(lambda s: s.take(n))
            assert expected == got

        @rule(position=st.integers(-3, 3))
        def peek(self, position: int) -> None:
            result = self.both(lambda s: s.peek(position))
            if result is not None:
                assert result[0] == result[1]

        @rule()
        def peek_score(self) -> None:
            expected, got = self.results(lambda s: s.peek_score())
            assert self.same_score(expected, got), (expected, got)

        @rule(item=items)
        def score(self, item: str) -> None:
            expected, got = self.results(lambda s: s.score(item))
            assert self.same_score(expected, got), (expected, got)

        @rule(item=items, by=steps)
        def increment(self, item: str, by: float) -> None:
            result = self.both(lambda s: s.increment(item, by))
            if result is not None:
                assert self.same_score(*result), result

        @rule(item=items)
        def discard(self, item: str) -> None:
            self.model.discard(item)
            self.real.discard(item)

        @rule(item=items)
        def remove(self, item: str) -> None:
            self.both(lambda s: s.remove(item))

        @rule(item=items)
        def contains(self, item: str) -> None:
            assert (item in self.model) == (item in self.real)

        @rule(
            method=st.sampled_from(
                [
                    "union_update",
                    "intersection_update",
                    "difference_update",
                    "symmetric_difference_update",
                ]
            ),
            batch=st.lists(items, max_size=6),
        )
        def combine(self, method: str, batch: list[str]) -> None:
            assert self.model.isdisjoint(batch) == self.real.isdisjoint(batch)
            getattr(self.model, method)(batch)
            getattr(self.real, method)(batch)

        # --- leases ------------------------------------------------------------

        @rule(target=leases, n=st.integers(0, 4), ttl=ttls)
        def claim(self, n: int, ttl: float) -> Any:
            expected, got = self.results(lambda s: s.claim(n, ttl=ttl))
            self.same_leases(expected, got)
            self.issued += len(got)
            return multiple(*zip(expected, got, strict=True))

        @rule(target=leases, how=st.sampled_from(["ack", "fail", "extend", "lose"]))
        def processing(self, how: str) -> Any:
            result = self.both(lambda s: _process(s, how, self.wait_past))
            if result is None:
                nothing: MultipleResults[object] = multiple()
                return nothing
            (_, expected), (_, got) = result
            self.same_leases([expected], [got])
            self.issued += 1
            return multiple((expected, got))

        # One rule per verb, so that the lease rules are not most of the rules:
        # one lease goes through ``ack``, more (repeats allowed) through ``ack_many``.

        @precondition(lambda self: self.issued > 0)
        @rule(pairs=st.lists(leases, min_size=1, max_size=3))
        def ack(self, pairs: list[tuple[Lease[Any], Lease[Any]]]) -> None:
            if len(pairs) == 1:
                assert self.model.ack(pairs[0][0]) == self.real.ack(pairs[0][1])
                return
            expected = self.model.ack_many([m for m, _ in pairs])
            assert expected == self.real.ack_many([r for _, r in pairs])

        @precondition(lambda self: self.issued > 0)
        @rule(pairs=st.lists(leases, min_size=1, max_size=3), delay=delays)
        def release(self, pairs: list[tuple[Lease[Any], Lease[Any]]], delay: float | None) -> None:
            if len(pairs) == 1:
                expected = self.model.release(pairs[0][0], delay=delay)
                assert expected == self.real.release(pairs[0][1], delay=delay)
                return
            expected = self.model.release_many([m for m, _ in pairs], delay=delay)
            assert expected == self.real.release_many([r for _, r in pairs], delay=delay)

        @precondition(lambda self: self.issued > 0)
        @rule(pairs=st.lists(leases, min_size=1, max_size=3), ttl=ttls)
        def extend(self, pairs: list[tuple[Lease[Any], Lease[Any]]], ttl: float) -> None:
            if len(pairs) == 1:
                assert self.model.extend(pairs[0][0], ttl) == self.real.extend(pairs[0][1], ttl)
                return
            expected = self.model.extend_many([m for m, _ in pairs], ttl)
            assert expected == self.real.extend_many([r for _, r in pairs], ttl)

        @precondition(lambda self: self.issued > 0)
        @rule(pairs=st.lists(leases, min_size=1, max_size=3))
        def expire(self, pairs: list[tuple[Lease[Any], Lease[Any]]]) -> None:
            """End leases by their deadline: a millisecond's extension, waited out."""
            expected = self.model.extend_many([m for m, _ in pairs], _EXPIRE_TTL)
            assert expected == self.real.extend_many([r for _, r in pairs], _EXPIRE_TTL)
            if expected:
                self.wait_past(_EXPIRE_TTL)

        @rule()
        def leased(self) -> None:
            self.same_leases(*self.results(lambda s: s.leased()))

        @rule()
        def requeue_dead(self) -> None:
            expected, got = self.results(lambda s: s.requeue_dead())
            assert expected == got

        @precondition(lambda self: kind == "scheduled")
        @rule()
        def available(self) -> None:
            expected, got = self.results(lambda s: s.available())
            assert expected == got

        @rule()
        def stats(self) -> None:
            """The counts exactly; the times within the slack (each side reads its own "now")."""
            expected, got = self.results(lambda s: s.stats())
            counts = ("pending", "due", "leased", "dead_letters", "periodic")
            assert [getattr(got, f) for f in counts] == [getattr(expected, f) for f in counts], (
                got,
                expected,
            )
            assert abs(got.at - expected.at) < _SLACK, (got, expected)
            assert self.same_score(expected.oldest_score, got.oldest_score), (got, expected)
            for mine, theirs in (
                (expected.oldest_age, got.oldest_age),
                (expected.next_due, got.next_due),
            ):
                assert (mine is None) == (theirs is None), (got, expected)
                if mine is not None and theirs is not None:
                    assert abs(mine - theirs) < _SLACK, (got, expected)

        @rule()
        def clear(self) -> None:
            self.model.clear()
            self.real.clear()

        @invariant()
        def same_members_in_the_same_order(self) -> None:
            if hasattr(self, "real"):
                assert len(self.model) == len(self.real)
                assert list(self.model) == list(self.real)

        @invariant()
        def same_dead_letters(self) -> None:
            """Dead letters (max_deliveries reached): a read that changes nothing, so every step."""
            if not hasattr(self, "real"):
                return
            expected, got = self.model.dead_letters(), self.real.dead_letters()
            assert [(x.raw, x.reason) for x in expected] == [(x.raw, x.reason) for x in got]
            for x, y in zip(expected, got, strict=True):
                assert self.same_score(x.score, y.score), (x, y)
                assert abs(x.at - y.at) < _SLACK, (x, y)

    SortedSetMachine.__name__ = f"{real_cls.__name__}Machine"
    SortedSetMachine.__qualname__ = SortedSetMachine.__name__
    return SortedSetMachine


# The stream's machine lives in its own module and is re-exported here, where
# it has always been imported from; it builds on ``Comparison`` above.
from .stream_machine import priority_stream_machine  # noqa: E402
