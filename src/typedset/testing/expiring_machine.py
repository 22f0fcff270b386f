"""The Hypothesis state machine for ``ExpiringSet``: the real set and its model side by side.

It shares its driving with :mod:`typedset.testing.machine` (``Comparison``:
one client per side, sync or asyncio, every result compared)::

    from typedset.testing.expiring_machine import expiring_set_machine
    TestMyServer = expiring_set_machine(lambda: redis.Redis(...)).TestCase

Time: the model's clock *is* the server's clock (each reading is a ``TIME``
call), so the two sides compute deadlines a few milliseconds apart, the
model's first. A time to live is either long (an hour or two: nothing
expires by itself during a run) or a millisecond, which the rule then waits
out on the server's clock, so both sides agree the member has expired.
After every write the machine waits until the server's clock has moved on
by two milliseconds: deadlines (whole milliseconds) made by different calls
then differ on both sides in the same direction, and the iteration order
(deadline, then member bytes) is compared exactly. Deadlines themselves
(``expires_at``) are compared within a minute.

Dead letters: a rule adds bytes the codec cannot decode (through a
``BytesCodec`` handle on the same name, so the key TTLs stay right), for
``pop`` (``DecodeError`` with those bytes, on both sides), iteration (which
moves them), ``dead_letters``, ``requeue_dead`` and ``clear_dead_letters``
to meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from .._keys import EXPIRING_KIND, expiring_keys
from ..codecs import BytesCodec
from ..errors import DecodeError
from ..expiring_set import AsyncExpiringSet, ExpiringSet, OnRefresh
from ..protocols import AsyncClient, SyncClient
from .blocking import BlockingView
from .expiring_model import MemoryExpiringSet
from .machine import Comparison, items

__all__ = ["expiring_set_machine"]

#: The set's latest deadline, its key's PEXPIRETIME, its marker and the marker's, and the
#: dead letters' PEXPIRETIME, at once.
_KEYS_STATE = """
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {last[2] or '', tostring(redis.call('PEXPIRETIME', KEYS[1])),
        redis.call('GET', KEYS[2]) or '', tostring(redis.call('PEXPIRETIME', KEYS[2])),
        tostring(redis.call('PEXPIRETIME', KEYS[3]))}
"""
#: Bytes the default codec (UTF-8 text) cannot decode.
undecodable = st.sampled_from([b"\xff", b"caf\xe9", b"\x80tail"])


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call did, comparable across real and model: its result or its error."""
    try:
        return "returned", call()
    except KeyError:
        return "KeyError", None
    except DecodeError as exc:
        return "DecodeError", exc.raw


def _letters(letters: Sequence[Any]) -> list[tuple[bytes, str]]:
    """Dead letters as (raw, reason), by raw: their times differ by milliseconds between sides."""
    return sorted((letter.raw, letter.reason) for letter in letters)


#: A time to live that ends at once (then waited out) or long after the run; None: the default.
_SHORT = 0.001
_LONG = (3600.0, 7200.0)
ttls = st.sampled_from([None, _SHORT, *_LONG])
long_ttls = st.sampled_from(_LONG)
#: How far apart the two sides' deadlines may be, in seconds.
_SLACK = 60.0
#: How long the machine lets the server's clock run after each write, in seconds.
_STEP = 0.002


def expiring_set_machine(
    client_factory: Callable[[], SyncClient],
    *,
    async_client_factory: Callable[[], AsyncClient] | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class comparing ``ExpiringSet`` (or its async twin) with its model."""

    class ExpiringSetMachine(Comparison):
        factories = (client_factory, async_client_factory)

        @initialize(policy=st.sampled_from(["keep", "refresh"]), ttl=long_ttls)
        def create(self, policy: Any, ttl: float) -> None:
            name = f"machine:{uuid.uuid4().hex[:12]}"
            self.name = name
            self.real = self._real(
                lambda client: ExpiringSet(client, name, ttl=ttl, on_duplicate=policy),
                lambda client: AsyncExpiringSet(client, name, ttl=ttl, on_duplicate=policy),
            )
            self.model = MemoryExpiringSet(name, ttl=ttl, on_duplicate=policy, clock=self.clock)

        def teardown(self) -> None:
            if hasattr(self, "real"):
                self.real.clear()
                keys = expiring_keys(self.name)
                self.client.execute_command("DEL", keys.kind, keys.dead)
                del self.real  # the base teardown would ask it for dead letters
            super().teardown()

        def agree(self, call: Callable[[Any], Any], short: bool = False) -> None:
            """The same result (or KeyError from both); then time moves on (see the docstring)."""
            result = self.both(call)
            if result is not None:
                expected, got = result
                assert got == expected, (got, expected)
            self.wait_past(2 * _SHORT if short else _STEP)

        @rule(item=items, ttl=ttls)
        def add(self, item: str, ttl: float | None) -> None:
            self.agree(lambda s: s.add(item, ttl), short=ttl == _SHORT)

        @rule(batch=st.lists(items, max_size=6), ttl=ttls)
        def update(self, batch: list[str], ttl: float | None) -> None:
            self.agree(lambda s: s.update(batch, ttl), short=ttl == _SHORT)

        @rule(item=items, ttl=st.sampled_from([_SHORT, 3600.0, 7200.0]))
        def touch(self, item: str, ttl: float) -> None:
            self.agree(lambda s: s.touch(item, ttl), short=ttl == _SHORT)

        @rule(item=items)
        def discard(self, item: str) -> None:
            self.agree(lambda s: s.discard(item))

        @rule(item=items)
        def remove(self, item: str) -> None:
            self.agree(lambda s: s.remove(item))

        @rule()
        def pop(self) -> None:
            expected = _outcome(lambda: self.model.pop())
            got = _outcome(lambda: self.real.pop())
            assert got == expected, (got, expected)
            self.wait_past(_STEP)

        @rule(raw=undecodable, ttl=st.sampled_from([1800.0, *_LONG]), then_pop=st.booleans())
        def store_undecodable(self, raw: bytes, ttl: float, then_pop: bool) -> None:
            """A foreign writer adds bytes the codec cannot read (as ``add`` would).

            With ``then_pop``, a ``pop`` follows in the same step (before the
            invariants' iteration moves them): with the shortest ttl, it meets them.
            """
            model: Any = self.model
            policy: OnRefresh = "refresh" if model._refresh else "keep"
            raw_view = ExpiringSet(
                self.client, self.name, serializer=BytesCodec(), ttl=ttl, on_duplicate=policy
            )
            raw_view.add(raw)
            deadline = raw_view.expires_at(raw)
            assert deadline is not None
            now = model._now()  # the real add's clock reading, give or take: the same rule
            live = model._live(raw, now)
            if model._refresh or not live:
                model._deadlines[raw] = round(deadline * 1000)
            model._keep_dead(now)
            self.wait_past(_STEP)
            if then_pop:
                self.pop()

        @rule()
        def requeue_dead(self) -> None:
            self.agree(lambda s: s.requeue_dead())

        @rule()
        def stats(self) -> None:
            """Live members and dead letters exactly, deadlines within the slack. Not
            ``expired``: the model forgets expired members on its own schedule."""
            expected, got = self.results(lambda s: s.stats())
            assert (got.live, got.dead_letters) == (expected.live, expected.dead_letters), (
                got,
                expected,
            )
            assert 0 <= got.at - expected.at < _SLACK, (got, expected)
            for mine, theirs in (
                (got.next_expiry, expected.next_expiry),
                (got.latest_expiry, expected.latest_expiry),
            ):
                assert (mine is None) == (theirs is None), (got, expected)
                if mine is not None and theirs is not None:
                    self.close_deadlines(mine, theirs)

        @rule()
        def clear_dead_letters(self) -> None:
            self.agree(lambda s: s.clear_dead_letters())

        def same_dead_letters(self) -> None:
            """The same dead letters: bytes and reasons, deadlines within the slack."""
            expected, got = self.model.dead_letters(), self.real.dead_letters()
            assert _letters(got) == _letters(expected), (got, expected)
            for mine, theirs in zip(
                sorted(got, key=lambda d: d.raw), sorted(expected, key=lambda d: d.raw), strict=True
            ):
                self.close_deadlines(mine.deadline, theirs.deadline)

        @rule(batch=st.lists(items, max_size=6))
        def union_update(self, batch: list[str]) -> None:
            self.agree(lambda s: s.union_update(batch))

        @rule(batch=st.lists(items | st.integers(), max_size=6))
        def intersection_update(self, batch: list[object]) -> None:
            self.agree(lambda s: s.intersection_update(batch))

        @rule(batch=st.lists(items | st.integers(), max_size=6))
        def difference_update(self, batch: list[object]) -> None:
            self.agree(lambda s: s.difference_update(batch))

        @rule(batch=st.lists(items, max_size=6))
        def symmetric_difference_update(self, batch: list[str]) -> None:
            self.agree(lambda s: s.symmetric_difference_update(batch))

        @rule()
        def clear(self) -> None:
            self.agree(lambda s: s.clear())

        @rule(item=items)
        def read_one(self, item: str) -> None:
            expected, got = self.results(lambda s: (s.contains(item), s.expires_at(item)))
            assert got[0] == expected[0], (got, expected)
            if expected[1] is None or got[1] is None:
                assert got[1] is expected[1], (got, expected)
            else:
                self.close_deadlines(got[1], expected[1])
            if not isinstance(self.real, BlockingView):  # the async twin has no ``in``
                assert (5 in self.real) is (5 in self.model) is False

        @rule(batch=st.lists(items | st.integers(), max_size=4))
        def isdisjoint(self, batch: list[object]) -> None:
            expected, got = self.results(lambda s: s.isdisjoint(batch))
            assert got == expected, (got, expected)

        @invariant()
        def same_members_in_the_same_order(self) -> None:
            if hasattr(self, "real"):
                assert len(self.real) == len(self.model)
                assert list(self.real) == list(self.model)  # moves the undecodable ones
                self.same_dead_letters()

        @invariant()
        def the_keys_expire_with_the_latest_deadline(self) -> None:
            """The set's key expires exactly at its latest deadline; the dead letters
            no sooner; the kind marker with the later of the two.

            Never later (an abandoned set must go) and never sooner (a live member
            would go with it), after every kind of write; the marker protects the
            name while any key exists. Read in one script, so every key is seen at
            one instant of the server's clock.
            """
            if not hasattr(self, "real"):
                return
            keys = expiring_keys(self.name)
            reply = self.client.execute_command(
                "EVAL", _KEYS_STATE, 3, keys.members, keys.kind, keys.dead
            )
            assert isinstance(reply, list | tuple), reply
            last, set_at, kind, kind_at, dead_at = (
                _text(part) for part in cast("Sequence[object]", reply)
            )
            if last != "":
                assert int(float(last)) == int(set_at), reply
            if dead_at != "-2":
                assert int(dead_at) > 0, reply  # dead letters always expire
                assert last == "" or int(dead_at) >= int(set_at), reply
            if last == "" and dead_at == "-2":  # no set, no dead letters: no marker either
                assert (kind, set_at, kind_at) == ("", "-2", "-2"), reply
            else:
                assert kind == EXPIRING_KIND, reply
                assert int(kind_at) == max(int(set_at), int(dead_at)), reply

        # Real and model both use the server's clock, the model first: a real
        # deadline is never sooner than the model's.
        def close_deadlines(self, got: float, expected: float) -> None:
            assert 0 <= got - expected < _SLACK, (got, expected)

    return ExpiringSetMachine
